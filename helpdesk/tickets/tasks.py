"""django-q2 tasks of tickets: the scheduled SLA sweep (flag missed targets once, tell the
people concerned, remind the local expert before a resolved ticket closes by itself, close
resolved tickets nobody answered for five business days) and the ticket emails. Tasks are
thin: they load by id and call a service."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from escalation import sla
from escalation.workflow import TicketState
from helpdesk.actor import Actor
from helpdesk.lib.background import enqueue_on_commit
from helpdesk.models import EventKind, Ticket
from helpdesk.tickets.notifications import send_ticket_email
from helpdesk.tickets.services import close_many, record_event_on_each

log = logging.getLogger(__name__)
BATCH = 500
AUTO_CLOSE = Actor.system("the SLA sweep: no reply for 5 business days after resolution")
BREACH = Actor.system("the SLA sweep: a target missed")
AUTO_CLOSE_NOTE = "Closed automatically: no reply for 5 business days after resolution."


def sla_sweep(now: datetime | None = None) -> dict[str, int]:
    """One pass. Safe to run in several workers at once: each breach is claimed by exactly
    one conditional UPDATE, and each auto-close is a locked batch transition (rows another
    worker holds are skipped, so workers never wait on each other)."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = sla.claim_breaches(Ticket.objects.all(), now)
        for clock, ids in claimed.items():
            _record_breaches(clock, ids, now)
        reminded = sla.claim_auto_close_reminders(Ticket.objects.all(), now)
        _queue_reminders(reminded, now)
    counts = {clock.value: len(ids) for clock, ids in claimed.items()}
    if reminded:
        counts["auto_close_reminded"] = len(reminded)
    counts["auto_closed"] = _auto_close(now)
    if any(counts.values()):
        log.info("SLA sweep: %s", counts)
    return counts


def _record_breaches(clock: sla.Clock, ids: list[int], now: datetime) -> None:
    for start in range(0, len(ids), BATCH):  # one INSERT ... SELECT per BATCH of ids
        record_event_on_each(
            ids[start : start + BATCH],
            by=BREACH,
            kind=EventKind.SLA_BREACH,
            note=f"{clock.label} target missed.",
            at=now,
            clock=clock.value,
        )
    flagged = f"{now:%Y%m%dT%H%M%S}"  # when these breaches were flagged: their email's event
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        task = "helpdesk.tickets.tasks.send_breach_emails"
        enqueue_on_commit(task, clock.value, batch, flagged=flagged)


def send_breach_emails(clock: str, ticket_ids: list[int], *, flagged: str = "") -> int:
    """One email per ticket whose ``clock`` target was missed; ``flagged``: when the sweep
    flagged them, so a retried batch queues nothing twice and a later breach is new."""
    label = sla.Clock(clock).label
    event = f"{clock}:{flagged}" if flagged else ""
    return sum(send_ticket_email("sla_breach", pk, event=event, clock=label) for pk in ticket_ids)


def _queue_reminders(ids: list[int], now: datetime) -> None:
    claimed = f"{now:%Y%m%dT%H%M%S}"  # when these reminders were claimed: their email's event
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        task = "helpdesk.tickets.tasks.send_auto_close_reminders"
        enqueue_on_commit(task, batch, claimed=claimed)


def send_auto_close_reminders(ticket_ids: list[int], *, claimed: str = "") -> int:
    """Remind each ticket's local expert that it closes by itself soon, once per claim: a
    retried batch queues nothing twice. A ticket reopened (or closed) since the claim is no
    longer closing, so its reminder is not sent."""
    still_resolved = Ticket.objects.filter(pk__in=ticket_ids, state=TicketState.RESOLVED)
    return sum(
        send_ticket_email("auto_close_reminder", pk, event=f"remind:{claimed}")
        for pk in still_resolved.order_by("pk").values_list("pk", flat=True)
    )


def _auto_close(now: datetime) -> int:
    """Close the resolved tickets past their time, BATCH at a time, each batch one locked
    batch transition in its own transaction. A ticket another worker holds is left to it (or
    to the next sweep); one changed since it was read (a reply reopened it, or it was resolved
    again with a new time) is skipped, not closed."""
    due = list(sla.auto_close_due(Ticket.objects.all(), now).values_list("pk", "version"))
    closed = 0
    for start in range(0, len(due), BATCH):
        batch = close_many(dict(due[start : start + BATCH]), by=AUTO_CLOSE, note=AUTO_CLOSE_NOTE)
        closed += len(batch.done)
    return closed


__all__ = ["send_auto_close_reminders", "send_breach_emails", "send_ticket_email", "sla_sweep"]
