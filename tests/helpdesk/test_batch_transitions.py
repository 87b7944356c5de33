"""The batch form of the one transition path (``transition_many``, the SLA sweep's
auto-close): the same rows as one transition at a time, a record changed meanwhile skipped
and never clobbered, the audit chain intact, and on PostgreSQL two workers that never wait on
each other nor close a ticket twice."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from escalation.workflow import Action
from escalation.workflow import TicketState as S
from helpdesk import audit
from helpdesk.actor import Actor
from helpdesk.audit import Entry
from helpdesk.models import (
    AuditChainHead,
    AuditEvent,
    AuditKind,
    EventKind,
    OutboundEmail,
    Ticket,
    TicketEvent,
)
from helpdesk.tickets import live, tasks
from helpdesk.tickets import services as svc
from helpdesk.transitions import transition_many
from tests.concurrency import POSTGRESQL_ONLY, raise_unexpected, run_at_once
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_9AM = datetime(2026, 3, 10, 9, 0, tzinfo=CHICAGO)
LATER = TUESDAY_9AM + timedelta(days=10)  # past the five working days
NOTE = tasks.AUTO_CLOSE_NOTE
# Fields that differ between two tickets made alike, whatever closes them.
OWN = {"id", "tracking_number", "summary", "search_vector"}


def _resolved(world, count: int) -> list[Ticket]:
    with time_machine.travel(TUESDAY_9AM, tick=False):
        return [th.resolved(world) for _ in range(count)]


def _row(ticket: Ticket) -> dict:
    stored = Ticket.objects.get(pk=ticket.pk)
    return {
        f.attname: f.value_from_object(stored)
        for f in Ticket._meta.concrete_fields
        if f.attname not in OWN
    }


def _written(tickets: list[Ticket]) -> dict:
    """What closing ``tickets`` wrote, ticket by ticket, without what tells them apart."""
    ids = [t.pk for t in tickets]
    events = TicketEvent.objects.filter(ticket_id__in=ids, kind=EventKind.TRANSITION)
    audits = AuditEvent.objects.filter(
        target_id__in=[str(pk) for pk in ids], kind=AuditKind.TRANSITION
    )
    return {
        "tickets": [_row(t) for t in tickets],
        "timeline": [
            list(
                events.filter(ticket_id=pk)
                .order_by("pk")
                .values_list(
                    "at",
                    "actor_id",
                    "actor_label",
                    "kind",
                    "action",
                    "from_state",
                    "to_state",
                    "note",
                    "internal",
                    "data",
                )
            )
            for pk in ids
        ],
        "audit": [
            list(
                audits.filter(target_id=str(pk))
                .order_by("seq")
                .values_list(
                    "at",
                    "actor_id",
                    "actor_label",
                    "kind",
                    "target_type",
                    "before",
                    "after",
                    "note",
                )
            )
            for pk in ids
        ],
        "emails": sorted(
            OutboundEmail.objects.filter(ticket_id__in=ids).values_list("kind", flat=True)
        ),
    }


def _pushes(monkeypatch) -> list:
    """The live-update signals sent, as (groups, ticket, version)."""
    sent = []

    async def record(layer, groups, payload):
        sent.append((tuple(groups), payload["ticket"], payload["version"]))

    monkeypatch.setattr(live, "_send_to_groups", record)
    return sent


def test_a_batch_close_writes_what_one_close_at_a_time_writes(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    one_by_one, batched = _resolved(world, 3), _resolved(world, 3)
    mail.outbox.clear()
    pushes = _pushes(monkeypatch)
    with time_machine.travel(LATER, tick=False):
        with django_capture_on_commit_callbacks(execute=True) as single_hooks:
            for ticket in one_by_one:
                svc.close(ticket, by=tasks.AUTO_CLOSE, note=NOTE)
        single_pushes, pushes[:] = list(pushes), []
        with django_capture_on_commit_callbacks(execute=True) as batch_hooks:
            batch = svc.close_many([t.pk for t in batched], by=tasks.AUTO_CLOSE, note=NOTE)

    assert [t.pk for t in batch.done] == [t.pk for t in batched]
    assert batch.skipped == {}
    single, many = _written(one_by_one), _written(batched)
    assert many == single
    assert {row["state"] for row in many["tickets"]} == {S.CLOSED}
    # Each history ends with the one close (the earlier moves are the tickets' making).
    assert all([line[6] for line in lines].count(S.CLOSED) == 1 for lines in many["timeline"])
    assert all(lines[-1][6] == S.CLOSED for lines in many["timeline"])
    assert all([row[6] for row in rows].count({"state": "closed"}) == 1 for rows in many["audit"])

    # The same signal per ticket (its groups, its new version), the batch's in one hop.
    def signals(sent, tickets):
        assert [(g[0], pk) for g, pk, _ in sent] == [(f"ticket.{t.pk}", t.pk) for t in tickets]
        return [(g[1:], version) for g, _, version in sent]

    assert signals(pushes, batched) == signals(single_pushes, one_by_one)
    assert (len(single_hooks), len(batch_hooks)) == (3, 1)
    assert mail.outbox == []  # closing tells nobody, one way or the other
    assert audit.verify().intact


def test_a_ticket_changed_meanwhile_is_skipped_not_clobbered(world):
    untouched, reopened, resolved_again, closed = _resolved(world, 4)
    read = dict(Ticket.objects.filter(state=S.RESOLVED).values_list("pk", "version"))
    hannah = Actor.of(world.hannah)
    svc.reopen(reopened, by=hannah, note="Still broken.")
    svc.reopen(resolved_again, by=hannah, note="Still broken.")
    svc.resolve(Ticket.objects.get(pk=resolved_again.pk), by=hannah, resolution="Fixed again.")
    svc.close(closed, by=hannah)
    kept = {t.pk: _row(t) for t in (reopened, resolved_again, closed)}
    audited = AuditEvent.objects.count()

    with time_machine.travel(LATER, tick=False):
        batch = svc.close_many(read, by=tasks.AUTO_CLOSE, note=NOTE)

    assert [t.pk for t in batch.done] == [untouched.pk]
    assert batch.skipped == {
        reopened.pk: "changed",
        resolved_again.pk: "changed",  # resolved again: still resolved, but not as it was read
        closed.pk: "changed",
    }
    assert {t.pk: _row(t) for t in (reopened, resolved_again, closed)} == kept
    assert AuditEvent.objects.count() == audited + 1
    # Without the versions read, only the state decides: the reopened one is not closable now.
    batch = svc.close_many([reopened.pk, closed.pk], by=tasks.AUTO_CLOSE, note=NOTE)
    assert batch.done == []
    assert batch.skipped == {reopened.pk: "not now", closed.pk: "not now"}


def test_the_rule_still_decides_who_may_in_a_batch(world):
    tickets = _resolved(world, 2)
    read = {t.pk: Ticket.objects.get(pk=t.pk).version for t in tickets}
    audited = AuditEvent.objects.count()
    batch = svc.close_many([t.pk for t in tickets], by=Actor.of(world.user("alice")))
    assert batch.done == []
    assert batch.skipped == {t.pk: "refused" for t in tickets}
    assert set(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("state", flat=True)
    ) == {S.RESOLVED}
    assert AuditEvent.objects.count() == audited
    # A queryset works as well as ids; the local expert may close their office's tickets.
    batch = transition_many(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]),
        Action.CLOSE,
        machine=svc.TICKETS,
        by=Actor.of(world.pat.user),
        note="Confirmed fixed.",
    )
    assert [t.pk for t in batch.done] == [t.pk for t in tickets]
    assert [(t.state, t.version) for t in batch.done] == [
        (S.CLOSED, read[t.pk] + 1) for t in tickets
    ]
    assert [(t.state, t.version) for t in batch.done] == [
        (t.state, t.version) for t in Ticket.objects.filter(pk__in=read).order_by("pk")
    ]


def test_ids_that_are_gone_are_skipped(world):
    (ticket,) = _resolved(world, 1)
    batch = svc.close_many([ticket.pk, 999_999], by=tasks.AUTO_CLOSE)
    assert [t.pk for t in batch.done] == [ticket.pk]
    assert batch.skipped == {999_999: "locked"}


def test_a_batch_of_audit_rows_joins_the_chain_as_single_writes_would(world):
    hannah = Actor.of(world.hannah)
    audit.record(AuditKind.CHANGED, actor=hannah, target=world.office, note="before")
    head = AuditChainHead.objects.get(pk=1)
    events = audit.record_many(
        AuditKind.CHANGED,
        actor=hannah,
        entries=[Entry(world.office, after={"n": n}, note=f"batch {n}") for n in range(5)],
    )
    audit.record(AuditKind.CHANGED, actor=hannah, target=world.office, note="after")

    assert [e.seq for e in events] == list(range(head.seq + 1, head.seq + 6))
    stored = list(AuditEvent.objects.filter(seq__gt=head.seq).order_by("seq"))
    assert [e.note for e in stored] == [f"batch {n}" for n in range(5)] + ["after"]
    previous = head.head_hash
    for event in stored:  # each linked to the one before, as one record() at a time links
        assert event.prev_hash == previous
        assert event.row_hash == audit.row_hash(event)
        previous = event.row_hash
    assert AuditChainHead.objects.get(pk=1).head_hash == previous
    assert audit.verify().intact
    assert audit.record_many(AuditKind.CHANGED, actor=hannah, entries=[]) == []


def test_a_batch_edited_afterwards_breaks_the_chain(world):
    """The batch's rows are chained, not merely numbered: editing one is found."""
    events = audit.record_many(
        AuditKind.CHANGED,
        actor=Actor.of(world.hannah),
        entries=[Entry(world.office, note=f"{n}") for n in range(3)],
    )
    AuditEvent.objects.filter(pk=events[1].pk).update(note="rewritten")
    check = audit.verify()
    assert not check.intact
    assert check.row_id == events[1].pk


def test_the_sweep_closes_in_batches_each_its_own_transaction(world, monkeypatch):
    tickets = _resolved(world, 5)
    monkeypatch.setattr(tasks, "BATCH", 2)
    batches = []
    real = tasks.close_many

    def close_many(due, **kwargs):
        batches.append(sorted(due))
        return real(due, **kwargs)

    monkeypatch.setattr(tasks, "close_many", close_many)
    with time_machine.travel(LATER, tick=False):
        assert tasks.sla_sweep()["auto_closed"] == 5
        assert tasks.sla_sweep()["auto_closed"] == 0
    assert [len(b) for b in batches] == [2, 2, 1]
    assert sorted(pk for b in batches for pk in b) == sorted(t.pk for t in tickets)
    assert set(Ticket.objects.values_list("state", flat=True)) == {S.CLOSED}
    assert audit.verify().intact


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_batch_skips_a_ticket_another_worker_holds_without_waiting(world):
    held, free = _resolved(world, 2)
    outcomes = run_at_once(
        lambda: svc.close_many([held.pk, free.pk], by=tasks.AUTO_CLOSE, note=NOTE),
        contend_for=Ticket.objects.filter(pk=held.pk),
    )
    raise_unexpected(outcomes)
    (batch,) = [o.value for o in outcomes]
    assert [t.pk for t in batch.done] == [free.pk]
    assert batch.skipped == {held.pk: "locked"}
    assert Ticket.objects.get(pk=held.pk).state == S.RESOLVED


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_close_each_ticket_once(world):
    """Both sweeps lock their batch (each skipping the other's rows) and then wait on the
    audit chain's head, held here: they overlap, yet each ticket is closed, audited and put
    on the timeline once, and the chain verifies."""
    tickets = _resolved(world, 6)
    ids = [t.pk for t in tickets]
    outcomes = run_at_once(
        lambda: tasks.sla_sweep(now=LATER),
        lambda: tasks.sla_sweep(now=LATER),
        contend_for=AuditChainHead.objects.filter(pk=1),
    )
    raise_unexpected(outcomes)

    assert sorted(o.value["auto_closed"] for o in outcomes) in ([0, 6], [1, 5], [2, 4], [3, 3])
    assert set(Ticket.objects.filter(pk__in=ids).values_list("state", flat=True)) == {S.CLOSED}
    closes = TicketEvent.objects.filter(ticket_id__in=ids, to_state=S.CLOSED)
    assert sorted(closes.values_list("ticket_id", flat=True)) == sorted(ids)
    audited = AuditEvent.objects.filter(
        kind=AuditKind.TRANSITION, target_id__in=[str(pk) for pk in ids], after={"state": "closed"}
    )
    assert sorted(int(pk) for pk in audited.values_list("target_id", flat=True)) == sorted(ids)
    assert audit.verify().intact


def test_a_batch_takes_the_same_few_queries_whatever_its_size(world):
    """On the clock as it runs (not frozen): one lock, one UPDATE of the tickets, the chain's
    head moved once, one INSERT each of audit and timeline rows, for 2 tickets as for 6."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (2, 6):
        tickets = _resolved(world, size)
        with CaptureQueriesContext(connection) as queries:
            batch = svc.close_many([t.pk for t in tickets], by=tasks.AUTO_CLOSE, note=NOTE)
        assert len(batch.done) == size
        updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "helpdesk_ticket"')]
        assert len(updates) == 1, updates
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_breach_lines_written_by_the_database_are_the_lines_the_sweep_always_wrote(world):
    with time_machine.travel(TUESDAY_9AM, tick=False):
        tickets = [th.submitted(world) for _ in range(3)]
    tasks.sla_sweep(now=LATER)
    lines = TicketEvent.objects.filter(kind=EventKind.SLA_BREACH, data={"clock": "response"})
    assert sorted(lines.values_list("ticket_id", flat=True)) == [t.pk for t in tickets]
    assert {
        (e.at, e.actor_id, e.actor_label, e.action, e.from_state, e.to_state, e.note, e.internal)
        for e in lines
    } == {(LATER, None, "system", "", "", "", "First response target missed.", False)}
