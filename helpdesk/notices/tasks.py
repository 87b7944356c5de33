"""django-q2 tasks of the notices: thin, they call a service."""

from helpdesk.notices.services import send_notice_batch

__all__ = ["send_notice_batch"]
