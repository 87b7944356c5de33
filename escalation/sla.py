"""SLA clocks: started, moved, paused and resumed by state changes, and swept for breaches.

Three clocks run on a ticket:
- response: from arrival at the help desk to its first response (taking it on);
- resolution: to resolve or escalate (tier 3), then MIS's own target once escalated (tier 4);
- MIS update: the longest MIS may go without an update while it has the ticket.
A request for information pauses every clock; the reply resumes each with the business time
it had left. All arithmetic is business time, through ``escalation.calendar``.
"""

import operator
import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import reduce
from typing import TypeVar

from django.db import models
from django.db.models import Q

from escalation import calendar
from escalation.models import SlaPolicy
from escalation.workflow import BREACH_FIELDS, EscalationWorkflow, TicketKind
from escalation.workflow import TicketState as S

W = TypeVar("W", bound=EscalationWorkflow)

AUTO_CLOSE_WORKING_DAYS = 5
# The local expert is reminded this many working days before a resolved ticket closes itself,
# while a reply can still reopen it.
AUTO_CLOSE_REMINDER_WORKING_DAYS = 2


class Clock(models.TextChoices):
    RESPONSE = "response", "First response"
    RESOLUTION = "resolution", "Resolution or escalation"
    MIS_UPDATE = "mis_update", "MIS update"


# Each clock's due time, and the field where the sweep records its breach.
RESPONSE_BREACHED, RESOLUTION_BREACHED, MIS_UPDATE_BREACHED = BREACH_FIELDS
CLOCK_FIELDS = {
    Clock.RESPONSE: ("response_due_at", RESPONSE_BREACHED),
    Clock.RESOLUTION: ("resolution_due_at", RESOLUTION_BREACHED),
    Clock.MIS_UPDATE: ("mis_update_due_at", MIS_UPDATE_BREACHED),
}
# Where each clock runs; anywhere else (paused, resolved, closed) it is stopped.
RUNNING = {
    Clock.RESPONSE: Q(state=S.SUBMITTED, first_response_at__isnull=True),
    Clock.RESOLUTION: Q(state__in=[S.SUBMITTED, S.IN_PROGRESS, S.ESCALATED_TO_MIS]),
    Clock.MIS_UPDATE: Q(state=S.ESCALATED_TO_MIS),
}


def overdue_q(now: datetime, clocks: Iterable[Clock] = tuple(Clock)) -> Q:
    """Past the due time of one of ``clocks`` while it runs: the one rule of "overdue"."""
    return reduce(
        operator.or_,
        (RUNNING[clock] & Q(**{f"{CLOCK_FIELDS[clock][0]}__lte": now}) for clock in clocks),
    )


def policy(priority: str, tier: int, kind: str = TicketKind.PROBLEM) -> SlaPolicy | None:
    """The targets of a ticket of ``kind`` at ``tier``: its kind's own, else the problem's."""
    kinds = [kind, TicketKind.PROBLEM] if kind != TicketKind.PROBLEM else [kind]
    rules = SlaPolicy.objects.filter(priority=priority, tier=tier, kind__in=kinds)
    return min(rules, key=lambda rule: kinds.index(rule.kind), default=None)


def _after(start: datetime, hours: Decimal | None) -> datetime | None:
    return _each_after(start, hours)[0]


def _each_after(start: datetime, *hours: Decimal | None) -> list[datetime | None]:
    """The due time of each target (``None``: no target) counted from ``start``, on one
    calendar."""
    dues = iter(calendar.add_business_hours_each(start, [float(h) for h in hours if h is not None]))
    return [None if h is None else next(dues) for h in hours]


def on_transition(ticket: EscalationWorkflow, source: str, target: str, now: datetime) -> None:
    """Set the ticket's clocks for a move from ``source`` to ``target`` at ``now``."""
    ticket.state_changed_at = now
    if target == S.AWAITING_INFO:
        ticket.sla_paused_at = now
    elif source == S.AWAITING_INFO:
        _resume(ticket, now)
    if target == S.SUBMITTED:
        _start_help_desk_clocks(ticket, now)
    elif target == S.IN_PROGRESS and source == S.SUBMITTED:
        ticket.first_response_at = ticket.first_response_at or now
    elif target == S.ESCALATED_TO_MIS and source != S.AWAITING_INFO:
        # Escalated now; coming back from a pause, MIS's clocks resumed above instead.
        _start_mis_clocks(ticket, now)
    elif target == S.IN_PROGRESS and source == S.ESCALATED_TO_MIS:
        _back_from_mis(ticket, now)
    elif target == S.RESOLVED:
        ticket.resolved_at = now
        ticket.auto_close_at = calendar.add_working_days(now, AUTO_CLOSE_WORKING_DAYS)
        ticket.auto_close_reminder_at = calendar.add_working_days(
            now, AUTO_CLOSE_WORKING_DAYS - AUTO_CLOSE_REMINDER_WORKING_DAYS
        )
    elif target == S.IN_PROGRESS and source == S.RESOLVED:
        _reopened(ticket, now)
    if target in (S.CLOSED, S.REJECTED, S.RESOLVED_LOCALLY):
        ticket.closed_at = now
        ticket.auto_close_at = None
        ticket.auto_close_reminder_at = None


def on_mis_update(ticket: EscalationWorkflow, now: datetime) -> None:
    """MIS wrote something: the update clock starts again."""
    if ticket.state != S.ESCALATED_TO_MIS:
        return
    rule = policy(ticket.priority, SlaPolicy.Tier.MIS, ticket.kind)
    ticket.mis_update_due_at = _after(now, rule.update_interval_hours if rule else None)
    ticket.mis_update_breached_at = None


def on_priority_change(ticket: EscalationWorkflow, now: datetime) -> None:
    """Targets follow a new priority, counted from when each clock started."""
    if ticket.state in (S.SUBMITTED, S.IN_PROGRESS) and ticket.submitted_at:
        rule = policy(ticket.priority, SlaPolicy.Tier.HELP_DESK, ticket.kind)
        if rule is not None:
            if ticket.first_response_at is None:
                ticket.response_due_at = _after(ticket.submitted_at, rule.first_response_hours)
                ticket.response_breached_at = None
            ticket.resolution_due_at = _after(ticket.submitted_at, rule.resolve_hours)
            ticket.resolution_breached_at = None
    elif ticket.state == S.ESCALATED_TO_MIS and ticket.mis_escalated_at:
        rule = policy(ticket.priority, SlaPolicy.Tier.MIS, ticket.kind)
        if rule is not None:
            ticket.resolution_due_at = _after(ticket.mis_escalated_at, rule.resolve_hours)
            ticket.resolution_breached_at = None


def _start_help_desk_clocks(ticket: EscalationWorkflow, now: datetime) -> None:
    ticket.submitted_at = now
    rule = policy(ticket.priority, SlaPolicy.Tier.HELP_DESK, ticket.kind)
    hours = (rule.first_response_hours, rule.resolve_hours) if rule else (None, None)
    ticket.response_due_at, ticket.resolution_due_at = _each_after(now, *hours)


def _start_mis_clocks(ticket: EscalationWorkflow, now: datetime) -> None:
    ticket.mis_escalated_at = now
    rule = policy(ticket.priority, SlaPolicy.Tier.MIS, ticket.kind)
    hours = (rule.resolve_hours, rule.update_interval_hours) if rule else (None, None)
    ticket.resolution_due_at, ticket.mis_update_due_at = _each_after(now, *hours)
    ticket.resolution_breached_at = None
    ticket.mis_update_breached_at = None


def _back_from_mis(ticket: EscalationWorkflow, now: datetime) -> None:
    """MIS reported its resolution: the help desk passes it on within its response target."""
    ticket.mis_update_due_at = None
    rule = policy(ticket.priority, SlaPolicy.Tier.HELP_DESK, ticket.kind)
    ticket.resolution_due_at = _after(now, rule.first_response_hours) if rule else None
    ticket.resolution_breached_at = None


def _reopened(ticket: EscalationWorkflow, now: datetime) -> None:
    ticket.resolved_at = None
    ticket.auto_close_at = None
    ticket.auto_close_reminder_at = None
    rule = policy(ticket.priority, SlaPolicy.Tier.HELP_DESK, ticket.kind)
    ticket.resolution_due_at = _after(now, rule.resolve_hours) if rule else None
    ticket.resolution_breached_at = None


def _resume(ticket: EscalationWorkflow, now: datetime) -> None:
    """Each clock that was still running gets back the business time it had left."""
    paused = ticket.sla_paused_at
    if paused is not None:
        for due_field, breached_field in CLOCK_FIELDS.values():
            due = getattr(ticket, due_field)
            if due is not None and getattr(ticket, breached_field) is None and due > paused:
                remaining = calendar.business_hours_between(paused, due)
                setattr(ticket, due_field, calendar.add_business_hours(now, remaining))
    ticket.sla_paused_at = None


def claim_breaches(
    queryset: models.QuerySet[EscalationWorkflow], now: datetime
) -> dict[Clock, list[int]]:
    """Flag every running clock past its due time, set-based, and return the ids this call
    flagged. The conditional UPDATE (``breached_at IS NULL``) is the claim: two sweeps at once
    never flag, or notify, the same breach twice."""
    claimed: dict[Clock, list[int]] = {}
    for clock, (due_field, breached_field) in CLOCK_FIELDS.items():
        token = uuid.uuid4()
        due = queryset.filter(
            RUNNING[clock],
            **{f"{due_field}__lte": now, f"{breached_field}__isnull": True},
        )
        if due.update(**{breached_field: now, "sweep_token": token}):
            claimed[clock] = list(
                queryset.filter(sweep_token=token).order_by("pk").values_list("pk", flat=True)
            )
    return claimed


def auto_close_due(queryset: models.QuerySet[W], now: datetime) -> models.QuerySet[W]:
    """The resolved tickets past their auto-close time, oldest due first."""
    return queryset.filter(state=S.RESOLVED, auto_close_at__lte=now).order_by("auto_close_at", "pk")


def due_for_auto_close(queryset: models.QuerySet[EscalationWorkflow], now: datetime) -> list[int]:
    return list(auto_close_due(queryset, now).values_list("pk", flat=True))


def claim_auto_close_reminders(
    queryset: models.QuerySet[EscalationWorkflow], now: datetime
) -> list[int]:
    """The resolved tickets whose auto-close reminder is due, claimed by one conditional
    UPDATE that clears the due time: each resolution is reminded once, even with two sweeps
    at once. A ticket already past its auto-close is closed instead, not reminded."""
    token = uuid.uuid4()
    due = queryset.filter(state=S.RESOLVED, auto_close_reminder_at__lte=now, auto_close_at__gt=now)
    if not due.update(auto_close_reminder_at=None, sweep_token=token):
        return []
    return list(queryset.filter(sweep_token=token).order_by("pk").values_list("pk", flat=True))
