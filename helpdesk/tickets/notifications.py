"""Ticket emails: who hears about what, and what the email about a ticket says. A service
calls ``notify_on_commit``; after the commit a django-q2 task carrying ids works out the
recipients and the context and hands them to ``helpdesk.emails``, the one outgoing-mail path,
which renders ``templates/emails/<kind>-subject.txt`` and ``-body.txt``, records the message
with the Message-ID replies will quote, and sends it. Every subject carries the tracking number
in brackets, and every email threads under the ticket's first."""

from typing import Any

from django.conf import settings
from django.db import transaction

from helpdesk import emails
from helpdesk.audit import SYSTEM_LABEL
from helpdesk.directory.roles import Role, has_role
from helpdesk.directory.selectors import role_addresses
from helpdesk.lib.background import enqueue_on_commit
from helpdesk.models import (
    EventKind,
    Notice,
    OutboundEmail,
    OutboundStatus,
    Ticket,
    TicketEvent,
    TicketMessage,
)


def notify_on_commit(kind: str, ticket: Ticket, **extra: Any) -> None:
    """After the commit, queue ``kind``'s email about ``ticket``, as it is now: the event is
    the ticket's version (every saved change moves it on), and the message a reply or a
    question carries, so the same email queued twice is sent once."""
    event = f"v{ticket.version}"
    if extra.get("message_id"):
        event += f":m{extra['message_id']}"
    task = "helpdesk.tickets.tasks.send_ticket_email"
    enqueue_on_commit(task, kind, ticket.pk, event=event, **extra)


def recipients_for(kind: str, ticket: Ticket, *, message_id: int | None = None) -> list[str]:
    """Who hears about what (DESIGN.md: the help desk keeps the local expert informed)."""
    expert = _expert_addresses(ticket)
    assignee = [ticket.assignee.email] if ticket.assignee and ticket.assignee.email else []
    by_kind = {
        "new_report": expert,
        "acknowledgement": expert,
        "resolved_locally": _reporter(ticket),
        "assigned": assignee,
        "taken_on": expert,
        "escalated_to_mis": _mis_addresses(ticket),
        "escalated_notice": expert,
        "mis_reference_changed": expert,
        "info_requested": expert,
        "info_provided": _holder_addresses(ticket),
        "mis_resolved": assignee or [settings.HELPDESK_MAILBOX],
        "mis_resolved_notice": expert,
        "auto_close_reminder": expert,
        # Reported while neither local expert could act: the desk hears it has one to pick up.
        "no_local_expert": [settings.HELPDESK_MAILBOX],
        "resolved": expert + _reporter(ticket),
        "reopened": assignee or [settings.HELPDESK_MAILBOX],
        "rejected": expert,
        "sla_breach": assignee + list(settings.HELP_DESK_SUPERVISORS),
        # A duplicate merged into another: both tickets' local experts hear (tickets.merging).
        "merged": expert + (_expert_addresses(ticket.merged_into) if ticket.merged_into else []),
    }
    if kind == "reply":
        if message_id is None:
            raise ValueError("A reply's email needs the message it carries.")
        message = TicketMessage.objects.select_related("author").get(pk=message_id)
        staff = (
            message.author is not None
            and message.author.groups.filter(name__in=[Role.HELP_DESK, Role.MIS]).exists()
        )
        return emails.unique_addresses(expert if staff else _holder_addresses(ticket))
    return emails.unique_addresses(by_kind[kind])


def send_ticket_email(
    kind: str,
    ticket_id: int,
    *,
    event: str = "",
    auto_reply_to: str = "",
    in_reply_to: str = "",
    **extra: Any,
) -> int:
    """The django-q2 task: queue one kind of email about a ticket, through ``helpdesk.emails``;
    returns how many it goes to (0 when nobody hears, or it was queued before). ``event``: what
    happened (``notify_on_commit`` says), so a retried task queues nothing new.
    ``auto_reply_to``: the email answers an inbound message from that address automatically
    (the acknowledgement of an emailed report), threaded under ``in_reply_to``."""
    ticket = Ticket.objects.select_related(
        "office__agency", "assignee", "local_expert", "mis_owner"
    ).get(pk=ticket_id)
    recipients = recipients_for(kind, ticket, message_id=extra.get("message_id"))
    if auto_reply_to and auto_reply_to.lower() not in {r.lower() for r in recipients}:
        recipients.append(auto_reply_to)
    key = f"ticket:{ticket.pk}:{kind}:{event or f'v{ticket.version}'}"
    with transaction.atomic():
        sent = emails.queue(
            kind,
            to=recipients,
            key=key,
            context=_context(ticket, extra),
            subject_prefix=f"[{ticket.reference}]" if ticket.tracking_number else "",
            in_reply_to=in_reply_to or _thread_root(ticket),
            auto_reply_to=auto_reply_to,
            headers={"X-CCAP-Ticket": ticket.reference},
            ticket=ticket,
        )
        if sent is None:
            return 0
        TicketEvent.objects.create(
            ticket=ticket,
            actor_label=SYSTEM_LABEL,
            kind=EventKind.NOTIFIED,
            note=f"{sent.subject} to {', '.join(sent.recipients)}",
            internal=True,
            data={"kind": kind, "message_id": sent.message_id},
        )
    return len(sent.recipients)


def _context(ticket: Ticket, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "ticket": ticket,
        "message": _message(extra.get("message_id")),
        # The acknowledgement names the open notices about the same problem (reports knows them).
        "open_notices": list(
            Notice.objects.filter(pk__in=extra.get("notice_ids") or []).order_by("-published_at")
        ),
        **{k: v for k, v in extra.items() if k not in ("message_id", "notice_ids")},
    }


def _thread_root(ticket: Ticket) -> str:
    """The Message-ID every later email about the ticket threads under: its first one (sent,
    or still on its way: its Message-ID is already fixed)."""
    about_it = OutboundEmail.objects.filter(ticket=ticket).exclude(status=OutboundStatus.FAILED)
    first = about_it.order_by("created_at", "id").values_list("message_id", flat=True).first()
    return first or ""


def _message(message_id: int | None) -> TicketMessage | None:
    return TicketMessage.objects.filter(pk=message_id).first() if message_id else None


def expert_addresses(ticket: Ticket) -> list[str]:
    """Who hears about a ticket as its local expert: the form's contact and secondary contact,
    the expert it is filed under and the contacts merged duplicates brought, once per address."""
    return emails.unique_addresses(_expert_addresses(ticket))


def _expert_addresses(ticket: Ticket) -> list[str]:
    addresses = [ticket.contact_email, ticket.secondary_email]
    if ticket.local_expert is not None:
        addresses.append(ticket.local_expert.primary_email)
    # Contacts a merged duplicate brought (helpdesk.tickets.merging).
    addresses += [contact.get("email", "") for contact in ticket.extra_contacts]
    return [a for a in addresses if a]


def _reporter(ticket: Ticket) -> list[str]:
    return [ticket.reported_by.primary_email] if ticket.reported_by else []


def _holder_addresses(ticket: Ticket) -> list[str]:
    """Whoever works the ticket now: MIS while it is theirs, else the assignee or the desk."""
    if ticket.state_before_pause == "escalated_to_mis" or ticket.state == "escalated_to_mis":
        return _mis_addresses(ticket)
    if ticket.assignee and ticket.assignee.email:
        return [ticket.assignee.email]
    return [settings.HELPDESK_MAILBOX]


def _mis_addresses(ticket: Ticket) -> list[str]:
    """MIS mail about a ticket: its MIS owner once someone took it on (and still may act),
    else every MIS staff member, so that someone takes it."""
    owner = ticket.mis_owner
    if owner is not None and owner.is_active and owner.email and has_role(owner, Role.MIS):
        return [owner.email]
    return role_addresses(Role.MIS)
