"""A ticket's one timeline: messages, state changes, assignments, SLA events, emails sent."""

from dataclasses import dataclass
from datetime import datetime

from helpdesk.models import Ticket, TicketEvent, TicketMessage


@dataclass(frozen=True)
class Entry:
    at: datetime
    message: TicketMessage | None = None
    event: TicketEvent | None = None

    @property
    def internal(self) -> bool:
        return (self.message or self.event).internal


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
