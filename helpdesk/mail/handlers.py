"""Mail handlers of higher apps. ``helpdesk`` must not import ``forms_4052_4055`` or ``access``
(DESIGN.md layering), yet a signed security form or a departure report arrives through this
mailbox. Those apps register a handler here from ``AppConfig.ready``; the intake offers each
message to every handler, in registration order, before reading it as a Problem Report Form.

A handler is ``handler(parsed, inbound, sender) -> Handled | None``. It runs inside the
intake's transaction: if it raises, nothing it did is kept and the message is marked failed,
to be reprocessed once the cause is fixed."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Handled:
    detail: str
    ticket: object = None  # a Ticket, when the handler attached the message to one
    # The handler recognised the message but could not act on it: hold it for a person.
    needs_review: bool = False


MailHandler = Callable[..., Handled | None]
_handlers: dict[str, MailHandler] = {}


def register(name: str, handler: MailHandler) -> None:
    _handlers[name] = handler  # by name: a module imported twice does not register twice


def unregister(name: str) -> None:
    _handlers.pop(name, None)


def registered() -> list[tuple[str, MailHandler]]:
    return list(_handlers.items())
