"""Roles: the Django groups of DESIGN.md, their permissions, and who holds them."""

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from helpdesk.audit import record
from helpdesk.directory.roles import Role, forget_roles
from helpdesk.models import AuditKind

# Administrators manage the directory, logins, lockouts and schedules in the Django admin.
# The audit trail is readable, never writable, by anyone.
_ADMIN_APPS = ("helpdesk", "auth", "axes", "django_q", "forms_4052_4055", "access", "escalation")
_READ_ONLY_MODELS = ("auditevent",)


def ensure_role_groups(using: str = "default") -> None:
    """Create the role groups and give administrators their permissions. Idempotent."""
    for role in Role:
        Group.objects.using(using).get_or_create(name=role.value)
    admin_group = Group.objects.using(using).get(name=Role.ADMINISTRATOR)
    wanted = Permission.objects.using(using).filter(content_type__app_label__in=_ADMIN_APPS)
    wanted = wanted.exclude(
        content_type__model__in=_READ_ONLY_MODELS, codename__regex=r"^(add|change|delete)_"
    )
    missing = set(wanted.values_list("pk", flat=True)) - set(
        admin_group.permissions.values_list("pk", flat=True)
    )
    if missing:
        admin_group.permissions.add(*missing)


@transaction.atomic
def set_roles(user, roles: Iterable[str], *, by, note: str = "", actor_label: str = "") -> bool:
    """Make ``user`` hold exactly ``roles``; audited. Returns whether anything changed."""
    wanted = {Role(r).value for r in roles}
    current = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    if wanted == current:
        return False
    role_groups = Group.objects.filter(name__in=Role.values)
    user.groups.remove(*[g for g in role_groups if g.name in current - wanted])
    user.groups.add(*[g for g in role_groups if g.name in wanted - current])
    forget_roles(user)
    record(
        AuditKind.ROLES_CHANGED,
        actor=by,
        target=user,
        before={"roles": sorted(current)},
        after={"roles": sorted(wanted)},
        note=note,
        actor_label=actor_label,
    )
    return True


def current_roles(user) -> set[str]:
    return set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))


def sync_local_expert_role(person, *, by, actor_label: str = "") -> None:
    """A person with a login holds the local expert role exactly while they have a designation."""
    user = person.user
    if user is None:
        return
    roles = current_roles(user)
    if person.designations.exists():
        roles.add(Role.LOCAL_EXPERT)
    else:
        roles.discard(Role.LOCAL_EXPERT)
    set_roles(
        user,
        roles,
        by=by,
        note="Follows the person's local expert designations.",
        actor_label=actor_label,
    )
