"""A real OpenLDAP directory for the LDAP login tests: one slapd per test session.

The directory holds an OU of people and an OU of groupOfNames groups, one per help desk role
plus ``ccap-staff``, the group every member of staff is in (for ``LDAP_REQUIRE_GROUP``).
``DIRECTORY_GROUPS`` is the initial membership; ``reset_directory_groups`` puts it back after
a test that changed it.
"""

from dataclasses import dataclass

import pytest

from tests.ldap_server import running_slapd

SUFFIX = "dc=ccap,dc=example,dc=org"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"


@dataclass(frozen=True)
class DirectoryUser:
    uid: str
    given_name: str
    sn: str
    mail: str
    password: str

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"


DIRECTORY_USERS = {
    user.uid: user
    for user in (
        DirectoryUser("hdesk", "Helen", "Desk", "Helen.Desk@example.org", "helen-ldap-secret"),
        DirectoryUser("mmover", "Morgan", "Mover", "morgan.mover@example.org", "morgan-secret"),
        DirectoryUser("lexpert", "Lee", "Expert", "lee.expert@example.org", "lee-ldap-secret"),
        DirectoryUser("cworker", "Casey", "Worker", "Casey.Worker@Example.org", "casey-secret"),
        DirectoryUser("gone", "Gale", "Gone", "gale.gone@example.org", "gale-ldap-secret"),
        DirectoryUser("adamin", "Adam", "Min", "adam.min@example.org", "adam-ldap-secret"),
        DirectoryUser("outsider", "Oscar", "Side", "oscar.side@example.org", "oscar-secret"),
    )
}

# group cn -> member uids. groupOfNames needs at least one member.
DIRECTORY_GROUPS = {
    "ccap-agency-users": ["lexpert", "cworker", "gone"],
    "ccap-local-experts": ["adamin"],
    "ccap-helpdesk": ["hdesk"],
    "ccap-mis": ["mmover", "adamin"],
    "ccap-admins": ["adamin"],
    "ccap-staff": ["hdesk", "mmover", "lexpert", "cworker", "gone", "adamin"],
}


def group_dn(cn: str) -> str:
    return f"cn={cn},{GROUPS}"


def _directory_ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: ccap\no: CCAP\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
    ]
    for user in DIRECTORY_USERS.values():
        entries.append(
            f"dn: {user.dn}\n"
            "objectClass: inetOrgPerson\n"
            f"uid: {user.uid}\n"
            f"cn: {user.given_name} {user.sn}\n"
            f"givenName: {user.given_name}\n"
            f"sn: {user.sn}\n"
            f"mail: {user.mail}\n"
            f"userPassword: {user.password}\n"
        )
    for cn, members in DIRECTORY_GROUPS.items():
        lines = [f"dn: {group_dn(cn)}", "objectClass: groupOfNames", f"cn: {cn}"]
        lines += [f"member: {DIRECTORY_USERS[uid].dn}" for uid in members]
        entries.append("\n".join(lines) + "\n")
    return "\n".join(entries)


def replace_members_ldif(cn: str, uids: list[str]) -> str:
    members = "".join(f"member: {DIRECTORY_USERS[uid].dn}\n" for uid in uids)
    return f"dn: {group_dn(cn)}\nchangetype: modify\nreplace: member\n{members}-\n"


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """A running slapd holding the test directory (tests/ldap_server.py)."""
    ldif = _directory_ldif()
    with running_slapd(tmp_path_factory, suffix=SUFFIX, name="slapd", ldif=ldif) as server:
        yield server


@pytest.fixture
def reset_directory_groups(slapd):
    """Yields the server to a test that changes group membership, and restores it after."""
    yield slapd
    slapd.ldapmodify(
        "\n".join(replace_members_ldif(cn, uids) for cn, uids in DIRECTORY_GROUPS.items())
    )
