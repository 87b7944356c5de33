"""Panels about tickets: each role's work waiting on the home page, and the registries through
which higher features add a section to the ticket page or a queue (a notice the ticket is
part of, a possible outage) without this package importing them."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from escalation.workflow import TicketState as S
from helpdesk.directory.permissions import person_of
from helpdesk.directory.roles import Role
from helpdesk.home.panels import Panel
from helpdesk.models import Ticket, User
from helpdesk.registry import Registry
from helpdesk.tickets import rules
from helpdesk.tickets.permissions import tickets_visible_to

LIMIT = 8


@dataclass(frozen=True)
class TicketSection:
    """A part of the ticket page a higher feature shows: ``context(user, ticket)`` gives what
    ``template`` renders (as ``section``), or None when it has nothing for this user."""

    key: str
    template: str
    context: Callable[[User, Ticket], dict[str, Any] | None]


@dataclass(frozen=True)
class QueueSection:
    """A part of some queue pages (``queues``), the same way: ``context(user)``."""

    key: str
    queues: frozenset[str]
    template: str
    context: Callable[[User], dict[str, Any] | None]


ticket_sections: Registry[TicketSection] = Registry("ticket page sections", key=lambda s: s.key)
queue_sections: Registry[QueueSection] = Registry("queue page sections", key=lambda s: s.key)


def sections_of_ticket(user: User, ticket: Ticket) -> list[tuple[str, dict[str, Any]]]:
    shown = ((s.template, s.context(user, ticket)) for s in ticket_sections)
    return [(template, context) for template, context in shown if context is not None]


def sections_of_queue(user: User, name: str) -> list[tuple[str, dict[str, Any]]]:
    shown = ((s.template, s.context(user)) for s in queue_sections if name in s.queues)
    return [(template, context) for template, context in shown if context is not None]


def _rows(tickets: QuerySet[Ticket]) -> list[Ticket]:
    return list(tickets.select_related("office__agency", "assignee").order_by("created_at")[:LIMIT])


def help_desk_work(user: User) -> dict[str, Any]:
    tickets = tickets_visible_to(user)
    counts = tickets.aggregate(
        unassigned=Count("pk", filter=Q(state=S.SUBMITTED)),
        # Open at the help desk (tier 3) and assigned to them.
        mine=Count("pk", filter=rules.OPEN & rules.TIER[3] & Q(assignee=user)),
        with_mis=Count("pk", filter=Q(state=S.ESCALATED_TO_MIS)),
    )
    return {
        "counts": counts,
        "overdue": _rows(tickets.overdue(timezone.now())),
        "unassigned": _rows(tickets.filter(state=S.SUBMITTED)),
    }


def mis_work(user: User) -> dict[str, Any]:
    tickets = tickets_visible_to(user).filter(state=S.ESCALATED_TO_MIS)
    return {
        "open": _rows(tickets),
        "update_due": _rows(tickets.filter(rules.mis_update_overdue(timezone.now()))),
    }


def local_expert_work(user: User) -> dict[str, Any] | None:
    me = person_of(user)
    if me is None:
        return None
    mine = tickets_visible_to(user).filter(office__designations__person=me).distinct()
    return {
        "incoming": _rows(mine.filter(state=S.WITH_LOCAL_EXPERT)),
        "asked": _rows(mine.filter(state=S.AWAITING_INFO)),
        "resolved": _rows(mine.filter(state=S.RESOLVED)),
    }


def my_reports(user: User) -> dict[str, Any] | None:
    me = person_of(user)
    if me is None:
        return None
    return {"open": _rows(tickets_visible_to(user).filter(reported_by=me).open())}


PANELS = (
    Panel("help_desk_work", "Help desk work", {Role.HELP_DESK}, help_desk_work, order=5),
    Panel("mis_work", "With MIS", {Role.MIS}, mis_work, order=5),
    Panel("local_expert_work", "Reports for you", {Role.LOCAL_EXPERT}, local_expert_work, order=15),
    Panel("my_reports", "Your open reports", {Role.AGENCY_USER}, my_reports, order=12),
)
