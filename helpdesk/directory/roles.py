"""The five roles of DESIGN.md, held as Django groups."""

from django.contrib.auth.models import AnonymousUser
from django.db import models

from helpdesk.models import User

# Whoever a request, a socket or a service has: a signed-in user, the anonymous one, or nobody.
AnyUser = User | AnonymousUser | None


class Role(models.TextChoices):
    AGENCY_USER = "agency_user", "Agency user"
    LOCAL_EXPERT = "local_expert", "Local expert"
    HELP_DESK = "help_desk", "Help desk staff"
    MIS = "mis", "IDHS/MIS staff"
    ADMINISTRATOR = "administrator", "Administrator"


# Roles that work across every agency (the state side); the others see their own agency only.
STATE_ROLES = frozenset({Role.HELP_DESK, Role.MIS, Role.ADMINISTRATOR})
# Help desk staff and administrators: who runs the help desk (its queue, dashboards, notices).
DESK_STAFF = frozenset({Role.HELP_DESK, Role.ADMINISTRATOR})


def roles_of(user: AnyUser) -> frozenset[str]:
    """The user's role names, cached on the user object for the request."""
    if not isinstance(user, User) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_ccap_roles", None)
    if cached is None:
        names = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        if user.is_superuser:
            names.add(Role.ADMINISTRATOR)
        cached = frozenset(names)
        user._ccap_roles = cached
    return cached


def has_role(user: AnyUser, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def forget_roles(user: User) -> None:
    """Drop the per-request cache after a role change."""
    for cached in ("_ccap_roles", "_ccap_expert_offices"):
        if hasattr(user, cached):
            delattr(user, cached)
