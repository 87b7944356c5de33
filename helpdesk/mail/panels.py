"""The mail intake's home panel: what in the help desk mailbox needs a person."""

from typing import Any

from django.db.models import Count, Q

from helpdesk.directory.roles import Role
from helpdesk.home.panels import Panel
from helpdesk.models import InboundMessage, InboundStatus, Outcome, User


def inbound_mail(user: User) -> dict[str, Any] | None:
    """Mail that needs a person: the quarantine, failures, and anything still waiting."""
    return InboundMessage.objects.aggregate(
        quarantined=Count("pk", filter=Q(outcome=Outcome.QUARANTINED)),
        failed=Count("pk", filter=Q(status=InboundStatus.FAILED)),
        waiting=Count("pk", filter=Q(status=InboundStatus.RECEIVED)),
    )


PANELS = (Panel("inbound_mail", "Inbound mail", {Role.HELP_DESK}, inbound_mail, order=20),)
