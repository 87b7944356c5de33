"""Ticket use cases: tracking numbers, priorities, conflicts, SLA clocks, timeline and audit."""

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection

from escalation import calendar
from escalation.workflow import Priority
from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.lib.sequences import next_tracking_number
from helpdesk.models import (
    AuditEvent,
    AuditKind,
    EventKind,
    System,
    Ticket,
    TrackingSequence,
    WhoAffected,
)
from helpdesk.reports import services as reports
from helpdesk.tickets import services as svc
from helpdesk.transitions import ConflictError
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
# A Tuesday morning with no holiday near.
TUESDAY_9AM = datetime(2026, 3, 10, 9, 0, tzinfo=CHICAGO)


def test_an_agency_report_goes_to_the_acting_local_expert(world):
    ticket = th.reported(world)
    assert ticket.local_expert == world.pat
    # One reference from the start (issue 16), though not yet at the help desk.
    assert ticket.tracking_number.startswith(f"CCAP-{ticket.created_at.year}-")
    assert ticket.submitted_at is None
    from tests.factories import AbsenceFactory

    AbsenceFactory(person=world.pat)
    assert th.reported(world).local_expert == world.alex


def test_the_report_keeps_its_tracking_number_when_it_reaches_the_help_desk(world):
    ticket = th.reported(world)
    reference = ticket.reference
    escalated = reports.report_from_web(
        th.problem_report(),
        by=Actor.of(world.pat.user),
        office=world.office,
        from_ticket=ticket,
        expected_version=ticket.version,
    ).ticket
    assert escalated.pk == ticket.pk
    assert escalated.tracking_number == reference
    assert TrackingSequence.objects.get().last_value == 1  # no second number taken
    assert escalated.state == S.SUBMITTED
    assert escalated.contact_email == "pat@example.org"


def test_tracking_numbers_are_sequential_per_year_and_restart(world):
    assert next_tracking_number(2026) == "CCAP-2026-000001"
    assert next_tracking_number(2026) == "CCAP-2026-000002"
    assert next_tracking_number(2027) == "CCAP-2027-000001"


def test_tracking_numbers_without_update_returning_are_the_same(world):
    """Databases that cannot return the updated value (SQLite before 3.35) read it back."""
    features = connection.features
    with mock.patch.object(features, "can_return_columns_from_insert", False):
        assert next_tracking_number(2026) == "CCAP-2026-000001"
        assert next_tracking_number(2026) == "CCAP-2026-000002"
    assert next_tracking_number(2026) == "CCAP-2026-000003"


def test_priority_follows_who_is_experiencing_the_problem(world):
    for affected, priority in [
        (WhoAffected.JUST_ME, Priority.LOW),
        (WhoAffected.ENTIRE_AGENCY, Priority.CRITICAL),
    ]:
        ticket = reports.report_from_web(
            th.problem_report(who_affected=affected),
            by=Actor.of(world.pat.user),
            office=world.office,
        ).ticket
        assert ticket.priority == priority


def test_help_desk_staff_may_change_the_priority_and_the_targets_follow(world):
    ticket = th.submitted(world)
    due_before = ticket.resolution_due_at
    changed = svc.set_priority(ticket, by=Actor.of(world.hannah), priority=Priority.CRITICAL)
    assert changed.priority == Priority.CRITICAL
    assert changed.resolution_due_at < due_before
    with pytest.raises(PermissionDenied):
        svc.set_priority(changed, by=Actor.of(world.pat.user), priority=Priority.LOW)


def test_a_local_expert_of_another_agency_cannot_escalate_for_this_office(world):
    with pytest.raises(PermissionDenied):
        reports.report_from_web(
            th.problem_report(), by=Actor.of(world.otto.user), office=world.office
        )


def test_a_stale_page_gets_a_conflict_and_changes_nothing(world):
    ticket = th.submitted(world)
    seen = ticket.version
    svc.assign(ticket, by=Actor.of(world.hannah), assignee=world.hannah, expected_version=seen)
    with pytest.raises(ConflictError, match="changed by someone else"):
        svc.reject(ticket, by=Actor.of(world.hannah), reason="Duplicate", expected_version=seen)
    assert Ticket.objects.get(pk=ticket.pk).state == S.IN_PROGRESS


def test_an_action_the_state_no_longer_allows_is_a_conflict(world):
    ticket = th.resolved(world)
    svc.close(ticket, by=Actor.of(world.pat.user))
    with pytest.raises(ConflictError, match="closed now"):
        svc.close(ticket, by=Actor.of(world.hannah))


def test_every_transition_writes_an_audit_event_and_a_timeline_entry(world):
    ticket = th.with_mis(world)
    transitions = list(
        ticket.events.filter(kind=EventKind.TRANSITION).values_list("from_state", "to_state")
    )
    assert transitions == [
        ("", S.WITH_LOCAL_EXPERT),
        (S.WITH_LOCAL_EXPERT, S.SUBMITTED),
        (S.SUBMITTED, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.ESCALATED_TO_MIS),
    ]
    audited = AuditEvent.objects.for_object(ticket).filter(kind=AuditKind.TRANSITION)
    assert [e.after["state"] for e in audited.order_by("id")] == [
        S.SUBMITTED,
        S.IN_PROGRESS,
        S.ESCALATED_TO_MIS,
    ]
    assert audited.get(after__state=S.ESCALATED_TO_MIS).actor == world.hannah
    assert ticket.mis_reference == "MIS-77"


class TestSlaClocks:
    def test_clocks_start_in_business_hours_when_the_report_arrives(self, world):
        with time_machine.travel(TUESDAY_9AM, tick=False):
            ticket = th.submitted(world)  # P3: respond in 4 h, resolve or escalate in 18 h
        assert ticket.response_due_at == datetime(2026, 3, 10, 13, 0, tzinfo=CHICAGO)
        assert ticket.resolution_due_at == calendar.add_business_hours(TUESDAY_9AM, 18)
        assert ticket.resolution_due_at == datetime(2026, 3, 12, 9, 0, tzinfo=CHICAGO)

    def test_a_request_for_information_pauses_and_the_reply_resumes_where_it_was(self, world):
        with time_machine.travel(TUESDAY_9AM, tick=False):
            ticket = th.in_progress(world)
        due = ticket.resolution_due_at  # Thursday 9:00, 18 business hours away
        with time_machine.travel(TUESDAY_9AM + timedelta(hours=2), tick=False):
            paused = svc.request_info(ticket, by=Actor.of(world.hannah), question="Which PC?")
        assert paused.sla_paused_at is not None
        # The local expert answers a week later: the 16 hours left start again from then.
        answered_at = datetime(2026, 3, 17, 10, 0, tzinfo=CHICAGO)
        with time_machine.travel(answered_at, tick=False):
            resumed = svc.add_message(
                paused, by=Actor.of(world.pat.user), body="PC-12 at the front desk."
            )
        ticket = Ticket.objects.get(pk=ticket.pk)
        assert ticket.state == S.IN_PROGRESS
        assert ticket.sla_paused_at is None
        left = calendar.business_hours_between(TUESDAY_9AM + timedelta(hours=2), due)
        assert left == 16
        assert ticket.resolution_due_at == calendar.add_business_hours(answered_at, 16)
        assert resumed.body == "PC-12 at the front desk."

    def test_a_reply_returns_an_mis_ticket_to_mis(self, world):
        ticket = th.awaiting_info_from_mis(world)
        svc.provide_info(ticket, by=Actor.of(world.pat.user), answer="Case 123")
        assert Ticket.objects.get(pk=ticket.pk).state == S.ESCALATED_TO_MIS

    def test_escalating_to_mis_starts_mis_targets(self, world):
        with time_machine.travel(TUESDAY_9AM, tick=False):
            ticket = th.with_mis(world)
        assert ticket.mis_escalated_at == TUESDAY_9AM
        assert ticket.mis_update_due_at == datetime(2026, 3, 11, 9, 0, tzinfo=CHICAGO)  # 9 h

    def test_a_reply_from_the_local_expert_reopens_a_resolved_ticket(self, world):
        ticket = th.resolved(world)
        assert ticket.auto_close_at is not None
        svc.add_message(ticket, by=Actor.of(world.alex.user), body="Still broken.")
        ticket = Ticket.objects.get(pk=ticket.pk)
        assert ticket.state == S.IN_PROGRESS
        assert ticket.auto_close_at is None


def test_only_staff_write_internal_notes(world):
    ticket = th.in_progress(world)
    with pytest.raises(PermissionDenied):
        svc.add_message(ticket, by=Actor.of(world.pat.user), body="psst", internal=True)
    note = svc.add_message(
        ticket, by=Actor.of(world.hannah), body="Known CCTS issue", internal=True
    )
    assert note.internal


def test_linking_tickets_is_symmetrical_and_on_both_timelines(world):
    one, two = th.submitted(world), th.submitted(world)
    svc.link_tickets(one, two, by=Actor.of(world.hannah))
    assert list(two.related.all()) == [one]
    assert one.events.filter(kind=EventKind.LINKED).exists()
    assert two.events.filter(kind=EventKind.LINKED).exists()
    assert one.system == System.CCTS
