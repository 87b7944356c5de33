"""What happened, told to whoever listens: the events that outside systems subscribe to
(webhooks, ``helpdesk.webhooks``).

The places where things happen sit low (the transition path, the tickets', notices', forms' and
access services) and must not import the webhooks, which sit high. So this module, under all of
them, owns the list of event types and a registry of listeners: an event source calls
``emit(type, data)``, inside its own transaction, and every listener registered here (from
``AppConfig.ready``) hears it at once, in the same transaction. A listener that leaves the
process (an HTTP call) must itself wait for the commit: the webhooks record their deliveries in
the transaction, so a rolled-back change leaves none, and send them after the commit.

State changes are emitted by the transition path itself (``helpdesk.transitions``, from each
kind's ``Machine.events``); creations and messages by the one service that makes them.

``data`` holds ids, references, states and the agency and office ids, never a message body, a
note or a person's name, e-mail or phone (docs/webhooks.md lists each event's fields).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.registry import Registry

# The event types, with what an administrator reads when choosing them. A source may emit only
# these (``emit`` refuses others, so a typo cannot slip out unnoticed).
EVENT_TYPES: dict[str, Any] = {
    "ticket.created": _("Ticket created"),
    "ticket.state_changed": _("Ticket state changed"),
    "ticket.message_added": _("Message added to a ticket"),
    "access_request.created": _("Access request opened"),
    "access_request.state_changed": _("Access request state changed"),
    "security_form.created": _("Security form issued"),
    "security_form.state_changed": _("Security form state changed"),
    "notice.published": _("Notice published"),
    "notice.resolved": _("Notice resolved"),
}


@dataclass(frozen=True)
class Event:
    """One thing that happened: its type (a key of ``EVENT_TYPES``), when, and its data."""

    type: str
    data: Mapping[str, Any]
    at: datetime = field(default_factory=timezone.now)

    def payload(self) -> dict[str, Any]:
        """The Standard Webhooks shape: ``{"type", "timestamp", "data"}``."""
        return {"type": self.type, "timestamp": self.at.isoformat(), "data": dict(self.data)}


@dataclass(frozen=True)
class Listener:
    """Hears every event, inside the transaction that emits it: one at a time, or a batch's
    at once (``receive_many``, when it can do the batch's work once: a batch transition)."""

    name: str
    receive: Callable[[Event], None]
    receive_many: Callable[[Sequence[Event]], None] | None = None


listeners: Registry[Listener] = Registry("event listeners", key=lambda entry: entry.name)


def emit(type: str, data: Mapping[str, Any]) -> Event:
    """Tell every listener that ``type`` happened, now, in the caller's transaction."""
    (event,) = emit_many([(type, data)])
    return event


def emit_many(happened: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Event]:
    """``emit`` for several things that happened together (the steps of a batch), in order."""
    for type, _data in happened:
        if type not in EVENT_TYPES:
            raise ValueError(f"Unknown event type {type!r}.")
    events = [Event(type, data) for type, data in happened]
    if not events:
        return events
    for listener in listeners:
        if listener.receive_many is not None:
            listener.receive_many(events)
        else:
            for event in events:
                listener.receive(event)
    return events
