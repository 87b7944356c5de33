"""The SLA clocks (escalation.sla): where each one starts, what a priority change, a pause, MIS
and a reopening do to it, and the rules of overdue, breach claims and automatic closing.

The tickets are built through the real services; the default SLA policies are the migration's
(P3: respond in 4 business hours, resolve or escalate in 18; at MIS, resolve in 45 and update
every 9; P1: 1 and 4, at MIS 9 and 2)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from escalation import calendar, sla
from escalation.models import SlaPolicy
from escalation.workflow import Priority
from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.models import Ticket
from helpdesk.tickets import services as svc
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
# A Tuesday morning with no holiday near.
TUESDAY_9AM = datetime(2026, 3, 10, 9, 0, tzinfo=CHICAGO)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


# --- Where the clocks start ----------------------------------------------------------------------


def test_taking_a_ticket_on_is_its_first_response_and_a_later_priority_keeps_that_target(world):
    with at(TUESDAY_9AM):
        ticket = th.submitted(world)
    taken_on = TUESDAY_9AM + timedelta(hours=1)
    with at(taken_on):
        ticket = svc.assign(ticket, by=Actor.of(world.hannah), assignee=world.hannah)
    assert ticket.first_response_at == taken_on
    assert ticket.state_changed_at == taken_on
    response_due = ticket.response_due_at
    assert response_due == datetime(2026, 3, 10, 13, 0, tzinfo=CHICAGO)  # P3: 4 h
    # Raising the priority after the response moves the resolution target, not the response one.
    with at(TUESDAY_9AM + timedelta(hours=2)):
        svc.set_priority(ticket, by=Actor.of(world.hannah), priority=Priority.CRITICAL)
    ticket = fresh(ticket)
    assert ticket.response_due_at == response_due
    assert ticket.resolution_due_at == datetime(2026, 3, 10, 13, 0, tzinfo=CHICAGO)  # 4 h


def test_a_priority_change_before_the_first_response_moves_both_targets_from_arrival(world):
    with at(TUESDAY_9AM):
        ticket = th.submitted(world)
    Ticket.objects.filter(pk=ticket.pk).update(
        response_breached_at=TUESDAY_9AM, resolution_breached_at=TUESDAY_9AM
    )
    with at(TUESDAY_9AM + timedelta(minutes=30)):
        svc.set_priority(fresh(ticket), by=Actor.of(world.hannah), priority=Priority.CRITICAL)
    ticket = fresh(ticket)
    # Counted from when the report arrived (9:00), not from the change (9:30).
    assert ticket.response_due_at == datetime(2026, 3, 10, 10, 0, tzinfo=CHICAGO)  # 1 h
    assert ticket.resolution_due_at == datetime(2026, 3, 10, 13, 0, tzinfo=CHICAGO)  # 4 h
    assert ticket.response_breached_at is None
    assert ticket.resolution_breached_at is None


def test_escalating_to_mis_starts_the_mis_resolution_target(world):
    with at(TUESDAY_9AM):
        ticket = th.with_mis(world)
    assert ticket.mis_escalated_at == TUESDAY_9AM
    assert ticket.resolution_due_at == calendar.add_business_hours(TUESDAY_9AM, 45)
    assert ticket.resolution_due_at == datetime(2026, 3, 17, 9, 0, tzinfo=CHICAGO)


def test_a_priority_change_at_mis_counts_the_mis_target_from_the_escalation(world):
    with at(TUESDAY_9AM):
        ticket = th.with_mis(world)
    response_due = ticket.response_due_at
    with at(TUESDAY_9AM + timedelta(hours=1)):
        svc.set_priority(ticket, by=Actor.of(world.hannah), priority=Priority.CRITICAL)
    ticket = fresh(ticket)
    # MIS's P1 target, 9 business hours from the escalation: Wednesday 9:00.
    assert ticket.resolution_due_at == datetime(2026, 3, 11, 9, 0, tzinfo=CHICAGO)
    assert ticket.resolution_breached_at is None
    assert ticket.response_due_at == response_due  # the help desk's targets are history


def test_a_priority_change_on_a_resolved_ticket_moves_no_target(world):
    with at(TUESDAY_9AM):
        ticket = th.with_mis(world)
        ticket = svc.report_mis_resolution(
            ticket, by=Actor.of(world.mike), resolution="Fixed in CCTS."
        )
        ticket = svc.resolve(ticket, by=Actor.of(world.hannah), resolution="Fixed in CCTS.")
    due = ticket.resolution_due_at
    with at(TUESDAY_9AM + timedelta(hours=1)):
        svc.set_priority(ticket, by=Actor.of(world.hannah), priority=Priority.CRITICAL)
    assert fresh(ticket).resolution_due_at == due


def test_mis_reporting_back_gives_the_help_desk_its_response_target_to_pass_it_on(world):
    with at(TUESDAY_9AM):
        ticket = th.with_mis(world)
    Ticket.objects.filter(pk=ticket.pk).update(resolution_breached_at=TUESDAY_9AM)
    reported = datetime(2026, 3, 12, 15, 0, tzinfo=CHICAGO)  # Thursday 15:00
    with at(reported):
        svc.report_mis_resolution(
            fresh(ticket), by=Actor.of(world.mike), resolution="Fixed in CCTS."
        )
    ticket = fresh(ticket)
    assert ticket.state == S.IN_PROGRESS
    assert ticket.mis_update_due_at is None
    # The P3 response target, 4 business hours: two on Thursday, two on Friday.
    assert ticket.resolution_due_at == datetime(2026, 3, 13, 10, 0, tzinfo=CHICAGO)
    assert ticket.resolution_breached_at is None


def test_an_update_from_mis_restarts_its_update_clock_only_while_mis_has_the_ticket(world):
    with at(TUESDAY_9AM):
        ticket = th.with_mis(world)
    Ticket.objects.filter(pk=ticket.pk).update(mis_update_breached_at=TUESDAY_9AM)
    wrote = datetime(2026, 3, 11, 14, 0, tzinfo=CHICAGO)  # Wednesday 14:00
    with at(wrote):
        svc.add_message(fresh(ticket), by=Actor.of(world.mike), body="Looking at it.")
    ticket = fresh(ticket)
    assert ticket.mis_update_due_at == datetime(2026, 3, 12, 14, 0, tzinfo=CHICAGO)  # 9 h
    assert ticket.mis_update_breached_at is None
    # Once MIS has reported back, its messages start no update clock.
    with at(wrote + timedelta(hours=1)):
        svc.report_mis_resolution(ticket, by=Actor.of(world.mike), resolution="Fixed in CCTS.")
        svc.add_message(fresh(ticket), by=Actor.of(world.mike), body="One more thing.")
    assert fresh(ticket).mis_update_due_at is None


def test_resolving_and_closing_record_when(world):
    with at(TUESDAY_9AM):
        ticket = th.resolved(world)
    assert ticket.resolved_at == TUESDAY_9AM
    assert ticket.auto_close_at == datetime(2026, 3, 17, 17, 0, tzinfo=CHICAGO)  # 5 working days
    closed = TUESDAY_9AM + timedelta(hours=3)
    with at(closed):
        ticket = svc.close(ticket, by=Actor.of(world.pat.user))
    assert ticket.closed_at == closed
    assert ticket.auto_close_at is None


@pytest.mark.parametrize(
    "finish",
    [
        lambda world: th.rejected(world),
        lambda world: th.resolved_locally(world),
    ],
    ids=["rejected", "resolved_locally"],
)
def test_a_ticket_that_ends_another_way_records_when_too(world, finish):
    with at(TUESDAY_9AM):
        ticket = finish(world)
    assert ticket.closed_at == TUESDAY_9AM


def test_a_reply_that_reopens_a_resolved_ticket_restarts_its_resolution_target(world):
    with at(TUESDAY_9AM):
        ticket = th.resolved(world)
    Ticket.objects.filter(pk=ticket.pk).update(resolution_breached_at=TUESDAY_9AM)
    replied = datetime(2026, 3, 11, 10, 0, tzinfo=CHICAGO)
    with at(replied):
        svc.add_message(fresh(ticket), by=Actor.of(world.alex.user), body="Still broken.")
    ticket = fresh(ticket)
    assert ticket.state == S.IN_PROGRESS
    assert ticket.resolved_at is None
    assert ticket.resolution_due_at == datetime(2026, 3, 13, 10, 0, tzinfo=CHICAGO)  # 18 h
    assert ticket.resolution_breached_at is None


# --- SLA targets are data ------------------------------------------------------------------------


def test_without_a_policy_for_the_priority_no_clock_runs(world):
    SlaPolicy.objects.filter(priority=Priority.NORMAL).delete()
    with at(TUESDAY_9AM):
        ticket = th.submitted(world)
        assert (ticket.response_due_at, ticket.resolution_due_at) == (None, None)
        ticket = th.with_mis(world)
        assert (ticket.resolution_due_at, ticket.mis_update_due_at) == (None, None)
        svc.add_message(ticket, by=Actor.of(world.mike), body="Looking at it.")
        ticket = fresh(ticket)
        assert ticket.mis_update_due_at is None
        ticket = svc.report_mis_resolution(ticket, by=Actor.of(world.mike), resolution="Fixed.")
        assert ticket.resolution_due_at is None
        ticket = svc.resolve(ticket, by=Actor.of(world.hannah), resolution="Fixed.")
        ticket = svc.reopen(ticket, by=Actor.of(world.hannah), note="Not fixed after all.")
        assert ticket.resolution_due_at is None


def test_a_policy_without_a_response_target_starts_only_the_resolution_clock(world):
    SlaPolicy.objects.filter(priority=Priority.NORMAL, tier=SlaPolicy.Tier.HELP_DESK).update(
        first_response_hours=None
    )
    with at(TUESDAY_9AM):
        ticket = th.submitted(world)
    assert ticket.response_due_at is None
    assert ticket.resolution_due_at == datetime(2026, 3, 12, 9, 0, tzinfo=CHICAGO)  # 18 h


# --- Pauses --------------------------------------------------------------------------------------


def test_a_clock_that_ran_out_as_the_ticket_was_paused_stays_run_out(world):
    with at(TUESDAY_9AM):
        ticket = th.in_progress(world)
    due = TUESDAY_9AM + timedelta(hours=1)
    Ticket.objects.filter(pk=ticket.pk).update(resolution_due_at=due)
    with at(due):  # asked at the very moment the target was reached
        svc.request_info(fresh(ticket), by=Actor.of(world.hannah), question="Which PC?")
    with at(datetime(2026, 3, 17, 10, 0, tzinfo=CHICAGO)):
        svc.provide_info(fresh(ticket), by=Actor.of(world.pat.user), answer="PC-12")
    ticket = fresh(ticket)
    assert ticket.resolution_due_at == due
    assert Ticket.objects.overdue(datetime(2026, 3, 17, 10, 0, tzinfo=CHICAGO)).get() == ticket


def test_a_reply_to_mis_resumes_the_mis_clocks_with_the_time_they_had_left(world):
    with at(TUESDAY_9AM):
        ticket = th.with_mis(world)  # MIS: resolve by Tuesday 17 9:00 (45 h), update in 9 h
    with at(TUESDAY_9AM + timedelta(hours=1)):  # 44 h and 8 h left
        svc.request_info(ticket, by=Actor.of(world.mike), question="Which case number?")
    answered = datetime(2026, 3, 17, 10, 0, tzinfo=CHICAGO)
    with at(answered):
        svc.provide_info(fresh(ticket), by=Actor.of(world.pat.user), answer="Case 123")
    ticket = fresh(ticket)
    assert ticket.state == S.ESCALATED_TO_MIS
    assert ticket.mis_escalated_at == TUESDAY_9AM
    assert ticket.resolution_due_at == calendar.add_business_hours(answered, 44)
    assert ticket.mis_update_due_at == calendar.add_business_hours(answered, 8)


# --- Overdue, breaches, automatic closing --------------------------------------------------------


def test_overdue_is_any_running_clock_past_its_due_time(world):
    with at(TUESDAY_9AM):
        late_response = th.submitted(world)  # responds by 13:00
        late_resolution = th.in_progress(world)
        late_update = th.with_mis(world)  # updates by Wednesday 9:00
        paused = th.awaiting_info(world)
    with at(TUESDAY_9AM + timedelta(hours=7)):
        on_time = th.submitted(world)  # responds by Wednesday 11:00
    Ticket.objects.filter(pk__in=[late_resolution.pk, paused.pk]).update(
        resolution_due_at=TUESDAY_9AM + timedelta(hours=1)
    )
    wednesday_10am = datetime(2026, 3, 11, 10, 0, tzinfo=CHICAGO)
    overdue = set(Ticket.objects.overdue(wednesday_10am))
    assert overdue == {late_response, late_resolution, late_update}
    assert on_time not in overdue


def test_a_sweep_claims_only_the_tickets_it_flagged(world):
    with at(TUESDAY_9AM):
        due = th.submitted(world)  # response due at 13:00
    with at(TUESDAY_9AM + timedelta(hours=5)):
        not_yet = th.submitted(world)  # response due Wednesday 9:00
        claimed = sla.claim_breaches(Ticket.objects.all(), TUESDAY_9AM + timedelta(hours=5))
    assert claimed == {sla.Clock.RESPONSE: [due.pk]}
    assert fresh(not_yet).response_breached_at is None


def test_only_resolved_tickets_close_themselves(world):
    with at(TUESDAY_9AM):
        resolved = th.resolved(world)
        reopened = th.in_progress(world)
    # An automatic-close time left on a ticket that is no longer resolved is not the rule.
    Ticket.objects.filter(pk=reopened.pk).update(auto_close_at=resolved.auto_close_at)
    later = resolved.auto_close_at + timedelta(minutes=1)
    assert sla.due_for_auto_close(Ticket.objects.all(), later) == [resolved.pk]


def test_an_update_from_mis_without_an_mis_target_for_the_priority_sets_no_update_clock(world):
    """SLA targets are data: a priority may have none at tier 4, and MIS still writes."""
    with at(TUESDAY_9AM):
        ticket = th.with_mis(world)
    SlaPolicy.objects.filter(tier=SlaPolicy.Tier.MIS).delete()
    with at(TUESDAY_9AM + timedelta(hours=2)):
        svc.add_message(fresh(ticket), by=Actor.of(world.mike), body="Looking at it.")
    assert fresh(ticket).mis_update_due_at is None
