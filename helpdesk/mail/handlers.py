"""Mail handlers of higher apps. ``helpdesk`` must not import ``forms_4052_4055`` or ``access``
(DESIGN.md layering), yet a signed security form or a departure report arrives through this
mailbox. Those apps register a handler here from ``AppConfig.ready``; the intake offers each
message to every handler, in registration order, before reading it as a Problem Report Form.

Higher apps also name the addresses they correspond with (``known_correspondents``: CMS,
MIS): such a sender is never told to go through a local expert.

A handler is ``handler(parsed, inbound, sender) -> Handled | None``. It runs inside the
intake's transaction: if it raises, nothing it did is kept and the message is marked failed,
to be reprocessed once the cause is fixed."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.mail.quotes import trim_quoted
from helpdesk.models import AuditKind, InboundMessage, MailReply, Ticket
from helpdesk.registry import Registry

if TYPE_CHECKING:  # the intake, above this module, hands these to every handler
    from helpdesk.mail.intake import Sender
    from helpdesk.mail.parse import ParsedMail


@dataclass(frozen=True)
class Handled:
    detail: str
    ticket: Ticket | None = None  # when the handler attached the message to one
    # The handler recognised the message but could not act on it: hold it for a person.
    needs_review: bool = False


@dataclass(frozen=True)
class MailHandler:
    name: str
    handle: "Callable[[ParsedMail, InboundMessage, Sender], Handled | None]"


# Offered every message in registration order; keyed by name, so registering twice is once.
mail_handlers: Registry[MailHandler] = Registry("mail handlers", key=lambda h: h.name)


@dataclass(frozen=True)
class KnownCorrespondent:
    """Addresses a higher app writes to and hears back from (e.g. access's fulfillers)."""

    name: str
    is_known: Callable[[str], bool]


known_correspondents: Registry[KnownCorrespondent] = Registry(
    "known mail correspondents", key=lambda c: c.name
)


def reply_text(parsed: "ParsedMail") -> str:
    """What a reply says, without the message it quotes: what a handler shows a person."""
    return trim_quoted(parsed.text).strip() or "(The email had no text.)"


def show_reply(
    reply: MailReply, parsed: "ParsedMail", inbound: InboundMessage, address: str
) -> MailReply:
    """Keep an answer by email on what it answers (``reply`` is the unsaved row already
    pointing at it: a ``RequestReply`` or a ``FormReply``) for the help desk to read; it
    changes nothing by itself. Audited on what it answers."""
    reply.inbound = inbound
    reply.from_address = address.lower()
    reply.subject = parsed.subject[:998]
    reply.body = reply_text(parsed)
    reply.attachment_names = [part.name for part in parsed.attachments]
    reply.save()
    record(
        AuditKind.CHANGED,
        actor=Actor.system(f"an email from {address}"),
        target=reply.answered,
        after={"reply": reply.pk, "inbound": inbound.pk},
        note=f"Reply by email from {address} (inbound #{inbound.pk}).",
    )
    return reply
