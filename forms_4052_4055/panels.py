"""Home page panels of the security forms (registered from AppConfig.ready)."""

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from forms_4052_4055.models import FormState, SecurityForm
from forms_4052_4055.permissions import expert_agency_id
from helpdesk.directory.roles import Role, has_role
from helpdesk.home.panels import Panel
from helpdesk.models import User


def forms_attention(user: User) -> dict[str, Any] | None:
    """What waits on security forms: copies to verify, forms to file, forms overdue. A local
    expert sees their agency's; help desk staff see all."""
    forms = SecurityForm.objects.all()
    if not has_role(user, Role.HELP_DESK):
        agency = expert_agency_id(user)
        if agency is None:
            return None
        forms = forms.filter(person__office__agency_id=agency)
    now = timezone.now()
    waiting = [FormState.ISSUED, FormState.RETURNED]
    return forms.aggregate(
        to_verify=Count("pk", filter=Q(state=FormState.RECEIVED)),
        to_file=Count("pk", filter=Q(state=FormState.VERIFIED)),
        waiting=Count("pk", filter=Q(state__in=waiting)),
        overdue=Count("pk", filter=Q(state__in=waiting, due_at__lt=now)),
    )


PANELS = (
    Panel(
        "security_forms",
        "Security forms",
        {Role.HELP_DESK, Role.LOCAL_EXPERT},
        forms_attention,
        order=30,
    ),
)
