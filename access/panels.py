"""Home page panel of access management (registered from AppConfig.ready)."""

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from access.models import AccessRequest, RequestKind, RequestState
from forms_4052_4055.permissions import expert_agency_id
from helpdesk.directory.roles import Role, has_role
from helpdesk.home.panels import Panel
from helpdesk.models import User


def access_attention(user: User) -> dict[str, Any] | None:
    """Revocations due and overdue; requests waiting on the help desk or on forms; for the help
    desk, submitted requests their fulfiller has answered by email (to record)."""
    requests = AccessRequest.objects.open()
    help_desk = has_role(user, Role.HELP_DESK)
    if not help_desk:
        agency = expert_agency_id(user)
        if agency is None:
            return None
        requests = requests.filter(person__office__agency_id=agency)
    now = timezone.now()
    revoke = Q(kind=RequestKind.REVOKE)
    counts = requests.aggregate(
        revocations=Count("pk", filter=revoke),
        overdue=Count("pk", filter=revoke & Q(deadline__lt=now)),
        to_submit=Count("pk", filter=Q(state=RequestState.READY)),
        awaiting_forms=Count("pk", filter=Q(state=RequestState.AWAITING_FORMS)),
    )
    if help_desk:  # replies are shown to the help desk only (access.views._render_detail)
        answered = requests.filter(state=RequestState.SUBMITTED, replies__isnull=False)
        counts["answered"] = answered.distinct().count()
    return counts


PANELS = (
    Panel("access", "Access", {Role.HELP_DESK, Role.LOCAL_EXPERT}, access_attention, order=25),
)
