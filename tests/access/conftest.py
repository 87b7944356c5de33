"""A real OpenLDAP directory for provisioning: one slapd per session, an OU per provisioned
system, and the CCTS system pointed at it for the tests that ask for ``directory``."""

import pytest

from tests.ldap_server import running_slapd

SUFFIX = "dc=provision,dc=example,dc=org"
CCTS_OU = f"ou=ccts,{SUFFIX}"


@pytest.fixture(scope="session")
def provisioning_slapd(tmp_path_factory):
    ldif = (
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: provision\n"
        "o: Provisioning\n\n"
        f"dn: {CCTS_OU}\nobjectClass: organizationalUnit\nou: ccts\n"
    )
    with running_slapd(tmp_path_factory, suffix=SUFFIX, name="slapd-provisioning", ldif=ldif) as s:
        yield s


@pytest.fixture
def directory(provisioning_slapd, settings, db):
    """CCTS provisioned in the real slapd; entries are removed after the test."""
    from access.models import TargetSystem

    settings.ACCESS_LDAP = {
        "uri": provisioning_slapd.ldap_uri,
        "bind_dn": provisioning_slapd.root_dn,
        "bind_password": provisioning_slapd.root_pw,
        "timeout": 5,
    }
    TargetSystem.objects.filter(code="ccts").update(directory_base_dn=CCTS_OU)
    yield provisioning_slapd
    import ldap

    connection = ldap.initialize(provisioning_slapd.ldap_uri)
    connection.simple_bind_s(provisioning_slapd.root_dn, provisioning_slapd.root_pw)
    for dn, _ in connection.search_s(CCTS_OU, ldap.SCOPE_ONELEVEL, "(objectClass=*)", ["dn"]):
        connection.delete_s(dn)
    connection.unbind_s()
