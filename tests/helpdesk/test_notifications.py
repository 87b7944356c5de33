"""Ticket emails: sent after commit through django-q2, from templates, with the tracking number
in the subject and a recorded Message-ID that threads the conversation."""

import pytest
from django.core import mail

from helpdesk.actor import Actor
from helpdesk.models import EventKind, OutboundEmail
from helpdesk.reports import services as reports
from helpdesk.tickets import services as svc
from helpdesk.tickets.notifications import notify_on_commit, send_ticket_email
from tests.helpdesk import ticket_helpers as th
from tests.outgoing_mail import assert_ours

pytestmark = pytest.mark.django_db(transaction=False)


def _run(callbacks_fixture, fn):
    with callbacks_fixture(execute=True):
        return fn()


def test_acknowledgement_goes_to_the_local_expert_and_secondary_contact(
    world, django_capture_on_commit_callbacks
):
    ticket = _run(django_capture_on_commit_callbacks, lambda: th.submitted(world))
    acks = [m for m in mail.outbox if "Received" in m.subject]
    ack = acks[0]
    assert ack.subject.startswith(f"[{ticket.tracking_number}] ")
    assert {m.to[0] for m in acks} == {"pat@example.org", "alice@example.org"}  # a copy each
    assert ticket.tracking_number in ack.body
    recorded = OutboundEmail.objects.get(kind="acknowledgement")
    assert ack.extra_headers["Message-ID"] == recorded.copies.get(address=ack.to[0]).message_id
    assert_ours(ack)  # the ticket's first email: it threads under nothing
    assert ack.extra_headers["X-CCAP-Ticket"] == ticket.tracking_number
    assert recorded.sent_at is not None


def test_later_emails_thread_under_the_first(world, django_capture_on_commit_callbacks):
    ticket = _run(django_capture_on_commit_callbacks, lambda: th.in_progress(world))
    _run(
        django_capture_on_commit_callbacks,
        lambda: svc.escalate_to_mis(
            ticket, by=Actor.of(world.hannah), note="CCTS defect", mis_reference="M-1"
        ),
    )
    first = OutboundEmail.objects.order_by("created_at").first()
    to_mis = next(m for m in mail.outbox if "Escalated to MIS" in m.subject)
    notices = [m for m in mail.outbox if "Escalated to IDHS/MIS" in m.subject]
    assert to_mis.to == ["mike@example.org"]
    assert "Restarted BlueZone" in to_mis.body  # everything MIS needs
    assert {m.to[0] for m in notices} == {"pat@example.org", "alice@example.org"}
    for message in (to_mis, *notices):
        assert_ours(message, in_reply_to=first.message_id)


def test_request_for_information_and_resolution_reach_the_local_expert(
    world, django_capture_on_commit_callbacks
):
    ticket = _run(django_capture_on_commit_callbacks, lambda: th.in_progress(world))
    mail.outbox.clear()
    _run(
        django_capture_on_commit_callbacks,
        lambda: svc.request_info(
            ticket, by=Actor.of(world.hannah), question="Which workstation is it?"
        ),
    )
    question = next(m for m in mail.outbox if m.to == ["pat@example.org"])
    assert "Which workstation is it?" in question.body
    mail.outbox.clear()
    ticket = _run(
        django_capture_on_commit_callbacks,
        lambda: svc.provide_info(ticket, by=Actor.of(world.pat.user), answer="PC-12"),
    )
    ticket = _run(
        django_capture_on_commit_callbacks,
        lambda: svc.resolve(
            ticket, by=Actor.of(world.hannah), resolution="Reset the RACF password."
        ),
    )
    resolved = next(m for m in mail.outbox if "Resolved" in m.subject)
    assert "Reset the RACF password." in resolved.body
    assert "pat@example.org" in resolved.to


def test_nothing_is_sent_when_the_transaction_rolls_back(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        th.submitted(world)
    assert callbacks  # queued for after the commit, not sent inside it
    assert mail.outbox == []


def test_user_text_in_emails_is_not_html_escaped_but_stays_plain_text(
    world, django_capture_on_commit_callbacks
):
    report = th.problem_report(summary="Screen shows <b>error</b> & quits")
    _run(
        django_capture_on_commit_callbacks,
        lambda: (
            reports.report_from_web(report, by=Actor.of(world.pat.user), office=world.office).ticket
        ),
    )
    ack = next(m for m in mail.outbox if "Received" in m.subject)
    assert "Screen shows <b>error</b> & quits" in ack.body
    assert ack.content_subtype == "plain"


def test_a_ticket_email_queued_twice_is_sent_once(world, django_capture_on_commit_callbacks):
    ticket = _run(django_capture_on_commit_callbacks, lambda: th.in_progress(world))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify_on_commit("reopened", ticket)
        notify_on_commit("reopened", ticket)  # the same event, told twice
    # And the task run again later (django-q2 retrying it after a worker died).
    assert send_ticket_email("reopened", ticket.pk, event=f"v{ticket.version}") == 0
    assert len(mail.outbox) == 1
    assert ticket.events.filter(kind=EventKind.NOTIFIED, data__kind="reopened").count() == 1


def test_the_same_kind_of_email_for_two_events_is_two_emails(
    world, django_capture_on_commit_callbacks
):
    ticket = _run(django_capture_on_commit_callbacks, lambda: th.in_progress(world))
    for answer in ("It is back.", "It broke again."):
        with django_capture_on_commit_callbacks(execute=True):
            ticket = svc.resolve(ticket, by=Actor.of(world.hannah), resolution="Fixed.")
        with django_capture_on_commit_callbacks(execute=True):
            svc.add_message(ticket, by=Actor.of(world.pat.user), body=answer)  # reopens it
        ticket.refresh_from_db()
    reopened = [m for m in mail.outbox if m.subject.startswith(f"[{ticket.reference}] Reopened")]
    assert len(reopened) == 2
    assert all(m.to == ["hannah@example.org"] for m in reopened)
