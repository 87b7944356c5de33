"""LDAP login: map directory groups to roles and link the login to its directory person."""

from typing import TYPE_CHECKING

import ldap.dn
from django.conf import settings

from helpdesk.actor import Actor
from helpdesk.auth.sign_in_roles import apply_sign_in_roles, roles_from_groups
from helpdesk.models import User

if TYPE_CHECKING:
    from django_auth_ldap.backend import _LDAPUser

# The directory decides the roles at every LDAP login; the audit trail names it "ldap".
LDAP_LOGIN = Actor.system("roles from the LDAP directory at login", label="ldap")


def sync_roles_from_ldap(user: User, ldap_user: "_LDAPUser") -> None:
    """The directory decides the mapped roles at every LDAP login (the login backend calls this
    once the user is saved); a local expert designation in the help desk's own directory keeps
    the local expert role whatever LDAP says (``helpdesk.auth.sign_in_roles``)."""
    role_groups: dict[str, str] = getattr(settings, "CCAP_LDAP_ROLE_GROUPS", {})
    roles = roles_from_groups(
        {role: _dn_key(dn) for role, dn in role_groups.items()},
        (_dn_key(dn) for dn in ldap_user.group_dns),
    )
    apply_sign_in_roles(user, roles, by=LDAP_LOGIN, note="LDAP login")


def _dn_key(dn: str) -> str:
    """A DN in one spelling: ``CN=Staff, OU=Groups`` and ``cn=staff,ou=groups`` compare equal."""
    try:
        return ldap.dn.dn2str(ldap.dn.str2dn(dn.strip())).lower()
    except ldap.DECODING_ERROR:
        return dn.strip().lower()
