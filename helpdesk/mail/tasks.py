"""django-q2 tasks of the mail intake: thin, they call a service."""

from helpdesk.mail import mailbox
from helpdesk.mail.replies import send_inbound_reply


def poll_mail() -> dict:
    """The every-minute intake pass (IMAP, or the drop folder)."""
    return mailbox.poll().as_json()


__all__ = ["poll_mail", "send_inbound_reply"]
