"""Single sign-on: mozilla-django-oidc's backend, kept to the logins the provider made.

A provider's word signs in only a login it created itself (``sign_in_source="oidc"``): never
a local or LDAP account that happens to share the name, never a staff or superuser login, never
a deactivated one. The login is named by the provider's ``sub`` claim (or the configured
``OIDC_USERNAME_CLAIM``); its roles follow the provider's groups at every sign-in, through the
same rule as LDAP's (``helpdesk.auth.sign_in_roles``).
"""

import logging
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from helpdesk.actor import Actor
from helpdesk.auth.mfa import SECOND_FACTOR_AMR
from helpdesk.auth.sign_in_roles import apply_sign_in_roles, roles_from_groups
from helpdesk.models import SignInSource, User

log = logging.getLogger(__name__)
# The provider decides the roles at every single sign-on; the audit trail names it "oidc".
OIDC_LOGIN = Actor.system("roles from single sign-on at login", label="oidc")
# Set on the user the backend returns: the ID token says the provider checked a second factor.
PROVIDER_SECOND_FACTOR_ATTR = "_ccap_provider_second_factor"


class SingleSignOnBackend(OIDCAuthenticationBackend):
    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        """A provider that refuses the code (a wrong PKCE verifier, a replayed or expired code)
        or cannot be reached means a refused sign-in, not an error page."""
        try:
            user: User | None = super().authenticate(request, **kwargs)
        except requests.RequestException as error:
            log.warning("Single sign-on refused: the provider said %s", _status_of(error))
            return None
        return user

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        # Case-insensitively, so that a provider's "Admin" cannot become a second "admin".
        return User.objects.filter(username__iexact=_username(claims))

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(_username(claims))

    def create_user(self, claims: dict[str, Any]) -> User:
        user = User.objects.create_user(
            _username(claims),
            email=claims.get("email", ""),
            first_name=claims.get("given_name", "")[:150],
            last_name=claims.get("family_name", "")[:150],
            sign_in_source=SignInSource.OIDC,
        )
        log.info("Single sign-on created login %s", user.username)
        _sync_roles(user, claims)
        return user

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        _refuse_unless_made_by_provider(user)
        user.email = claims.get("email", user.email)
        user.first_name = claims.get("given_name", user.first_name)[:150]
        user.last_name = claims.get("family_name", user.last_name)[:150]
        user.save(update_fields=["email", "first_name", "last_name"])
        _sync_roles(user, claims)
        return user

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        """The login, marked when the (verified) ID token's ``amr`` names a second factor."""
        user: User | None = super().get_or_create_user(access_token, id_token, payload)
        if user is not None:
            amr = payload.get("amr") or []
            used = set(amr) if isinstance(amr, list) else set()
            setattr(user, PROVIDER_SECOND_FACTOR_ATTR, bool(used & SECOND_FACTOR_AMR))
        return user


def _status_of(error: requests.RequestException) -> str:
    """The provider's HTTP status only: its body may echo the code or the client's secret."""
    response = error.response
    return f"HTTP {response.status_code}" if response is not None else type(error).__name__


def _username(claims: dict[str, Any]) -> str:
    value = claims.get(getattr(settings, "OIDC_USERNAME_CLAIM", "sub"))
    return str(value).strip()[:150] if value not in (None, "") else ""


def _refuse_unless_made_by_provider(user: User) -> None:
    """mozilla-django-oidc turns this into a refused sign-in (and logs it)."""
    if user.sign_in_source != SignInSource.OIDC:
        log.warning(
            "Single sign-on refused for %r: a %s login has that name.",
            user.username,
            user.sign_in_source,
        )
        raise SuspiciousOperation("the username belongs to a login single sign-on did not make")
    if user.is_superuser or user.is_staff:
        log.warning("Single sign-on refused for %r: a privileged login.", user.username)
        raise SuspiciousOperation("single sign-on never signs in a privileged login")
    if not user.is_active:
        log.warning("Single sign-on refused for %r: the login is deactivated.", user.username)
        raise SuspiciousOperation("the login is deactivated")


def _sync_roles(user: User, claims: dict[str, Any]) -> None:
    groups = claims.get(getattr(settings, "OIDC_ROLES_CLAIM", "groups")) or []
    if isinstance(groups, str):
        groups = [groups]
    roles = roles_from_groups(getattr(settings, "OIDC_ROLE_GROUPS", {}), (str(g) for g in groups))
    apply_sign_in_roles(user, roles, by=OIDC_LOGIN, note="single sign-on")
