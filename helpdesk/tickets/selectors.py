"""Reads of tickets, scoped by who asks: the queues (who may open each, which tickets it holds,
its live-update group, how it is filtered; the queue pages and the queue websockets both ask
here) and a ticket's timeline."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from escalation.calendar import BUSINESS_TZ
from escalation.workflow import TicketState
from helpdesk.directory.permissions import person_of
from helpdesk.directory.roles import AnyUser, Role, has_role
from helpdesk.models import Ticket, TicketEvent, TicketMessage
from helpdesk.models.tickets import TicketQuerySet
from helpdesk.tickets import aging
from helpdesk.tickets import rules as slices
from helpdesk.tickets.permissions import tickets_visible_to

SORTS = {
    "newest": "-created_at",
    "oldest": "created_at",
    "priority": "priority",
    "due": "resolution_due_at",
    "updated": "-updated_at",
}
TRACKING_NUMBER = re.compile(r"^CCAP-\d{4}-\d{6}$", re.IGNORECASE)


@dataclass(frozen=True)
class Queue:
    name: str
    title: str
    roles: tuple[str, ...]
    # Agency queues are defined by the user's own office or person.
    needs_person: bool
    filters: bool


QUEUES = {
    q.name: q
    for q in [
        Queue("help_desk", "Help desk queue", (Role.HELP_DESK, Role.ADMINISTRATOR), False, True),
        Queue("mis", "Escalated to MIS", (Role.MIS,), False, True),
        Queue("agency", "My agency's tickets", (Role.LOCAL_EXPERT,), True, True),
        Queue("incoming", "Incoming reports for my offices", (Role.LOCAL_EXPERT,), True, False),
        Queue("mine", "My reports", (Role.AGENCY_USER,), True, False),
    ]
}


def may_open(user: AnyUser, name: str) -> bool:
    queue = QUEUES.get(name)
    if queue is None or not has_role(user, *queue.roles):
        return False
    return not queue.needs_person or person_of(user) is not None


def live_group(user: AnyUser, name: str) -> str | None:
    """The channel-layer group of the queue, or None when ``user`` may not open it. The names
    match those ``helpdesk.tickets.live`` sends to."""
    if not may_open(user, name):
        return None
    if name in ("help_desk", "mis"):
        return f"queue.{name}"
    me = person_of(user)
    if me is None:  # may_open says so already: the agency queues need a person
        return None
    if name == "mine":
        return f"queue.reporter.{me.pk}"
    return f"queue.agency.{me.office.agency_id}"


def tickets_in(user: AnyUser, name: str) -> TicketQuerySet:
    """The tickets of a queue the user may open (call ``may_open`` first)."""
    tickets = tickets_visible_to(user)
    if name == "help_desk":
        return tickets.reached_help_desk()
    if name == "mis":
        return tickets.reached_mis()
    me = person_of(user)
    if me is None:  # may_open says so already: the agency queues need a person
        return tickets.none()
    if name == "agency":
        # The agency's tickets, less the user reports still in "incoming".
        return tickets.exclude(
            state=TicketState.WITH_LOCAL_EXPERT, reported_by__isnull=False
        ).filter(office__agency_id=me.office.agency_id)
    if name == "incoming":
        return tickets.filter(
            state=TicketState.WITH_LOCAL_EXPERT, office__designations__person=me
        ).distinct()
    return tickets.filter(reported_by=me)


def filtered(tickets: TicketQuerySet, data: dict[str, Any]) -> TicketQuerySet:
    """Apply a queue filter form's cleaned data: search, fields, overdue and sort."""
    if data.get("q"):
        tickets = _searched(tickets, data["q"].strip())
    for field in ("state", "system", "priority"):
        if data.get(field):
            tickets = tickets.filter(**{field: data[field]})
    if data.get("agency"):
        tickets = tickets.filter(office__agency=data["agency"])
    if data.get("assignee") == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif data.get("assignee"):
        tickets = tickets.filter(assignee_id=data["assignee"])
    if data.get("overdue"):
        tickets = tickets.overdue()
    tickets = _sliced(tickets, data)
    return tickets.order_by(SORTS[data.get("sort") or "newest"], "-id")


def _sliced(tickets: TicketQuerySet, data: dict[str, Any]) -> TicketQuerySet:
    """The dashboard's slices (its figures link here with them), by the same rules it counts
    with, so a figure and its list agree."""
    if data.get("status") == "open":
        tickets = tickets.filter(slices.OPEN)
    if data.get("tier"):
        tickets = tickets.filter(slices.TIER[data["tier"]])
    if data.get("created_from") or data.get("created_to"):
        tickets = tickets.filter(
            slices.opened_between(data.get("created_from"), data.get("created_to"))
        )
    if data.get("resolved_from") or data.get("resolved_to"):
        tickets = tickets.filter(
            slices.resolved_between(data.get("resolved_from"), data.get("resolved_to"))
        )
    if data.get("reached_mis"):
        tickets = tickets.filter(slices.REACHED_MIS[data["reached_mis"]])
    if data.get("sla"):
        tickets = tickets.filter(slices.SLA_OUTCOME[data["sla"]])
    if data.get("mis_update_overdue"):
        tickets = tickets.filter(slices.mis_update_overdue(timezone.now()))
    if data.get("age") or data.get("mis_age"):
        ages = aging.AgeBoundaries.on(timezone.localdate(timezone.now(), BUSINESS_TZ))
        if data.get("age"):
            tickets = tickets.filter(ages.q("submitted_at", aging.bucket(data["age"])))
        if data.get("mis_age"):
            tickets = tickets.filter(ages.q("mis_escalated_at", aging.bucket(data["mis_age"])))
    return tickets


def _searched(tickets: TicketQuerySet, term: str) -> TicketQuerySet:
    if TRACKING_NUMBER.match(term):
        # The commonest search: an exact number, answered from the unique index.
        return tickets.filter(tracking_number=term.upper())
    return tickets.filter(
        Q(summary__icontains=term)
        | Q(description__icontains=term)
        | Q(office__agency__name__icontains=term)
        | Q(mis_reference__iexact=term)
    )


# --- The timeline -----------------------------------------------------------------------------
# A ticket's one timeline: messages, state changes, assignments, SLA events, emails sent.


@dataclass(frozen=True)
class Entry:
    at: datetime
    message: TicketMessage | None = None
    event: TicketEvent | None = None

    @property
    def internal(self) -> bool:
        if self.message is not None:
            return self.message.internal
        assert self.event is not None, "an entry is a message or an event"
        return self.event.internal


def timeline_for(ticket: Ticket, *, internal: bool) -> list[Entry]:
    """Everything that happened to ``ticket``, oldest first; internal entries only for staff."""
    messages = ticket.messages.select_related("author").prefetch_related("attachments")
    events = ticket.events.select_related("actor")
    if not internal:
        messages = messages.filter(internal=False)
        events = events.filter(internal=False)
    entries = [Entry(at=m.created_at, message=m) for m in messages]
    entries += [Entry(at=e.at, event=e) for e in events]
    return sorted(entries, key=lambda e: (e.at, 0 if e.event else 1))
