"""Reads of tickets, scoped by who asks: the queues (who may open each, which tickets it holds,
its live-update group, how it is filtered; the queue pages and the queue websockets both ask
here) and a ticket's timeline."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from escalation.calendar import BUSINESS_TZ
from escalation.workflow import TicketState
from helpdesk.directory.permissions import person_of
from helpdesk.directory.roles import AnyUser, Role, has_role, roles_of
from helpdesk.models import Office, SavedFilter, Ticket, TicketEvent, TicketMessage
from helpdesk.models.tickets import TicketQuerySet
from helpdesk.tickets import aging, fulltext
from helpdesk.tickets import rules as slices
from helpdesk.tickets.permissions import tickets_visible_to

SORTS: dict[str, str | OrderBy] = {
    "newest": "-created_at",
    "oldest": "created_at",
    "priority": "priority",
    # Soonest due first; tickets without the clock (paused, not yet started) after them on
    # every database (SQLite puts NULL first by default, PostgreSQL last).
    "due": F("resolution_due_at").asc(nulls_last=True),
    "response_due": F("response_due_at").asc(nulls_last=True),
    "updated": "-updated_at",
}
SORT_LABELS = {
    "newest": _("Newest"),
    "oldest": _("Oldest"),
    "priority": _("Priority"),
    "due": _("Resolution due"),
    "response_due": _("Response due"),
    "updated": _("Recently updated"),
}
# Which tickets a queue lists: open work unless the person asks for the rest.
STATUSES = {
    "open": _("Open work"),
    "done": _("Resolved and closed"),
    "all": _("Everything"),
}
TRACKING_NUMBER = re.compile(r"^CCAP-\d{4}-\d{6}$", re.IGNORECASE)


@dataclass(frozen=True)
class Queue:
    name: str
    title: str | Promise
    roles: tuple[str, ...]
    # Agency queues are defined by the user's own office or person.
    needs_person: bool
    filters: bool


QUEUES = {
    q.name: q
    for q in [
        Queue("help_desk", _("Help desk queue"), (Role.HELP_DESK, Role.ADMINISTRATOR), False, True),
        Queue("mis", _("Escalated to MIS"), (Role.MIS,), False, True),
        Queue("agency", _("My agency's tickets"), (Role.LOCAL_EXPERT,), True, True),
        Queue("incoming", _("Incoming reports for my offices"), (Role.LOCAL_EXPERT,), True, False),
        Queue("mine", _("My reports"), (Role.AGENCY_USER,), True, False),
    ]
}


# The queues of staff whose tickets are someone's: they offer "My tickets".
MINE_QUEUES = frozenset({"help_desk", "mis"})


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


def mine(user: AnyUser) -> Q:
    """ "My tickets": the ones assigned to ``user`` (the help desk's), or whose MIS owner they
    are (MIS staff are never assignees: they take ownership instead)."""
    pk = getattr(user, "pk", None)
    return Q(assignee_id=pk) | Q(mis_owner_id=pk)


def status_q(data: dict[str, Any]) -> Q:
    """Open work by default; the finished ones (resolved, closed, rejected) only when asked: by
    the status, or by naming a state (a state named is a state wanted)."""
    status = data.get("status") or ("all" if data.get("state") else "open")
    if status == "open":
        return slices.OPEN
    if status == "done":
        return ~slices.OPEN
    return Q()


def filtered(
    tickets: TicketQuerySet, data: dict[str, Any], *, user: AnyUser = None
) -> TicketQuerySet:
    """Apply a queue filter form's cleaned data: which work (open by default), search, fields,
    "my tickets", overdue and sort."""
    tickets = tickets.filter(status_q(data))
    if data.get("mine"):
        tickets = tickets.filter(mine(user))
    if data.get("q"):
        tickets = _searched(tickets, data["q"].strip())
    for field in ("state", "system", "priority", "kind"):
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
    """Every word in the summary or description (the full-text index, so the page's count
    reads no ticket's text), or the agency's name, or the MIS number."""
    if TRACKING_NUMBER.match(term):
        # The commonest search: an exact number, answered from the unique index.
        return tickets.filter(tracking_number=term.upper())
    words = fulltext.words_of(term)
    # Agencies are few: their offices are looked up first, so the filter stays on indexes.
    offices = Office.objects.filter(agency__name__icontains=term).values("pk")
    found = Q(office__in=offices) | Q(mis_reference__iexact=term)
    return tickets.filter(fulltext.tickets_matching(words) | found if words else found)


def saved_filters_for(user: AnyUser, queue: str) -> list[SavedFilter]:
    """The saved filters of a queue ``user`` may use: their own, and those staff of a role
    they have shared with it."""
    roles = roles_of(user)
    pk = getattr(user, "pk", None)
    if pk is None:
        return []
    mine_or_shared = Q(owner_id=pk) | Q(shared_with__in=roles, owner__is_active=True)
    return list(SavedFilter.objects.filter(mine_or_shared, queue=queue).select_related("owner"))


@dataclass(frozen=True)
class ListedFilter:
    """A saved filter as the queue lists it."""

    saved: SavedFilter
    mine: bool
    # The role it is shared with, as people read it ("" when private).
    shared_with: str


def listed_filters(user: AnyUser, queue: str) -> list[ListedFilter]:
    pk = getattr(user, "pk", None)
    return [
        ListedFilter(
            saved,
            saved.owner_id == pk,
            str(Role(saved.shared_with).label) if saved.shared_with in Role.values else "",
        )
        for saved in saved_filters_for(user, queue)
    ]


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
