"""Named slices of the tickets, one ``Q`` per rule.

The dashboard counts with these and the queue filters list with them, so a figure and the list
it links to cannot disagree.
"""

from datetime import date, datetime, time, timedelta

from django.db.models import Q

from escalation import sla
from escalation.calendar import BUSINESS_TZ
from escalation.workflow import OPEN_STATES, TicketState

S = TicketState

# Open: still being worked. "Resolved" waits for confirmation and is not counted as open.
OPEN = Q(state__in=OPEN_STATES)

# The tier follows from the state; a paused ticket is in the tier it was paused in.
_PAUSED_AT_MIS = Q(state=S.AWAITING_INFO, state_before_pause=S.ESCALATED_TO_MIS)
TIER = {
    3: Q(state__in=[S.SUBMITTED, S.IN_PROGRESS, S.RESOLVED])
    | (Q(state=S.AWAITING_INFO) & ~Q(state_before_pause=S.ESCALATED_TO_MIS)),
    4: Q(state=S.ESCALATED_TO_MIS) | _PAUSED_AT_MIS,
}

# Finished tickets are counted by the highest tier they reached: MIS, or the help desk only.
REACHED_MIS = {"yes": Q(mis_escalated_at__isnull=False), "no": Q(mis_escalated_at__isnull=True)}

SLA_OUTCOME = {"met": ~sla.BREACHED, "breached": sla.BREACHED}


def day_start(day: date) -> datetime:
    """Local midnight (America/Chicago) at the start of ``day``, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=BUSINESS_TZ)


def _between(field: str, first: date | None, last: date | None) -> Q:
    """``field`` on a local day from ``first`` to ``last``, both included; open-ended if None."""
    q = Q()
    if first is not None:
        q &= Q(**{f"{field}__gte": day_start(first)})
    if last is not None:
        q &= Q(**{f"{field}__lt": day_start(last + timedelta(days=1))})
    return q


def opened_between(first: date | None, last: date | None) -> Q:
    """Opened (raised) on a local day in [first, last]."""
    return _between("created_at", first, last)


def resolved_between(first: date | None, last: date | None) -> Q:
    """Resolved on a local day in [first, last] (a reopened ticket is no longer resolved)."""
    return _between("resolved_at", first, last)


def overdue(now: datetime) -> Q:
    """Past a running SLA target now (``TicketQuerySet.overdue``'s rule, inline in the count)."""
    return sla.overdue_q(now)


def mis_update_overdue(now: datetime) -> Q:
    """With MIS and past the time by which MIS should have given an update."""
    return sla.overdue_q(now, (sla.Clock.MIS_UPDATE,))
