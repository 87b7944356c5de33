"""Two people acting on one ticket at once get one transition and one clear conflict, and
concurrent escalations get distinct tracking numbers. Real threads, real connections."""

import pytest

from escalation.workflow import Action
from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.models import AuditEvent, AuditKind, EventKind, Ticket
from helpdesk.reports import services as reports
from helpdesk.tickets import services as svc
from helpdesk.transitions import ConflictError
from tests.concurrency import POSTGRESQL_ONLY, raise_unexpected, run_at_once
from tests.helpdesk import ticket_helpers as th

pytestmark = [pytest.mark.django_db(transaction=True), POSTGRESQL_ONLY]


def _assign_as_seen(world, ticket, seen_version):
    """Hannah takes the ticket from the page she saw (the version it showed). Each call starts
    from a bare ``Ticket(pk=...)``, as a request does, on the thread's own connection."""
    return svc.assign(
        Ticket(pk=ticket.pk),
        by=Actor.of(world.hannah),
        assignee=world.hannah,
        expected_version=seen_version,
    )


def test_two_staff_acting_at_once_make_one_transition_and_one_conflict(world):
    ticket = th.in_progress(world)
    seen = ticket.version
    outcomes = run_at_once(
        lambda: svc.resolve(
            Ticket(pk=ticket.pk),
            by=Actor.of(world.hannah),
            resolution="Fixed",
            expected_version=seen,
        ),
        lambda: svc.escalate_to_mis(
            Ticket(pk=ticket.pk), by=Actor.of(world.hannah), note="Send up", expected_version=seen
        ),
        contend_for=Ticket.objects.filter(pk=ticket.pk),
    )
    raise_unexpected(outcomes, ConflictError)
    winners = [o.value for o in outcomes if o.error is None]
    conflicts = [o.error for o in outcomes if o.error is not None]
    assert len(winners) == 1, outcomes
    assert len(conflicts) == 1, outcomes
    assert "changed by someone else" in str(conflicts[0]) or "cannot be" in str(conflicts[0])
    ticket.refresh_from_db()
    assert ticket.state == winners[0].state
    assert ticket.version == seen + 1
    moves = ticket.events.filter(kind=EventKind.TRANSITION, from_state=S.IN_PROGRESS)
    assert moves.count() == 1
    assert (
        AuditEvent.objects.for_object(ticket)
        .filter(kind=AuditKind.TRANSITION, before__state=S.IN_PROGRESS)
        .count()
        == 1
    )


def test_the_same_action_twice_at_once_happens_once(world):
    """A double click, or two tabs: both take the ticket from the same page at once. Both wait
    on the ticket's row together; one assigns it, the other is told it changed."""
    ticket = th.submitted(world)
    seen = ticket.version
    outcomes = run_at_once(
        lambda: _assign_as_seen(world, ticket, seen),
        lambda: _assign_as_seen(world, ticket, seen),
        contend_for=Ticket.objects.filter(pk=ticket.pk),
    )
    raise_unexpected(outcomes, ConflictError)
    winners = [o.value for o in outcomes if o.error is None]
    conflicts = [o.error for o in outcomes if isinstance(o.error, ConflictError)]
    assert len(winners) == 1, outcomes
    assert len(conflicts) == 1, outcomes
    assert "changed by someone else" in str(conflicts[0])
    assert winners[0].state == S.IN_PROGRESS

    ticket.refresh_from_db()
    assert ticket.state == S.IN_PROGRESS
    assert ticket.assignee == world.hannah
    assert ticket.version == seen + 1  # moved once
    assigned = ticket.events.filter(kind=EventKind.TRANSITION, action=Action.ASSIGN)
    assert assigned.count() == 1
    assert (assigned.get().from_state, assigned.get().to_state) == (S.SUBMITTED, S.IN_PROGRESS)
    audited = AuditEvent.objects.for_object(ticket).filter(
        kind=AuditKind.TRANSITION, after__state=S.IN_PROGRESS
    )
    assert audited.count() == 1
    assert audited.get().before == {"state": S.SUBMITTED}


def test_concurrent_escalations_get_distinct_tracking_numbers(world):
    outcomes = run_at_once(
        *[
            lambda: (
                reports.report_from_web(
                    th.problem_report(), by=Actor.of(world.pat.user), office=world.office
                ).ticket
            )
            for _ in range(4)
        ]
    )
    raise_unexpected(outcomes)
    numbers = sorted(o.value.tracking_number for o in outcomes)
    assert len(set(numbers)) == 4
    assert [int(n[-6:]) for n in numbers] == [1, 2, 3, 4]


def test_concurrent_audit_writes_join_the_hash_chain_one_at_a_time(world):
    """Four transactions auditing at once: each waits for the chain's head, so the places are
    1..n with no fork and the chain verifies."""
    from helpdesk import audit

    def change(n: int):
        return audit.record(
            AuditKind.CHANGED, actor=Actor.of(world.hannah), target=world.office, note=f"{n}"
        )

    before = AuditEvent.objects.count()
    outcomes = run_at_once(*[lambda n=n: change(n) for n in range(4)])
    raise_unexpected(outcomes)

    places = sorted(o.value.seq for o in outcomes)
    assert places == list(range(before + 1, before + 5))
    assert audit.verify().intact
