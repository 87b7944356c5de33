"""Ticket emails: queued after commit as a django-q2 task carrying ids, rendered from
``templates/emails/<kind>-subject.txt`` and ``-body.txt``, and recorded with the Message-ID
that replies will quote. Every subject carries the tracking number in brackets."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone

from helpdesk.audit import SYSTEM_LABEL
from helpdesk.directory.roles import Role
from helpdesk.directory.selectors import role_addresses
from helpdesk.emails import automatic_headers, new_message_id
from helpdesk.lib.background import enqueue_on_commit
from helpdesk.models import (
    EventKind,
    Notice,
    OutboundEmail,
    Ticket,
    TicketEvent,
    TicketMessage,
)


def notify_on_commit(kind: str, ticket: Ticket, **extra) -> None:
    enqueue_on_commit("helpdesk.tickets.tasks.send_ticket_email", kind, ticket.pk, **extra)


def recipients_for(kind: str, ticket: Ticket, **extra) -> list[str]:
    """Who hears about what (DESIGN.md: the help desk keeps the local expert informed)."""
    expert = _expert_addresses(ticket)
    assignee = [ticket.assignee.email] if ticket.assignee and ticket.assignee.email else []
    by_kind = {
        "new_report": expert,
        "acknowledgement": expert,
        "resolved_locally": _reporter(ticket),
        "assigned": assignee,
        "escalated_to_mis": role_addresses(Role.MIS),
        "escalated_notice": expert,
        "info_requested": expert,
        "info_provided": _holder_addresses(ticket),
        "mis_resolved": assignee or [settings.HELPDESK_MAILBOX],
        "resolved": expert + _reporter(ticket),
        "reopened": assignee or [settings.HELPDESK_MAILBOX],
        "rejected": expert,
        "sla_breach": assignee + list(settings.HELP_DESK_SUPERVISORS),
    }
    if kind == "reply":
        message = TicketMessage.objects.select_related("author").get(pk=extra["message_id"])
        staff = (
            message.author is not None
            and message.author.groups.filter(name__in=[Role.HELP_DESK, Role.MIS]).exists()
        )
        return _unique(expert if staff else _holder_addresses(ticket))
    return _unique(by_kind[kind])


def send_ticket_email(
    kind: str, ticket_id: int, *, auto_reply_to: str = "", in_reply_to: str = "", **extra
) -> int:
    """Render, record and send one kind of email about a ticket; returns how many were sent.
    ``auto_reply_to``: the email answers an inbound message from that address automatically
    (the acknowledgement of an emailed report), threaded under ``in_reply_to``."""
    ticket = Ticket.objects.select_related("office__agency", "assignee", "local_expert").get(
        pk=ticket_id
    )
    recipients = recipients_for(kind, ticket, **extra)
    if auto_reply_to and auto_reply_to.lower() not in {r.lower() for r in recipients}:
        recipients.append(auto_reply_to)
    if not recipients:
        return 0
    context = {
        "ticket": ticket,
        "site_url": settings.SITE_URL,
        "message": _message(extra.get("message_id")),
        # The acknowledgement names the open notices about the same problem (reports knows them).
        "open_notices": list(
            Notice.objects.filter(pk__in=extra.get("notice_ids") or []).order_by("-published_at")
        ),
        **{k: v for k, v in extra.items() if k not in ("message_id", "notice_ids")},
    }
    subject = " ".join(render_to_string(f"emails/{kind}-subject.txt", context).split())
    subject = f"[{ticket.reference}] {subject}" if ticket.tracking_number else subject
    body = render_to_string(f"emails/{kind}-body.txt", context)
    message_id = new_message_id(f"ticket{ticket.pk}")
    thread_root = ticket.emails.exclude(sent_at=None).order_by("created_at").first()
    headers = {
        "Message-ID": message_id,
        **automatic_headers(replied=bool(auto_reply_to)),
        "X-CCAP-Ticket": ticket.reference,
    }
    parent = in_reply_to or (thread_root.message_id if thread_root is not None else "")
    if parent:
        headers["In-Reply-To"] = parent
        headers["References"] = parent
    outbound = OutboundEmail.objects.create(
        ticket=ticket,
        kind=kind,
        message_id=message_id,
        recipients=recipients,
        subject=subject,
        auto_reply_to=auto_reply_to.lower(),
    )
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, headers=headers).send()
    outbound.sent_at = timezone.now()
    outbound.save(update_fields=["sent_at"])
    TicketEvent.objects.create(
        ticket=ticket,
        actor_label=SYSTEM_LABEL,
        kind=EventKind.NOTIFIED,
        note=f"{subject} to {', '.join(recipients)}",
        internal=True,
        data={"kind": kind, "message_id": message_id},
    )
    return len(recipients)


def send_inbound_reply(kind: str, inbound_id: int, **context) -> int:
    """An automatic answer to an inbound message that made no ticket (a report from someone who
    is not a local expert): rendered from ``emails/<kind>-*.txt``, threaded under the message it
    answers, and counted against the sender's daily limit."""
    from helpdesk.models import InboundMessage

    inbound = InboundMessage.objects.without_raw().get(pk=inbound_id)
    if not inbound.from_address:
        return 0
    context = {"inbound": inbound, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{kind}-subject.txt", context).split())
    body = render_to_string(f"emails/{kind}-body.txt", context)
    message_id = new_message_id(f"inbound{inbound.pk}")
    headers = {"Message-ID": message_id, **automatic_headers(replied=True)}
    if inbound.message_id:
        headers["In-Reply-To"] = inbound.message_id
        headers["References"] = inbound.message_id
    outbound = OutboundEmail.objects.create(
        kind=kind,
        message_id=message_id,
        recipients=[inbound.from_address],
        subject=subject,
        auto_reply_to=inbound.from_address.lower(),
    )
    EmailMessage(
        subject, body, settings.DEFAULT_FROM_EMAIL, [inbound.from_address], headers=headers
    ).send()
    outbound.sent_at = timezone.now()
    outbound.save(update_fields=["sent_at"])
    return 1


def _message(message_id: int | None) -> TicketMessage | None:
    return TicketMessage.objects.filter(pk=message_id).first() if message_id else None


def expert_addresses(ticket: Ticket) -> list[str]:
    """Who hears about a ticket as its local expert: the form's contact and secondary contact
    and the expert it is filed under, once per address."""
    return _unique(_expert_addresses(ticket))


def _expert_addresses(ticket: Ticket) -> list[str]:
    addresses = [ticket.contact_email, ticket.secondary_email]
    if ticket.local_expert is not None:
        addresses.append(ticket.local_expert.primary_email)
    return [a for a in addresses if a]


def _reporter(ticket: Ticket) -> list[str]:
    return [ticket.reported_by.primary_email] if ticket.reported_by else []


def _holder_addresses(ticket: Ticket) -> list[str]:
    """Whoever works the ticket now: MIS while it is theirs, else the assignee or the desk."""
    if ticket.state_before_pause == "escalated_to_mis" or ticket.state == "escalated_to_mis":
        return role_addresses(Role.MIS)
    if ticket.assignee and ticket.assignee.email:
        return [ticket.assignee.email]
    return [settings.HELPDESK_MAILBOX]


def _unique(addresses: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.lower(), address)
    return list(seen.values())
