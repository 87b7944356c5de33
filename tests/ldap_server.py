"""A real OpenLDAP slapd for the tests (python-ldap's slapdtest), on a free loopback port. It
fails, never skips, when slapd is missing: LDAP login and provisioning are features, and a
machine that cannot test them must say so."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def running_slapd(tmp_path_factory: Any, *, suffix: str, name: str, ldif: str) -> Iterator[Any]:
    """A slapd holding ``suffix``, loaded with ``ldif``, stopped on the way out."""
    try:
        import slapdtest
    except ImportError as exc:  # pragma: no cover - python-ldap is a project dependency
        pytest.fail(f"python-ldap's slapdtest is not importable: {exc}", pytrace=False)

    class TestSlapd(slapdtest.SlapdObject):
        slapd_loglevel = "0"
        openldap_schema_files = ("core.ldif", "cosine.ldif", "inetorgperson.ldif")
        # slapdtest would put its run directory in the working directory (the repository).
        TMPDIR = str(tmp_path_factory.mktemp(name))

    TestSlapd.suffix = suffix
    try:
        server = TestSlapd()
        server.start()
    except (ValueError, RuntimeError, OSError) as exc:
        pytest.fail(
            f"Cannot start OpenLDAP's slapd ({type(exc).__name__}: {exc}). Install the Debian "
            "packages slapd and ldap-utils, or point SLAPD/SBIN/BIN/SCHEMA at the slapd "
            "binary, the ldap* tools and the schema directory.",
            pytrace=False,
        )
    try:
        server.ldapadd(ldif)
        yield server
    finally:
        server.stop()
