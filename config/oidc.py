"""Optional single sign-on through OpenID Connect, switched on by ``OIDC_RP_CLIENT_ID``.

mozilla-django-oidc runs the authorization code flow with PKCE. The provider's endpoints are
given one by one (``OIDC_OP_AUTHORIZATION_ENDPOINT``, ``OIDC_OP_TOKEN_ENDPOINT``,
``OIDC_OP_USER_ENDPOINT``, ``OIDC_OP_JWKS_ENDPOINT``): the library reads no discovery document,
and settings must not make a network call at start-up.

Groups map to the help desk roles like LDAP's: ``OIDC_GROUP_<ROLE>`` holds the group name the
provider sends in the ``OIDC_ROLES_CLAIM`` claim (``groups`` unless set). The mapping is applied
at every single sign-on by ``helpdesk.auth.oidc.SingleSignOnBackend``.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str
from config.ldap import ROLE_NAMES

_ENDPOINTS = (
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
)

# The URLs are always mounted (read once, at import); the views answer 404 while it is off.
_VIEWS = {
    "OIDC_AUTHENTICATE_CLASS": "helpdesk.auth.oidc_views.SingleSignOnStart",
    "OIDC_CALLBACK_CLASS": "helpdesk.auth.oidc_views.SingleSignOnCallback",
}


@dataclass(frozen=True)
class OidcConfig:
    enabled: bool
    django_settings: dict[str, Any] = field(default_factory=dict)


def oidc_settings(environ: Mapping[str, str] | None = None) -> OidcConfig:
    """Build mozilla-django-oidc settings from the environment (or from ``environ``, for tests)."""
    env = os.environ if environ is None else environ
    client_id = env_str("OIDC_RP_CLIENT_ID", environ=env).strip()
    if not client_id:
        return OidcConfig(enabled=False, django_settings=_VIEWS | {"OIDC_ENABLED": False})
    settings: dict[str, Any] = {name: _required(env, name) for name in _ENDPOINTS}
    settings |= {
        "OIDC_ENABLED": True,
        "OIDC_PROVIDER_NAME": env_str("OIDC_PROVIDER_NAME", "single sign-on", environ=env),
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": _required(env, "OIDC_RP_CLIENT_SECRET"),
        "OIDC_RP_SIGN_ALGO": env_str("OIDC_RP_SIGN_ALGO", "RS256", environ=env),
        "OIDC_RP_SCOPES": env_str("OIDC_RP_SCOPES", "openid email profile groups", environ=env),
        # Authorization code with PKCE (RFC 7636): a stolen code is useless without the verifier.
        "OIDC_USE_PKCE": True,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_VERIFY_SSL": env_bool("OIDC_VERIFY_SSL", True, environ=env),
        "OIDC_TIMEOUT": env_int("OIDC_TIMEOUT", 10, environ=env),
        # The claim that names the login: ``sub`` is the one the provider never reassigns.
        "OIDC_USERNAME_CLAIM": env_str("OIDC_USERNAME_CLAIM", "sub", environ=env),
        "OIDC_ROLES_CLAIM": env_str("OIDC_ROLES_CLAIM", "groups", environ=env),
        "OIDC_ROLE_GROUPS": {
            role: env[f"OIDC_GROUP_{role.upper()}"].strip()
            for role in ROLE_NAMES
            if env.get(f"OIDC_GROUP_{role.upper()}", "").strip()
        },
        "LOGIN_REDIRECT_URL_FAILURE": "/accounts/login/?sso=failed",
    }
    return OidcConfig(enabled=True, django_settings=_VIEWS | settings)


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when OIDC_RP_CLIENT_ID is set.")
    return value
