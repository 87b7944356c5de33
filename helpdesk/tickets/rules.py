"""The rules that pick tickets, one ``Q`` per rule.

The dashboard counts with these and the queue filters list with them, so a figure and the list
it links to cannot disagree. The workflow's own rules (open, tier, breached) are defined once
in ``escalation.workflow`` and overdue in ``escalation.sla``; this module names them for
tickets and adds the ones of reporting periods.
"""

from datetime import date, datetime, time, timedelta

from django.db.models import Q

from escalation import sla
from escalation.calendar import BUSINESS_TZ
from escalation.workflow import BREACHED, OPEN, tier_q
from helpdesk.models import tickets

__all__ = ["OPEN", "TIER", "REACHED_MIS", "SLA_OUTCOME"]

TIER = {3: tier_q(3), 4: tier_q(4)}

# Finished tickets are counted by the highest tier they reached: MIS, or the help desk only.
REACHED_MIS = {"yes": tickets.REACHED_MIS, "no": ~tickets.REACHED_MIS}

SLA_OUTCOME = {"met": ~BREACHED, "breached": BREACHED}


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


# An open ticket against its SLA targets now (the agencies' monthly report): "breached" when a
# target was missed (on record, ``BREACHED``) or a running one is past due (``overdue``);
# "due soon" when, not breached, a running target falls due by ``soon`` (the report passes a
# few business hours from now); "fine" otherwise. Made of the one rules of breached and
# overdue, never re-derived from the clocks' fields.
SLA_STATUSES = ("breached", "due_soon", "fine")


def sla_status(now: datetime, soon: datetime) -> dict[str, Q]:
    late = BREACHED | overdue(now)
    due_soon = ~late & overdue(soon)
    return {"breached": late, "due_soon": due_soon, "fine": ~late & ~due_soon}
