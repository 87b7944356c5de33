"""Optional LDAP login, switched on by ``LDAP_SERVER_URI``.

Directory groups map to the help desk roles through ``LDAP_GROUP_<ROLE>`` variables holding a
group DN each (``LDAP_GROUP_HELP_DESK=cn=ccap-helpdesk,ou=groups,dc=example,dc=org``). The mapping
is applied at every LDAP login by ``helpdesk.auth.ldap_roles.sync_roles_from_ldap``, which
the login backend calls.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str

# Role names are the Django groups of DESIGN.md; kept as strings here so settings import no app.
ROLE_NAMES = ("agency_user", "local_expert", "help_desk", "mis", "administrator")


@dataclass(frozen=True)
class LdapConfig:
    enabled: bool
    django_settings: dict[str, Any] = field(default_factory=dict)


def ldap_settings(environ: Mapping[str, str] | None = None) -> LdapConfig:
    """Build django-auth-ldap settings from the environment (or from ``environ``, for tests)."""
    env = os.environ if environ is None else environ
    uri = env_str("LDAP_SERVER_URI", environ=env).strip()
    if not uri:
        return LdapConfig(enabled=False, django_settings={"CCAP_LDAP_ROLE_GROUPS": {}})

    import ldap
    from django_auth_ldap.config import GroupOfNamesType, LDAPSearch

    user_base = _required(env, "LDAP_USER_SEARCH_BASE")
    group_base = env.get("LDAP_GROUP_SEARCH_BASE", "").strip()
    role_groups = {
        role: env[f"LDAP_GROUP_{role.upper()}"].strip()
        for role in ROLE_NAMES
        if env.get(f"LDAP_GROUP_{role.upper()}", "").strip()
    }
    for role, dn in role_groups.items():
        _require_dn(f"LDAP_GROUP_{role.upper()}", dn)
    if role_groups and not group_base:
        raise ImproperlyConfigured("LDAP_GROUP_SEARCH_BASE is needed to map LDAP groups to roles.")

    settings: dict[str, Any] = {
        "AUTH_LDAP_SERVER_URI": uri,
        "AUTH_LDAP_BIND_DN": env.get("LDAP_BIND_DN", ""),
        "AUTH_LDAP_BIND_PASSWORD": env.get("LDAP_BIND_PASSWORD", ""),
        "AUTH_LDAP_START_TLS": env_bool("LDAP_START_TLS", False, environ=env),
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(
            user_base,
            ldap.SCOPE_SUBTREE,
            env.get("LDAP_USER_FILTER", "(uid=%(user)s)"),
        ),
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn", "email": "mail"},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "AUTH_LDAP_CONNECTION_OPTIONS": {
            ldap.OPT_NETWORK_TIMEOUT: env_int("LDAP_TIMEOUT", 5, environ=env),
            ldap.OPT_REFERRALS: 0,
        },
        "CCAP_LDAP_ROLE_GROUPS": role_groups,
    }
    if group_base:
        settings["AUTH_LDAP_GROUP_SEARCH"] = LDAPSearch(
            group_base, ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)"
        )
        settings["AUTH_LDAP_GROUP_TYPE"] = GroupOfNamesType()
        settings["AUTH_LDAP_FIND_GROUP_PERMS"] = False
    if env.get("LDAP_REQUIRE_GROUP", "").strip():
        settings["AUTH_LDAP_REQUIRE_GROUP"] = _require_dn(
            "LDAP_REQUIRE_GROUP", env["LDAP_REQUIRE_GROUP"].strip()
        )
    return LdapConfig(enabled=True, django_settings=settings)


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when LDAP_SERVER_URI is set.")
    return value


def _require_dn(name: str, value: str) -> str:
    import ldap.dn

    if not ldap.dn.is_dn(value):
        raise ImproperlyConfigured(f"{name} must be a DN (cn=...,ou=...,dc=...), got {value!r}.")
    return value
