"""Email intake while a notice is open: the acknowledgement names it, the help desk is offered
the link, and a local expert's answer to the notice's own email joins it."""

import pytest
from django.urls import reverse

from helpdesk.actor import Actor
from helpdesk.models import NoticeAudience, Outcome, Severity, System
from helpdesk.notices import services as svc
from tests.helpdesk.mail.messages import email_bytes

pytestmark = pytest.mark.django_db


def publish(world, **overrides):
    fields = {
        "title": "CCMS does not load",
        "systems": [System.CCMS],
        "severity": Severity.OUTAGE,
        "text": "Blank page after sign-in.",
    }
    return svc.publish_notice(svc.NoticeDraft(**(fields | overrides)), by=Actor.of(world.hannah))


def test_an_emailed_report_is_acknowledged_with_the_open_notice(world, ingest, mailoutbox):
    notice = publish(world)
    mailoutbox.clear()
    result = ingest(email_bytes())  # the form says CCMS
    assert result.outcome == Outcome.TICKET_CREATED
    ack = next(m for m in mailoutbox if m.to == ["pat@example.org"])  # a copy per recipient
    assert f"Notice {notice.pk}: CCMS does not load" in ack.body
    assert result.ticket.notice is None  # the help desk decides


def test_the_help_desk_is_offered_the_link_on_the_emailed_ticket(client, world, ingest):
    publish(world)
    ticket = ingest(email_bytes()).ticket
    client.force_login(world.hannah)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "Link to the notice" in page


def test_an_answer_to_the_notice_email_joins_the_notice(world, ingest):
    notice = publish(world)
    result = ingest(email_bytes(subject=f"Re: [Notice {notice.pk}] Outage: CCMS does not load"))
    assert result.outcome == Outcome.TICKET_CREATED
    result.ticket.refresh_from_db()
    assert result.ticket.notice == notice


@pytest.mark.parametrize("case", ["resolved", "other_agency", "other_system", "no_such"])
def test_an_answer_naming_a_notice_it_cannot_join_is_still_a_ticket(world, ingest, case):
    if case == "other_agency":
        notice = publish(
            world, audience=NoticeAudience.AGENCY, agencies=(world.other_office.agency,)
        )
    elif case == "other_system":
        notice = publish(world, systems=[System.CCTS])
    else:
        notice = publish(world)
    if case == "resolved":
        svc.resolve_notice(notice, by=Actor.of(world.hannah), text="Fixed.")
    number = notice.pk + 100 if case == "no_such" else notice.pk
    result = ingest(email_bytes(subject=f"Re: [Notice {number}] CCMS"))
    assert result.outcome == Outcome.TICKET_CREATED
    result.ticket.refresh_from_db()
    assert result.ticket.notice is None
