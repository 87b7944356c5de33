"""Notice pages for every role: who reads, who publishes, the banner, escaping, linking from
the Problem Report Form and the ticket page, the prompt in the help desk queue."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.lib.confirm import FIELD
from helpdesk.models import Notice, NoticeAudience, Severity, System, Ticket
from helpdesk.notices import services as svc
from helpdesk.reports import services as reports
from tests.confirming import confirmation_page
from tests.helpdesk.ticket_helpers import in_progress, problem_report, submitted

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def login(client, world, persona):
    who = getattr(world, persona)
    client.force_login(getattr(who, "user", who))


def publish(world, **overrides):
    fields = {
        "title": "CCMS does not load",
        "systems": [System.CCMS],
        "severity": Severity.OUTAGE,
        "text": "Blank page after sign-in.",
    }
    return svc.publish_notice(svc.NoticeDraft(**(fields | overrides)), by=Actor.of(world.hannah))


def for_other_agency(world, **overrides):
    return publish(
        world,
        title="Only for the other agency",
        audience=NoticeAudience.AGENCY,
        agencies=(world.other_office.agency,),
        **overrides,
    )


def table(html: str) -> str:
    match = re.search(r"<table>.*?</table>", html, re.S)
    return match.group(0) if match else ""


def banner(html: str) -> str:
    match = re.search(r'<div class="notice-banner".*?</div>', html, re.S)
    return match.group(0) if match else ""


# --- Reading --------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    notice = publish(world)
    for url in (reverse("notice_list"), reverse("notice_detail", args=[notice.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "sees_other_agencys"),
    [("alice", False), ("pat", False), ("otto", True), ("hannah", True), ("mike", True)],
)
def test_each_role_reads_the_notices_meant_for_them(client, world, persona, sees_other_agencys):
    mine = publish(world, title="For everybody")
    other = for_other_agency(world)
    login(client, world, persona)
    listing = client.get(reverse("notice_list")).content.decode()
    assert mine.title in listing
    assert (other.title in listing) is sees_other_agencys
    response = client.get(reverse("notice_detail", args=[other.pk]))
    assert response.status_code == (200 if sees_other_agencys else 404)


def test_the_banner_shows_open_notices_to_their_audience_only(client, world):
    other = for_other_agency(world)
    login(client, world, "pat")
    assert banner(client.get(reverse("home")).content.decode()) == ""
    login(client, world, "otto")
    shown = banner(client.get(reverse("home")).content.decode())
    assert other.title in shown
    assert reverse("notice_detail", args=[other.pk]) in shown
    svc.resolve_notice(other, by=Actor.of(world.hannah), text="Fixed.")
    assert banner(client.get(reverse("home")).content.decode()) == ""


def test_the_banner_is_on_every_page_not_just_home(client, world):
    notice = publish(world)
    login(client, world, "alice")
    page = client.get(reverse("queue", args=["mine"])).content.decode()
    assert notice.title in banner(page)


def test_no_banner_and_no_query_for_anonymous_pages(client, world, django_assert_num_queries):
    publish(world)
    with django_assert_num_queries(0):
        page = client.get(reverse("login")).content.decode()
    assert banner(page) == ""


def test_hostile_text_stays_text_in_banner_list_detail_and_ticket(client, world):
    notice = publish(world, title=HOSTILE, text=HOSTILE)
    ticket = submitted(world)
    svc.link_ticket(ticket, notice, by=Actor.of(world.hannah))
    login(client, world, "hannah")
    pages = [
        client.get(reverse("home")).content.decode(),
        client.get(reverse("notice_list")).content.decode(),
        client.get(reverse("notice_detail", args=[notice.pk])).content.decode(),
        client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode(),
    ]
    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_list_filters_by_status_and_system(client, world):
    open_ccms = publish(world, title="Open CCMS problem")
    ccts = publish(world, title="CCTS slow", systems=[System.CCTS])
    old = publish(world, title="Old one")
    svc.resolve_notice(old, by=Actor.of(world.hannah), text="Fixed.")
    login(client, world, "pat")
    default = table(client.get(reverse("notice_list")).content.decode())
    assert open_ccms.title in default
    assert ccts.title in default
    assert old.title not in default
    resolved = table(client.get(reverse("notice_list"), {"status": "resolved"}).content.decode())
    assert old.title in resolved
    assert open_ccms.title not in resolved
    by_system = table(client.get(reverse("notice_list"), {"system": System.CCTS}).content.decode())
    assert ccts.title in by_system
    assert open_ccms.title not in by_system
    bad = client.get(reverse("notice_list"), {"status": "<x>", "system": "nope"})
    assert bad.status_code == 200


def test_readers_see_only_their_own_linked_tickets(client, world):
    notice = publish(world)
    mine = submitted(world)
    theirs = Ticket.objects.get(
        pk=reports.report_from_web(
            problem_report(system=System.CCMS),
            by=Actor.of(world.otto.user),
            office=world.other_office,
        ).ticket.pk
    )
    for ticket in (mine, theirs):
        svc.link_ticket(ticket, notice, by=Actor.of(world.hannah))
    login(client, world, "pat")
    page = client.get(reverse("notice_detail", args=[notice.pk])).content.decode()
    assert mine.reference in page
    assert theirs.reference not in page


# --- Publishing, updating, resolving --------------------------------------------------------------


@pytest.mark.parametrize("persona", ["alice", "pat", "mike"])
def test_only_help_desk_staff_may_publish_update_or_resolve(client, world, persona):
    notice = publish(world)
    login(client, world, persona)
    assert client.get(reverse("notice_new")).status_code == 403
    assert client.post(reverse("notice_new"), {"title": "x"}).status_code == 403
    forged = {"text": "forged", "version": notice.version}
    for name in ("notice_update", "notice_resolve", "notice_link_tickets"):
        response = client.post(
            reverse(name, args=[notice.pk]),
            {f"{p}-{k}": v for p in ("update", "resolve") for k, v in forged.items()},
        )
        assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.is_open
    assert notice.updates.count() == 1


def test_help_desk_publishes_from_the_form(client, world, mailoutbox, capture_on_commit):
    login(client, world, "hannah")
    page = client.get(reverse("notice_new"), {"system": System.CCMS}).content.decode()
    assert re.search(r'value="ccms"[^>]*checked', page)
    form = {
        "title": "InfoView reports fail",
        "systems": [System.INFOVIEW],
        "severity": Severity.DEGRADED,
        "audience": NoticeAudience.REGION,
        "regions": [world.office.agency.region.pk],
        "text": "Reports time out.",
        "expected_end_at": (timezone.localtime() + timezone.timedelta(hours=2)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
    }
    # Publishing mails people at once: the page asks first, with how many.
    asked = confirmation_page(client, reverse("notice_new"), form)
    assert "2 local experts will be emailed now" in asked.content.decode()
    assert "Publish and email 2 people" in asked.content.decode()
    assert not Notice.objects.exists()
    with capture_on_commit(execute=True):
        response = client.post(reverse("notice_new"), {**form, FIELD: asked.context["token"]})
    notice = Notice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("notice_detail", args=[notice.pk])
    assert list(notice.regions.all()) == [world.office.agency.region]
    assert sorted(m.to[0] for m in mailoutbox) == ["alex@example.org", "pat@example.org"]


def test_the_form_shows_what_is_missing(client, world):
    login(client, world, "hannah")
    response = client.post(
        reverse("notice_new"),
        {"title": "X", "systems": [System.CCMS], "severity": "outage", "audience": "region"},
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()  # the message
    response = client.post(
        reverse("notice_new"),
        {
            "title": "X",
            "systems": [System.CCMS],
            "severity": "outage",
            "audience": "region",
            "text": "Down.",
        },
    )
    assert response.status_code == 200
    assert "Choose at least one region." in response.content.decode()
    assert not Notice.objects.exists()


def test_update_and_resolve_pages(client, world, mailoutbox, capture_on_commit):
    notice = publish(world)
    ticket = in_progress(world)
    svc.link_ticket(ticket, notice, by=Actor.of(world.hannah))
    login(client, world, "hannah")
    with capture_on_commit(execute=True):
        client.post(
            reverse("notice_update", args=[notice.pk]),
            {"update-text": "Cause found.", "update-version": notice.version},
        )
    notice.refresh_from_db()
    with capture_on_commit(execute=True):
        response = client.post(
            reverse("notice_resolve", args=[notice.pk]),
            {
                "resolve-text": "All working.",
                "resolve-version": notice.version,
                "resolve-resolve_tickets": "on",
            },
            follow=True,
        )
    page = response.content.decode()
    assert "1 linked tickets resolved" in page
    ticket.refresh_from_db()
    assert ticket.state == S.RESOLVED
    assert "Cause found." in page
    assert "All working." in page


def test_a_stale_form_gets_a_conflict_message(client, world):
    notice = publish(world)
    login(client, world, "hannah")
    svc.post_update(notice, by=Actor.of(world.hannah), text="Someone else's update")
    response = client.post(
        reverse("notice_resolve", args=[notice.pk]),
        {"resolve-text": "Fixed.", "resolve-version": 1},
        follow=True,
    )
    assert "changed by someone else" in response.content.decode()
    notice.refresh_from_db()
    assert notice.is_open


def test_a_refused_update_keeps_what_was_typed_with_the_current_version(client, world):
    notice = publish(world)
    login(client, world, "hannah")
    svc.post_update(notice, by=Actor.of(world.hannah), text="Someone else's update")
    response = client.post(
        reverse("notice_update", args=[notice.pk]),
        {"update-text": "Restored at 3 pm; clear the browser cache.", "update-version": 1},
    )
    assert response.status_code == 409
    form = response.context["update_form"]
    assert form["text"].value() == "Restored at 3 pm; clear the browser cache."
    assert int(form["version"].value()) == Notice.objects.get().version
    assert "changed by someone else" in " ".join(form.non_field_errors())


# --- Linking tickets ------------------------------------------------------------------------------


def test_the_problem_report_form_offers_the_open_notice_and_links(client, world):
    notice = publish(world)
    for_other_agency(world)
    login(client, world, "pat")
    page = client.get(reverse("problem_report_new")).content.decode()
    assert "Is this a known problem?" in page
    assert "No, this is a different problem" in page
    assert notice.title in page
    assert "Only for the other agency" not in page
    data = {
        **{k: v for k, v in vars(problem_report(system=System.CCMS)).items() if v is not None},
        "office": world.office.pk,
        "can_duplicate": "yes",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "notice": notice.pk,
    }
    response = client.post(reverse("problem_report_new"), data)
    assert response.status_code == 302
    ticket = Ticket.objects.get(summary=data["summary"])
    assert ticket.notice == notice


def test_the_form_refuses_a_notice_about_another_system(client, world):
    notice = publish(world)
    login(client, world, "pat")
    data = {
        **{k: v for k, v in vars(problem_report(system=System.CCTS)).items() if v is not None},
        "office": world.office.pk,
        "can_duplicate": "yes",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "notice": notice.pk,
    }
    response = client.post(reverse("problem_report_new"), data)
    assert response.status_code == 200
    assert "That notice is about CCMS" in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_form_refuses_a_notice_not_meant_for_the_expert(client, world):
    other = for_other_agency(world)
    login(client, world, "pat")
    data = {
        **{k: v for k, v in vars(problem_report(system=System.CCMS)).items() if v is not None},
        "office": world.office.pk,
        "can_duplicate": "yes",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "notice": other.pk,
    }
    client.post(reverse("problem_report_new"), data)
    assert not Ticket.objects.filter(notice=other).exists()


def test_staff_are_offered_the_notice_on_the_ticket_page_and_link_it(client, world):
    notice = publish(world)
    ticket = reports.report_from_web(
        problem_report(system=System.CCMS), by=Actor.of(world.pat.user), office=world.office
    ).ticket
    login(client, world, "hannah")
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "Link to the notice" in page
    client.post(reverse("ticket_notice", args=[ticket.pk]), {"notice": notice.pk})
    ticket.refresh_from_db()
    assert ticket.notice == notice
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert f'Part of <a href="{reverse("notice_detail", args=[notice.pk])}"' in page
    client.post(reverse("ticket_notice", args=[ticket.pk]), {"unlink": "1"})
    ticket.refresh_from_db()
    assert ticket.notice is None


def test_a_local_expert_cannot_link_or_unlink_from_the_ticket_page(client, world):
    notice = publish(world)
    ticket = reports.report_from_web(
        problem_report(system=System.CCMS), by=Actor.of(world.pat.user), office=world.office
    ).ticket
    login(client, world, "pat")
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "Link to the notice" not in page
    response = client.post(reverse("ticket_notice", args=[ticket.pk]), {"notice": notice.pk})
    assert response.status_code == 403


def test_staff_cannot_link_a_ticket_to_a_notice_about_another_system(client, world):
    notice = publish(world)
    ticket = submitted(world)  # CCTS
    login(client, world, "hannah")
    client.post(reverse("ticket_notice", args=[ticket.pk]), {"notice": notice.pk})
    ticket.refresh_from_db()
    assert ticket.notice is None


def test_candidate_tickets_are_linked_in_one_go(client, world):
    notice = publish(world)
    ticket = reports.report_from_web(
        problem_report(system=System.CCMS), by=Actor.of(world.pat.user), office=world.office
    ).ticket
    login(client, world, "hannah")
    page = client.get(reverse("notice_detail", args=[notice.pk])).content.decode()
    assert "Tickets that may be this problem" in page
    assert ticket.reference in page
    client.post(reverse("notice_link_tickets", args=[notice.pk]), {"tickets": [ticket.pk]})
    assert list(notice.tickets.all()) == [ticket]


# --- The possible-outage prompt -------------------------------------------------------------------


def test_the_help_desk_queue_and_home_prompt_a_notice(client, world, settings):
    settings.NOTICE_OUTAGE_OFFICES = 2
    for by, office in ((world.pat.user, world.office), (world.otto.user, world.other_office)):
        reports.report_from_web(problem_report(system=System.CCMS), by=Actor.of(by), office=office)
    login(client, world, "hannah")
    for url in (reverse("queue", args=["help_desk"]), reverse("home")):
        page = client.get(url).content.decode()
        assert "Possible outage of CCMS" in page
        assert f"{reverse('notice_new')}?system=ccms" in page
    login(client, world, "mike")
    assert "Possible outage" not in client.get(reverse("queue", args=["mis"])).content.decode()
