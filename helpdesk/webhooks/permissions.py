"""Who manages webhooks: administrators only (the pages, and the services the REST API will
share)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from helpdesk.directory.roles import AnyUser, Role, has_role


def may_manage_webhooks(user: AnyUser) -> bool:
    return bool(getattr(user, "is_active", False)) and has_role(user, Role.ADMINISTRATOR)


def require_webhook_manager(user: AnyUser) -> None:
    if not may_manage_webhooks(user):
        raise PermissionDenied(_("Webhooks are managed by administrators."))
