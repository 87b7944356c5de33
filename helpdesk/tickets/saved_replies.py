"""Saved replies: who uses and manages them, how their placeholders are filled, and sending one
on a ticket (the message, then the reply's action through the one transition path).

Placeholders are filled by a whitelist substitution, never by ``str.format``: a body such as
``{summary.__class__}`` or ``{0}`` stays as typed, and a value (a summary typed by anyone) is put
in as plain text and never read for placeholders again. The page escapes it like any text."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from escalation.workflow import Action
from helpdesk.actor import Actor
from helpdesk.audit import record, snapshot
from helpdesk.models import AuditKind, ReplyOwner, SavedReply, Ticket, TicketMessage
from helpdesk.tickets import services as svc
from helpdesk.tickets.attachments import attach
from helpdesk.transitions import ConflictError


def _expert_name(ticket: Ticket) -> str:
    if ticket.local_expert is not None:
        return ticket.local_expert.full_name
    return ticket.contact_name


# The value of each name a body may use (``helpdesk.models.replies.PLACEHOLDER_NAMES``), read
# from the ticket when the reply is used.
PLACEHOLDERS: dict[str, Callable[[Ticket], str]] = {
    "tracking_number": lambda ticket: ticket.reference,
    "expert_name": _expert_name,
    "office": lambda ticket: str(ticket.office),
    "summary": lambda ticket: ticket.summary,
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def render(body: str, ticket: Ticket) -> str:
    """``body`` with each known placeholder replaced by the ticket's value (one pass: a value
    that looks like a placeholder stays as it is); anything else in braces is left alone."""

    def fill(match: re.Match[str]) -> str:
        value = PLACEHOLDERS.get(match[1])
        return value(ticket) if value is not None else match[0]

    return _PLACEHOLDER.sub(fill, body)


# --- Who ------------------------------------------------------------------------------------------


def owners_of(actor: Actor) -> list[str]:
    """The saved replies' owners whose staff ``actor`` is (help desk, MIS, or both)."""
    return [owner for owner in ReplyOwner.values if actor.has_role(owner)]


def may_use(actor: Actor, reply: SavedReply) -> bool:
    return actor.is_active and reply.active and actor.has_role(reply.owner)


def may_manage(actor: Actor, owner: str) -> bool:
    return actor.is_active and owner in owners_of(actor)


def replies_for(actor: Actor) -> QuerySet[SavedReply]:
    """The active saved replies ``actor`` may use on a ticket."""
    return SavedReply.objects.filter(owner__in=owners_of(actor), active=True)


def managed_by(actor: Actor) -> QuerySet[SavedReply]:
    """Every saved reply ``actor`` may manage, inactive ones included."""
    return SavedReply.objects.filter(owner__in=owners_of(actor))


@dataclass(frozen=True)
class Offered:
    """A saved reply as the ticket page offers it: filled in for that ticket."""

    reply: SavedReply
    body: str


def offered_on(ticket: Ticket, actor: Actor) -> list[Offered]:
    return [Offered(reply, render(reply.body, ticket)) for reply in replies_for(actor)]


# --- Managing them --------------------------------------------------------------------------------


@transaction.atomic
def create_reply(
    *, by: Actor, title: str, body: str, owner: str, action: str = "", active: bool = True
) -> SavedReply:
    if not may_manage(by, owner):
        raise PermissionDenied(_("Only staff of that role manage its saved replies."))
    reply = SavedReply(
        title=title, body=body, owner=owner, action=action, active=active, created_by=by.user
    )
    reply.full_clean()
    reply.save()
    record(AuditKind.CREATED, actor=by, target=reply, after=snapshot(reply))
    return reply


@transaction.atomic
def update_reply(
    reply: SavedReply, *, by: Actor, title: str, body: str, action: str, active: bool
) -> SavedReply:
    """Edit a saved reply; its owner does not change (a reply moves between roles in the admin)."""
    row = SavedReply.objects.select_for_update().get(pk=reply.pk)
    if not may_manage(by, row.owner):
        raise PermissionDenied(_("Only staff of that role manage its saved replies."))
    before = snapshot(row)
    row.title, row.body, row.action, row.active = title, body, action, active
    row.full_clean()
    row.save()
    after = snapshot(row)
    if before != after:
        record(AuditKind.CHANGED, actor=by, target=row, before=before, after=after)
    return row


# --- Sending one ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentReply:
    message: TicketMessage
    # The action taken with the message, or None; and, when the reply has an action that was
    # not taken, why (the message went anyway).
    action: Action | None
    refusal: str = ""


# How each action takes the reply's text: the question asked, the resolution recorded, etc.
_TAKE: dict[Action, Callable[[Ticket, Actor, str], Ticket]] = {
    Action.RESOLVE: lambda t, by, text: svc.resolve(t, by=by, resolution=text),
    Action.ESCALATE_TO_MIS: lambda t, by, text: svc.escalate_to_mis(t, by=by, note=text),
    Action.REPORT_MIS_RESOLUTION: lambda t, by, text: svc.report_mis_resolution(
        t, by=by, resolution=text
    ),
    Action.REJECT: lambda t, by, text: svc.reject(t, by=by, reason=text),
}
_REFUSALS = (ConflictError, PermissionDenied, ValidationError)


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


@transaction.atomic
def send_saved_reply(
    ticket: Ticket,
    *,
    by: Actor,
    reply: SavedReply,
    body: str,
    internal: bool = False,
    files: Sequence[tuple[str, bytes]] = (),
) -> SentReply:
    """Send ``body`` (the reply as the person left it after editing) as a message on the ticket;
    if the reply has an action, take it too, through the one transition path, when ``by`` may
    and the ticket's state allows. A refused action never stops the message: the refusal is
    returned for the page to show."""
    if not may_use(by, reply):
        raise PermissionDenied(_("This saved reply is not yours to use."))
    if not reply.action:
        message = svc.post_message(ticket, by=by, body=body, internal=internal, files=list(files))
        return SentReply(message, None)
    action = Action(reply.action)
    if internal:
        message = svc.post_message(ticket, by=by, body=body, internal=True, files=list(files))
        refusal = _("An internal note changes nothing on the ticket.")
        return SentReply(message, None, _refused(action, refusal))
    if action == Action.REQUEST_INFO:
        # The question is the message: the transition writes it (and mails it) itself.
        try:
            with transaction.atomic():
                asked = svc.request_info(ticket, by=by, question=body)
                message = asked.messages.filter(author=by.user).latest("created_at", "id")
                for name, data in files:
                    attach(asked, by=by, name=name, data=data, message=message)
            return SentReply(message, action)
        except _REFUSALS as error:
            message = svc.post_message(ticket, by=by, body=body, files=list(files))
            return SentReply(message, None, _refused(action, _reason(error)))
    message = svc.post_message(ticket, by=by, body=body, files=list(files))
    try:
        with transaction.atomic():
            _TAKE[action](ticket, by, body)
    except _REFUSALS as error:
        return SentReply(message, None, _refused(action, _reason(error)))
    return SentReply(message, action)


def _refused(action: Action, reason: str) -> str:
    return _("The message was sent, but “%(action)s” was not done: %(reason)s") % {
        "action": action.label,
        "reason": reason,
    }
