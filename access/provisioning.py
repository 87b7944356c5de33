"""Provisioning through LDAP (python-ldap) for systems configured with a directory: create the
entry, set a password (its hash), disable, delete. Every operation is idempotent (running it
twice is safe) and every value is escaped, in DNs and in filters alike."""

import contextlib
from dataclasses import dataclass

import ldap
from django.conf import settings
from ldap.dn import escape_dn_chars
from ldap.filter import escape_filter_chars
from ldap.ldapobject import LDAPObject


class DirectoryUnavailableError(Exception):
    """The directory could not be reached or refused the bind: retry later."""


@dataclass(frozen=True)
class Entry:
    base_dn: str
    uid: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""

    @property
    def dn(self) -> str:
        return f"uid={escape_dn_chars(self.uid)},{self.base_dn}"


def connect() -> LDAPObject:
    config = settings.ACCESS_LDAP
    if not config.get("uri"):
        raise DirectoryUnavailableError("ACCESS_LDAP_URI is not set.")
    try:
        connection = ldap.initialize(config["uri"])
        connection.set_option(ldap.OPT_NETWORK_TIMEOUT, config.get("timeout", 10))
        connection.set_option(ldap.OPT_TIMEOUT, config.get("timeout", 10))
        connection.set_option(ldap.OPT_REFERRALS, 0)
        connection.simple_bind_s(config.get("bind_dn", ""), config.get("bind_password", ""))
    except ldap.LDAPError as error:
        raise DirectoryUnavailableError(_describe(error)) from error
    return connection


def create(connection: LDAPObject, entry: Entry) -> bool:
    """Add the person's entry; False when it was there already."""
    attributes = [
        ("objectClass", [b"inetOrgPerson"]),
        ("uid", [entry.uid.encode()]),
        ("cn", [f"{entry.first_name} {entry.last_name}".strip().encode() or entry.uid.encode()]),
        ("sn", [(entry.last_name or entry.uid).encode()]),
    ]
    if entry.first_name:
        attributes.append(("givenName", [entry.first_name.encode()]))
    if entry.email:
        attributes.append(("mail", [entry.email.encode()]))
    try:
        connection.add_s(entry.dn, attributes)
    except ldap.ALREADY_EXISTS:
        return False
    return True


def set_password_hash(connection: LDAPObject, entry: Entry, password_hash: str) -> None:
    connection.modify_s(entry.dn, [(ldap.MOD_REPLACE, "userPassword", [password_hash.encode()])])


def disable(connection: LDAPObject, entry: Entry) -> None:
    """No password, no bind. Already disabled (or gone): nothing to do."""
    with contextlib.suppress(ldap.NO_SUCH_ATTRIBUTE, ldap.NO_SUCH_OBJECT):
        connection.modify_s(entry.dn, [(ldap.MOD_DELETE, "userPassword", None)])


def delete(connection: LDAPObject, entry: Entry) -> bool:
    """Remove the entry; False when it was gone already."""
    try:
        connection.delete_s(entry.dn)
    except ldap.NO_SUCH_OBJECT:
        return False
    return True


def exists(connection: LDAPObject, entry: Entry) -> bool:
    found = connection.search_s(
        entry.base_dn, ldap.SCOPE_ONELEVEL, f"(uid={escape_filter_chars(entry.uid)})", ["uid"]
    )
    return bool(found)


def _describe(error: ldap.LDAPError) -> str:
    info = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    return str(info.get("desc") or type(error).__name__)
