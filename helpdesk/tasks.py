"""django-q2 tasks: thin, they load by id and call a service."""

from helpdesk.services.notifications import send_ticket_email
from helpdesk.services.sweeps import send_breach_emails, sla_sweep

__all__ = ["send_breach_emails", "send_ticket_email", "sla_sweep"]
