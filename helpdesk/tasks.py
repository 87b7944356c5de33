"""django-q2 tasks: thin, they load by id and call a service."""

from helpdesk.services import mailbox
from helpdesk.services.notices import send_notice_batch
from helpdesk.services.notifications import send_inbound_reply, send_ticket_email
from helpdesk.services.sweeps import send_breach_emails, sla_sweep


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
