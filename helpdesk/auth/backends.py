"""The LDAP login backend: it signs in only the logins LDAP made itself."""

import logging
from typing import Any

from django_auth_ldap.backend import LDAPBackend, _LDAPUser

from helpdesk.auth.ldap_roles import sync_roles_from_ldap
from helpdesk.models import SignInSource, User

log = logging.getLogger(__name__)


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap, except that a directory entry signs in only to a login LDAP made.

    django-auth-ldap matches usernames case-insensitively against every existing user; without
    this guard a directory user whose uid equals a local account's username (a local ``admin``,
    say, or a local account whose password was never set) would sign in to it with their
    directory password. The mark is recorded, not guessed: ``sign_in_source`` is set to LDAP
    when LDAP builds the login, and nothing else sets it. A superuser or staff-site login, or
    a disabled one, is never signed in through the directory, whatever its mark says.
    """

    def authenticate_ldap_user(self, ldap_user: _LDAPUser, password: str) -> User | None:
        """Signed in through the directory: its groups set the roles, every time."""
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None:
            sync_roles_from_ldap(user, ldap_user)
        return user

    def get_or_build_user(self, username: str, ldap_user: _LDAPUser) -> tuple[User, bool]:
        user, built = super().get_or_build_user(username, ldap_user)
        if built:
            user.sign_in_source = SignInSource.LDAP  # saved by django-auth-ldap with the user
            return user, built
        refusal = _refusal(user)
        if refusal:
            log.warning("LDAP login refused for %r: %s.", username, refusal)
            raise _LDAPUser.AuthenticationFailed(refusal)
        return user, built

    def get_user(self, user_id: Any) -> User | None:
        """A session this backend opened lasts only while the login may still use it."""
        user: User | None = super().get_user(user_id)
        if user is None or _refusal(user):
            return None
        return user


def _refusal(user: User) -> str:
    """Why the directory may not sign in to ``user`` (empty when it may)."""
    if user.sign_in_source != SignInSource.LDAP:
        return "the login was not made by the directory"
    if user.is_superuser or user.is_staff:
        return "the login is privileged"
    if not user.is_active:
        return "the login is disabled"
    return ""
