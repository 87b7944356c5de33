"""Notices of system problems: audience, individual delivery in batches, history, linking,
bulk resolution and the possible-outage prompt."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from escalation.workflow import TicketState as S
from helpdesk import emails
from helpdesk.actor import Actor
from helpdesk.directory.permissions import person_of
from helpdesk.directory.roles import Role, roles_of
from helpdesk.lib import background
from helpdesk.models import (
    AgencyKind,
    AuditEvent,
    AuditKind,
    EventKind,
    Notice,
    NoticeAudience,
    OutboundEmail,
    Severity,
    System,
    UpdateKind,
    User,
)
from helpdesk.notices import selectors
from helpdesk.notices import services as svc
from helpdesk.reports import services as reports
from helpdesk.tickets import services as ticket_svc
from helpdesk.transitions import ConflictError
from tests.factories import (
    AgencyFactory,
    DesignationFactory,
    OfficeFactory,
    PersonFactory,
    UserFactory,
)
from tests.helpdesk.ticket_helpers import in_progress, problem_report, submitted, with_mis
from tests.outgoing_mail import assert_ours

pytestmark = pytest.mark.django_db


def draft(**overrides) -> svc.NoticeDraft:
    fields = {
        "title": "CCMS does not load",
        "systems": [System.CCMS],
        "severity": Severity.OUTAGE,
        "text": "CCMS shows a blank page after sign-in. Work on paper meanwhile.",
    }
    return svc.NoticeDraft(**(fields | overrides))


def publish(world, capture, **overrides):
    with capture(execute=True):
        return svc.publish_notice(draft(**overrides), by=Actor.of(world.hannah))


def expert_of(agency_kwargs=None, *, email):
    office = OfficeFactory(agency=AgencyFactory(**(agency_kwargs or {})))
    person = PersonFactory(office=office, email=email)
    DesignationFactory(office=office, person=person)
    return person


# --- Audience -------------------------------------------------------------------------------------


def test_all_local_experts_get_it_primary_and_alternate_once_each(world):
    notice = svc.publish_notice(draft(), by=Actor.of(world.hannah))
    # pat and alex (primary, alternate of one office) and otto (another agency); not the
    # agency user, not staff.
    assert selectors.recipient_addresses(notice) == [
        "alex@example.org",
        "otto@example.org",
        "pat@example.org",
    ]


def test_audience_by_agency_kind(world):
    site_expert = expert_of({"site": True}, email="sam.site@example.org")
    notice = svc.publish_notice(
        draft(audience=NoticeAudience.AGENCY_KIND, agency_kind=AgencyKind.SITE),
        by=Actor.of(world.hannah),
    )
    assert selectors.recipient_addresses(notice) == [site_expert.primary_email]


def test_audience_by_region(world):
    region = world.other_office.agency.region
    assert region != world.office.agency.region
    notice = svc.publish_notice(
        draft(audience=NoticeAudience.REGION, regions=(region,)), by=Actor.of(world.hannah)
    )
    assert selectors.recipient_addresses(notice) == ["otto@example.org"]


def test_audience_by_agency(world):
    notice = svc.publish_notice(
        draft(audience=NoticeAudience.AGENCY, agencies=(world.office.agency,)),
        by=Actor.of(world.hannah),
    )
    assert selectors.recipient_addresses(notice) == ["alex@example.org", "pat@example.org"]


def test_former_experts_inactive_people_and_inactive_agencies_are_left_out(world):
    gone = expert_of(email="gone@example.org")
    gone.active = False
    gone.save()
    closed = expert_of(email="closed@example.org")
    closed.office.agency.active = False
    closed.office.agency.save()
    notice = svc.publish_notice(draft(), by=Actor.of(world.hannah))
    assert "gone@example.org" not in selectors.recipient_addresses(notice)
    assert "closed@example.org" not in selectors.recipient_addresses(notice)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"text": ""}, "text"),
        ({"systems": []}, "systems"),
        ({"systems": ["mainframe"]}, "systems"),
        ({"audience": NoticeAudience.AGENCY_KIND}, "agency_kind"),
        ({"audience": NoticeAudience.REGION}, "regions"),
        ({"audience": NoticeAudience.AGENCY}, "agencies"),
    ],
)
def test_a_notice_missing_what_it_needs_is_refused_with_the_field(world, changes, field):
    with pytest.raises(ValidationError) as error:
        svc.publish_notice(draft(**changes), by=Actor.of(world.hannah))
    assert field in error.value.message_dict
    assert not Notice.objects.exists()


def test_expected_end_before_the_start_is_refused(world):
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        svc.publish_notice(
            draft(starts_at=now, expected_end_at=now - timedelta(hours=1)),
            by=Actor.of(world.hannah),
        )
    assert "expected_end_at" in error.value.message_dict


@pytest.mark.parametrize("who", ["pat", "mike", "alice"])
def test_only_help_desk_staff_publish(world, who):
    user = getattr(world, who)
    user = getattr(user, "user", user)
    with pytest.raises(PermissionDenied):
        svc.publish_notice(draft(), by=Actor.of(user))


# --- Delivery -------------------------------------------------------------------------------------


def test_each_recipient_gets_their_own_message_after_commit(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        notice = svc.publish_notice(draft(), by=Actor.of(world.hannah))
        assert mailoutbox == []  # nothing leaves before the commit
    # The batch tasks queue one message per address, each sent after the commit that queued it.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert sorted(m.to[0] for m in mailoutbox) == [
        "alex@example.org",
        "otto@example.org",
        "pat@example.org",
    ]
    for message in mailoutbox:
        assert len(message.to) == 1
        assert message.cc == []
        assert message.bcc == []
        assert message.subject == f"[Notice {notice.pk}] Outage: CCMS does not load"
        assert "CCMS shows a blank page" in message.body
        assert_ours(message)
        assert message.extra_headers["X-CCAP-Notice"] == str(notice.pk)
    update = notice.updates.get()
    assert (update.kind, update.recipients) == (UpdateKind.PUBLISHED, 3)
    assert OutboundEmail.objects.filter(key__startswith=f"notice:{notice.pk}:").count() == 3


def test_recipients_are_sent_in_batches_one_task_each(
    world, settings, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    settings.BULK_EMAIL_BATCH_SIZE = 2
    for n in range(4):
        expert_of(email=f"expert{n}@example.org")
    queued = []
    monkeypatch.setattr(background, "async_task", lambda *args, **kw: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        notice = svc.publish_notice(draft(), by=Actor.of(world.hannah))
    # 7 addresses in batches of 2: 4 tasks, nothing sent by the request itself.
    update = notice.updates.get()
    assert [len(args[1]) for args in queued] == [2, 2, 2, 1]
    assert {(args[0], args[2]) for args in queued} == {
        ("helpdesk.notices.tasks.send_notice_batch", update.pk)
    }
    assert sorted(a for args in queued for a in args[1]) == selectors.recipient_addresses(notice)
    assert mailoutbox == []
    # Each batch, run by the worker, queues one message per address, each its own send task.
    from helpdesk.notices.tasks import send_notice_batch

    batch = queued[0][1:]
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_notice_batch(*batch) == 2
    assert [args[0] for args in queued] == ["helpdesk.emails.deliver"] * 2
    for _, outbound_id in queued:
        emails.deliver(outbound_id)
    assert [m.to for m in mailoutbox] == [[a] for a in batch[0]]


def test_a_batch_run_twice_sends_each_message_once(world, mailoutbox, capture_on_commit):
    notice = publish(world, capture_on_commit)
    update = notice.updates.get()
    assert len(mailoutbox) == 3
    with capture_on_commit(execute=True):
        assert svc.send_notice_batch(["pat@example.org", "new@example.org"], update.pk) == 1
    assert [m.to for m in mailoutbox[3:]] == [["new@example.org"]]


def test_a_resolution_batch_run_twice_writes_each_timeline_line_once(world, capture_on_commit):
    notice = publish(world, capture_on_commit)
    ticket = in_progress(world)
    svc.link_ticket(ticket, notice, by=Actor.of(world.hannah))
    with capture_on_commit(execute=True):
        outcome = svc.resolve_notice(
            notice, by=Actor.of(world.hannah), text="Back.", resolve_tickets=True
        )
    notified = ticket.events.filter(kind=EventKind.NOTIFIED, note__contains="resolution")
    assert notified.count() == 2  # pat (the form's contact) and alice (its secondary contact)
    assert svc.send_notice_batch(["pat@example.org"], outcome.update.pk) == 0
    assert notified.count() == 2


def test_updates_and_resolution_go_out_the_same_way_and_are_the_history(
    world, mailoutbox, capture_on_commit
):
    notice = publish(world, capture_on_commit)
    back = timezone.now() + timedelta(hours=3)
    with capture_on_commit(execute=True):
        svc.post_update(
            notice, by=Actor.of(world.hannah), text="MIS found the cause.", expected_end_at=back
        )
    with capture_on_commit(execute=True):
        svc.resolve_notice(notice, by=Actor.of(world.hannah), text="CCMS is back.")
    notice.refresh_from_db()
    assert not notice.is_open
    assert notice.text == "CCMS is back."
    history = list(notice.updates.values_list("kind", "text"))
    assert history == [
        (UpdateKind.PUBLISHED, draft().text),
        (UpdateKind.UPDATE, "MIS found the cause."),
        (UpdateKind.RESOLVED, "CCMS is back."),
    ]
    subjects = sorted({m.subject for m in mailoutbox})
    assert subjects == sorted(
        f"[Notice {notice.pk}] {s}"
        for s in (
            "Outage: CCMS does not load",
            "Update: CCMS does not load",
            "Resolved: CCMS does not load",
        )
    )
    assert len(mailoutbox) == 9  # three messages, three experts, one each
    kinds = list(
        AuditEvent.objects.for_object(notice).order_by("at", "id").values_list("kind", flat=True)
    )
    assert kinds == [
        AuditKind.NOTICE_PUBLISHED,
        AuditKind.NOTICE_UPDATED,
        AuditKind.TRANSITION,  # resolving is a transition on the one path
    ]


def test_a_resolved_notice_takes_no_update_and_cannot_be_resolved_twice(world, capture_on_commit):
    notice = publish(world, capture_on_commit)
    svc.resolve_notice(notice, by=Actor.of(world.hannah), text="Fixed.")
    with pytest.raises(ConflictError):
        svc.post_update(notice, by=Actor.of(world.hannah), text="More news")
    with pytest.raises(ConflictError):
        svc.resolve_notice(notice, by=Actor.of(world.hannah), text="Fixed again.")


def test_a_stale_version_is_a_conflict_not_an_overwrite(world, capture_on_commit):
    notice = publish(world, capture_on_commit)
    svc.post_update(
        notice, by=Actor.of(world.hannah), text="First", expected_version=notice.version
    )
    with pytest.raises(ConflictError):
        svc.post_update(
            notice, by=Actor.of(world.hannah), text="Second", expected_version=notice.version
        )
    assert Notice.objects.get().text == "First"


# --- Linking and bulk resolution ------------------------------------------------------------------


def test_link_records_the_timeline_and_audit(world, capture_on_commit):
    notice = publish(world, capture_on_commit)
    ticket = submitted(world)
    svc.link_ticket(ticket, notice, by=Actor.of(world.hannah))
    ticket.refresh_from_db()
    assert ticket.notice == notice
    assert ticket.events.filter(kind=EventKind.NOTICE).exists()
    assert AuditEvent.objects.for_object(ticket).filter(after={"notice": notice.pk}).exists()
    svc.unlink_ticket(ticket, by=Actor.of(world.hannah))
    ticket.refresh_from_db()
    assert ticket.notice is None


def test_a_local_expert_links_only_their_own_report_to_a_notice_meant_for_them(
    world, capture_on_commit
):
    ticket = submitted(world)
    for_them = publish(world, capture_on_commit)
    for_others = publish(
        world,
        capture_on_commit,
        audience=NoticeAudience.AGENCY,
        agencies=(world.other_office.agency,),
    )
    svc.link_ticket(ticket, for_them, by=Actor.of(world.pat.user))
    with pytest.raises(PermissionDenied):
        svc.link_ticket(ticket, for_others, by=Actor.of(world.pat.user))
    with pytest.raises(PermissionDenied):
        svc.link_ticket(ticket, for_them, by=Actor.of(world.otto.user))


def test_publishing_can_link_the_reports_already_in(world, capture_on_commit):
    ccms = reports.report_from_web(
        problem_report(system=System.CCMS), by=Actor.of(world.pat.user), office=world.office
    ).ticket
    ccts = submitted(world)  # CCTS: another system
    with capture_on_commit(execute=True):
        notice = svc.publish_notice(draft(), by=Actor.of(world.hannah), link_reported=True)
    assert list(notice.tickets.all()) == [ccms]
    ccts.refresh_from_db()
    assert ccts.notice is None


def test_open_notices_about_a_system_for_an_agency(world, capture_on_commit):
    for_all = publish(world, capture_on_commit)
    publish(world, capture_on_commit, systems=[System.CCTS])
    publish(
        world,
        capture_on_commit,
        audience=NoticeAudience.AGENCY,
        agencies=(world.other_office.agency,),
    )
    assert selectors.open_notices_about(System.CCMS, world.office.agency) == [for_all]


def test_resolving_resolves_the_linked_tickets_with_one_message_per_expert(
    world, mailoutbox, capture_on_commit
):
    notice = publish(world, capture_on_commit)
    one = reports.report_from_web(
        problem_report(system=System.CCMS, contact_email="pat@example.org"),
        by=Actor.of(world.pat.user),
        office=world.office,
    ).ticket
    two = in_progress(world)
    mis = with_mis(world)
    other_office = reports.report_from_web(
        problem_report(system=System.CCMS, contact_email="otto@example.org", secondary_email=""),
        by=Actor.of(world.otto.user),
        office=world.other_office,
    ).ticket
    already = ticket_svc.resolve(
        in_progress(world), by=Actor.of(world.hannah), resolution="Done before."
    )
    for ticket in (one, two, mis, other_office, already):
        svc.link_ticket(ticket, notice, by=Actor.of(world.hannah))
    mailoutbox.clear()

    with capture_on_commit(execute=True):
        outcome = svc.resolve_notice(
            notice, by=Actor.of(world.hannah), text="CCMS is back.", resolve_tickets=True
        )

    assert sorted(t.pk for t in outcome.resolved) == sorted([one.pk, two.pk, other_office.pk])
    assert [t.pk for t in outcome.left_open] == [mis.pk]  # not the one resolved before
    for ticket in (one, two, other_office):
        ticket.refresh_from_db()
        assert ticket.state == S.RESOLVED
        assert ticket.resolution == "CCMS is back."
    mis.refresh_from_db()
    assert mis.state == S.ESCALATED_TO_MIS
    # One message per address: the resolution, listing that expert's own tickets; no separate
    # "ticket resolved" emails.
    by_address = {}
    for message in mailoutbox:
        assert len(message.to) == 1
        by_address.setdefault(message.to[0], []).append(message)
    assert all(len(messages) == 1 for messages in by_address.values())
    assert set(by_address) == {
        "pat@example.org",
        "alex@example.org",
        "otto@example.org",
        "alice@example.org",  # the secondary contact on the Problem Report Form
    }
    pat = by_address["pat@example.org"][0].body
    assert one.reference in pat
    assert two.reference in pat
    assert other_office.reference not in pat
    otto = by_address["otto@example.org"][0].body
    assert other_office.reference in otto
    assert one.reference not in otto
    assert one.reference not in by_address["alex@example.org"][0].body
    assert not OutboundEmail.objects.filter(kind="resolved").exists()


# --- Banner and the possible-outage prompt --------------------------------------------------------


def test_banner_by_role_and_audience(world, capture_on_commit):
    for_northern = publish(
        world, capture_on_commit, audience=NoticeAudience.AGENCY, agencies=(world.office.agency,)
    )
    resolved = publish(world, capture_on_commit)
    svc.resolve_notice(resolved, by=Actor.of(world.hannah), text="Fixed.")
    assert selectors.banner_notices(world.pat.user) == [for_northern]
    assert selectors.banner_notices(world.alice.user) == [for_northern]
    assert selectors.banner_notices(world.otto.user) == []
    assert selectors.banner_notices(world.hannah) == [for_northern]
    assert selectors.banner_notices(world.mike) == [for_northern]


def test_banner_shows_the_worst_first(world, capture_on_commit):
    planned = publish(world, capture_on_commit, severity=Severity.PLANNED)
    outage = publish(world, capture_on_commit, severity=Severity.OUTAGE)
    degraded = publish(world, capture_on_commit, severity=Severity.DEGRADED)
    assert selectors.banner_notices(world.pat.user) == [outage, degraded, planned]


def _report_from_offices(world, n, system=System.CCMS):
    """``n`` reports of ``system``, each from the local expert of another office."""
    tickets = []
    for _ in range(n):
        office = OfficeFactory()
        expert = PersonFactory(office=office, user=UserFactory(roles=[Role.LOCAL_EXPERT]))
        DesignationFactory(office=office, person=expert)
        tickets.append(
            reports.report_from_web(
                problem_report(system=system), by=Actor.of(expert.user), office=office
            ).ticket
        )
    return tickets


def test_several_offices_reporting_one_system_is_a_possible_outage(world, settings):
    settings.NOTICE_OUTAGE_OFFICES = 3
    settings.NOTICE_OUTAGE_WINDOW_MINUTES = 60
    _report_from_offices(world, 2)
    assert selectors.possible_outages() == []
    _report_from_offices(world, 1, system=System.CCTS)
    assert selectors.possible_outages() == []  # two offices on CCMS, one on CCTS
    _report_from_offices(world, 1)
    [outage] = selectors.possible_outages()
    assert (outage.system, outage.offices, outage.tickets) == (System.CCMS, 3, 3)
    # Outside the window, nothing.
    assert selectors.possible_outages(timezone.now() + timedelta(minutes=61)) == []


def test_an_open_notice_about_the_system_stops_the_prompt(world, settings, capture_on_commit):
    settings.NOTICE_OUTAGE_OFFICES = 2
    _report_from_offices(world, 2)
    assert len(selectors.possible_outages()) == 1
    publish(world, capture_on_commit)
    assert selectors.possible_outages() == []


def test_linked_tickets_do_not_count_towards_a_new_prompt(world, settings, capture_on_commit):
    settings.NOTICE_OUTAGE_OFFICES = 2
    tickets = _report_from_offices(world, 2)
    notice = publish(world, capture_on_commit)
    for ticket in tickets:
        svc.link_ticket(ticket, notice, by=Actor.of(world.hannah))
    svc.resolve_notice(notice, by=Actor.of(world.hannah), text="Fixed.")
    assert selectors.possible_outages() == []


def test_the_acknowledgement_names_an_open_notice_about_the_system(
    world, mailoutbox, capture_on_commit
):
    notice = publish(world, capture_on_commit)
    mailoutbox.clear()
    with capture_on_commit(execute=True):
        reports.report_from_web(
            problem_report(system=System.CCMS), by=Actor.of(world.pat.user), office=world.office
        )
    ack = next(m for m in mailoutbox if "received your Problem Report Form" in m.body)
    assert f"Notice {notice.pk}: CCMS does not load" in ack.body


def test_the_banner_costs_one_query_once_the_request_knows_the_user(
    world, capture_on_commit, django_assert_num_queries
):
    publish(
        world, capture_on_commit, audience=NoticeAudience.AGENCY, agencies=(world.office.agency,)
    )
    user = User.objects.get(pk=world.alice.user.pk)
    roles_of(user)  # every page reads these first (navigation, permissions)
    person_of(user)
    with django_assert_num_queries(1):
        assert len(selectors.banner_notices(user)) == 1
