"""django-q2 tasks of the procedures library: thin, they call a service."""

from helpdesk.procedures.onboarding import send_packet_batch

__all__ = ["send_packet_batch"]
