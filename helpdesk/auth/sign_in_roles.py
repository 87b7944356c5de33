"""Roles decided at sign-in by a directory (LDAP) or an identity provider (OIDC): one rule for
both. The source names the roles it maps; a local expert designation in the help desk's own
directory keeps the local expert role whatever the source says; every change is audited."""

import logging
from collections.abc import Iterable

from helpdesk.actor import Actor
from helpdesk.directory.roles import Role
from helpdesk.directory.services import set_roles
from helpdesk.models import Person, User

log = logging.getLogger(__name__)


def roles_from_groups(role_groups: dict[str, str], member_of: Iterable[str]) -> set[str]:
    """The roles whose configured group (already in one spelling) is among ``member_of``."""
    groups = set(member_of)
    return {role for role, group in role_groups.items() if group in groups}


def apply_sign_in_roles(user: User, mapped: set[str], *, by: Actor, note: str) -> None:
    """Give ``user`` exactly the mapped roles (plus local expert while designated)."""
    _link_person(user, source=by.label)
    roles = set(mapped)
    person = Person.objects.filter(user=user).first()
    if person is not None and person.designations.exists():
        roles.add(Role.LOCAL_EXPERT)
    set_roles(user, roles, by=by, note=note)


def _link_person(user: User, *, source: str) -> None:
    """Link a new login to the directory person with the same address, if unlinked."""
    if not user.email or Person.objects.filter(user=user).exists():
        return
    matches = list(Person.objects.active().with_email(user.email).filter(user__isnull=True)[:2])
    if len(matches) == 1:
        matches[0].user = user
        matches[0].save(update_fields=["user", "updated_at"])
        log.info("Linked %s login %s to directory person %s", source, user.username, matches[0].pk)
