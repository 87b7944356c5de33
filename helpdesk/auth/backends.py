"""The LDAP login backend, guarded against taking over local accounts."""

import logging

from django_auth_ldap.backend import LDAPBackend, _LDAPUser

from helpdesk.auth.ldap_roles import sync_roles_from_ldap
from helpdesk.models import User

log = logging.getLogger(__name__)


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap, except that a directory entry never signs in to a local account.

    django-auth-ldap matches usernames case-insensitively against every existing user; without
    this guard a directory user whose uid equals a local account's username (a local ``admin``,
    say) would sign in to it with their directory password. Logins that LDAP created have no
    usable local password, so that is the mark of an account LDAP may use.
    """

    def authenticate_ldap_user(self, ldap_user: _LDAPUser, password: str) -> User | None:
        """Signed in through the directory: its groups set the roles, every time."""
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None:
            sync_roles_from_ldap(user, ldap_user)
        return user

    def get_or_build_user(self, username: str, ldap_user: _LDAPUser) -> tuple[User, bool]:
        user, built = super().get_or_build_user(username, ldap_user)
        if not built and user.has_usable_password():
            log.warning("LDAP login refused for %r: a local account has that username.", username)
            raise _LDAPUser.AuthenticationFailed("username belongs to a local account")
        return user, built
