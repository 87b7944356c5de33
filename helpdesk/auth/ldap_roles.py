"""LDAP login: map directory groups to roles and link the login to its directory person."""

import logging
from typing import TYPE_CHECKING

import ldap.dn
from django.conf import settings

from helpdesk.actor import Actor
from helpdesk.directory.roles import Role
from helpdesk.directory.services import set_roles
from helpdesk.models import Person, User

if TYPE_CHECKING:
    from django_auth_ldap.backend import _LDAPUser

log = logging.getLogger(__name__)
# The directory decides the roles at every LDAP login; the audit trail names it "ldap".
LDAP_LOGIN = Actor.system("roles from the LDAP directory at login", label="ldap")


def sync_roles_from_ldap(user: User, ldap_user: "_LDAPUser") -> None:
    """The directory decides the mapped roles at every LDAP login (the login backend calls this
    once the user is saved); a local expert designation in the help desk's own directory keeps
    the local expert role whatever LDAP says."""
    _link_person(user)
    role_groups: dict[str, str] = getattr(settings, "CCAP_LDAP_ROLE_GROUPS", {})
    member_of = {_dn_key(dn) for dn in ldap_user.group_dns}
    roles = {role for role, dn in role_groups.items() if _dn_key(dn) in member_of}
    person = getattr(user, "person", None)
    if person is not None and person.designations.exists():
        roles.add(Role.LOCAL_EXPERT)
    set_roles(user, roles, by=LDAP_LOGIN, note="LDAP login")


def _dn_key(dn: str) -> str:
    """A DN in one spelling: ``CN=Staff, OU=Groups`` and ``cn=staff,ou=groups`` compare equal."""
    try:
        return ldap.dn.dn2str(ldap.dn.str2dn(dn.strip())).lower()
    except ldap.DECODING_ERROR:
        return dn.strip().lower()


def _link_person(user: User) -> None:
    """Link a new LDAP login to the directory person with the same address, if unlinked."""
    if not user.email or Person.objects.filter(user=user).exists():
        return
    matches = list(Person.objects.active().with_email(user.email).filter(user__isnull=True)[:2])
    if len(matches) == 1:
        matches[0].user = user
        matches[0].save(update_fields=["user", "updated_at"])
        log.info("Linked LDAP login %s to directory person %s", user.username, matches[0].pk)
