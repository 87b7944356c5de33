"""django-q2 tasks: thin, they load by id and call a service."""

from helpdesk.mail import mailbox
from helpdesk.notices.services import send_notice_batch
from helpdesk.tickets.notifications import send_inbound_reply, send_ticket_email
from helpdesk.tickets.sweeps import send_breach_emails, sla_sweep


def poll_mail() -> dict:
    """The every-minute intake pass (IMAP, or the drop folder)."""
    return mailbox.poll().as_json()


__all__ = [
    "poll_mail",
    "send_breach_emails",
    "send_inbound_reply",
    "send_notice_batch",
    "send_ticket_email",
    "sla_sweep",
]
