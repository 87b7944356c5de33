"""Provisioning through LDAP against a real slapd: create, reset (the temporary password binds),
disable, delete, each idempotent; names that try to inject are escaped; a directory that is
down leaves the request submitted with the error shown, and the sweep retries it."""

from datetime import date

import ldap
import pytest

from access import provisioning
from access import services as acs
from access.models import (
    AccessRequest,
    Account,
    AccountState,
    RequestKind,
    RequestState,
    TargetSystem,
)
from helpdesk.actor import Actor
from tests.access.conftest import CCTS_OU

pytestmark = pytest.mark.ldap


def _entry(uid: str, **kw) -> provisioning.Entry:
    return provisioning.Entry(base_dn=CCTS_OU, uid=uid, **kw)


def _uids(server) -> set[str]:
    connection = ldap.initialize(server.ldap_uri)
    connection.simple_bind_s(server.root_dn, server.root_pw)
    found = connection.search_s(CCTS_OU, ldap.SCOPE_ONELEVEL, "(uid=*)", ["uid"])
    return {attrs["uid"][0].decode() for _, attrs in found}


def _ccts_account(person, identifier="DHSAL01") -> Account:
    return Account.objects.create(
        person=person,
        credential_group=TargetSystem.objects.get(code="ccts").credential_group,
        identifier=identifier,
        state=AccountState.ACTIVE,
    )


def test_every_operation_is_idempotent(directory):
    connection = provisioning.connect()
    entry = _entry("DHSAL01", first_name="Alice", last_name="Agency", email="a@example.org")

    assert provisioning.create(connection, entry) is True
    assert provisioning.create(connection, entry) is False
    provisioning.set_password_hash(connection, entry, "{SSHA}x")
    provisioning.disable(connection, entry)
    provisioning.disable(connection, entry)
    assert provisioning.delete(connection, entry) is True
    assert provisioning.delete(connection, entry) is False
    provisioning.disable(connection, entry)  # gone: still nothing to do
    assert _uids(directory) == set()


@pytest.mark.parametrize(
    "uid", ["x,ou=admins", "*)(uid=*", "a+cn=b", " lead", "back\\slash", "#hash"]
)
def test_names_that_try_to_inject_are_escaped(directory, uid):
    connection = provisioning.connect()
    other = _entry("DHSOTHER")
    provisioning.create(connection, other)
    entry = _entry(uid)

    provisioning.create(connection, entry)

    assert provisioning.exists(connection, entry)
    assert _uids(directory) == {"DHSOTHER", uid}
    provisioning.delete(connection, entry)
    assert _uids(directory) == {"DHSOTHER"}  # the filter never matched anyone else


def test_a_reset_sets_a_temporary_password_that_binds(
    world, directory, django_capture_on_commit_callbacks
):
    _ccts_account(world.alice)
    provisioning.create(provisioning.connect(), _entry("DHSAL01", last_name="Agency"))
    request = acs.open_request(
        world.alice,
        TargetSystem.objects.get(code="ccts"),
        RequestKind.RESET,
        by=Actor.of(world.pat.user),
    )

    with django_capture_on_commit_callbacks(execute=True):
        password = acs.reset_password(request, by=Actor.of(world.hannah))

    request.refresh_from_db()
    assert request.state == RequestState.COMPLETED
    user = ldap.initialize(directory.ldap_uri)
    user.simple_bind_s(f"uid=DHSAL01,{CCTS_OU}", password.value)  # raises if it does not bind


def test_finding_the_temporary_passwords_hash_stays_in_the_task_queues_arguments(
    world, directory, django_capture_on_commit_callbacks
):
    """django-q2 keeps every task's arguments (OrmQ while queued, Task once run, Schedule for
    a retry): the reset's hash must be in none of them, though the reset still binds."""
    from django_q.models import OrmQ, Schedule, Task

    _ccts_account(world.alice)
    provisioning.create(provisioning.connect(), _entry("DHSAL01", last_name="Agency"))
    request = acs.open_request(
        world.alice,
        TargetSystem.objects.get(code="ccts"),
        RequestKind.RESET,
        by=Actor.of(world.pat.user),
    )
    with django_capture_on_commit_callbacks(execute=True):
        password = acs.reset_password(request, by=Actor.of(world.hannah))

    user = ldap.initialize(directory.ldap_uri)
    user.simple_bind_s(f"uid=DHSAL01,{CCTS_OU}", password.value)
    stored = [repr((t.func, t.args, t.kwargs, t.result)) for t in Task.objects.all()]
    stored += [repr(q.task) for q in OrmQ.objects.all()]
    stored += [repr((s.func, s.args, s.kwargs)) for s in Schedule.objects.all()]
    assert any("access_request" in s or "deliver" in s for s in stored)  # tasks were kept
    assert not [s for s in stored if "SSHA" in s or password.value in s]


def test_a_new_account_is_created_in_the_directory(
    world, directory, django_capture_on_commit_callbacks
):
    from forms_4052_4055 import services as fs

    for form in fs.issue_forms(world.alice, ["ccts"], by=Actor.of(world.hannah)).issued:
        fs.receive(form, by=Actor.of(world.hannah), name="s.pdf", data=b"%PDF-1.4")
        fs.verify(
            form, by=Actor.of(world.hannah), results=dict.fromkeys(form.form_type.checklist, True)
        )
        fs.file_form(form, by=Actor.of(world.hannah))
    request = acs.open_request(
        world.alice,
        TargetSystem.objects.get(code="ccts"),
        RequestKind.NEW,
        by=Actor.of(world.hannah),
    )
    request.account.identifier = "DHSAL07"
    request.account.save()

    with django_capture_on_commit_callbacks(execute=True):
        acs.submit(request, by=Actor.of(world.hannah))

    request.refresh_from_db()
    assert request.state == RequestState.COMPLETED
    assert request.account.state == AccountState.ACTIVE
    assert "DHSAL07" in _uids(directory)


def test_a_departure_removes_the_entry(world, directory, django_capture_on_commit_callbacks):
    _ccts_account(world.alice)
    provisioning.create(provisioning.connect(), _entry("DHSAL01"))

    with django_capture_on_commit_callbacks(execute=True):
        departure = acs.report_departure(
            world.alice, by=Actor.of(world.pat.user), kind="left", effective_on=date.today()
        )

    revoke = departure.requests.get()
    assert revoke.state == RequestState.COMPLETED
    assert "DHSAL01" not in _uids(directory)
    assert Account.objects.get(identifier="DHSAL01").state == AccountState.REVOKED


def test_a_directory_that_is_down_leaves_the_request_submitted_and_retried(
    world, directory, settings, stopped_server_uri, django_capture_on_commit_callbacks
):
    _ccts_account(world.alice)
    provisioning.create(provisioning.connect(), _entry("DHSAL01"))
    working = dict(settings.ACCESS_LDAP)
    settings.ACCESS_LDAP = {**working, "uri": stopped_server_uri, "timeout": 2}

    with django_capture_on_commit_callbacks(execute=True):
        departure = acs.report_departure(
            world.alice, by=Actor.of(world.pat.user), kind="left", effective_on=date.today()
        )

    revoke = AccessRequest.objects.get(pk=departure.requests.get().pk)
    assert revoke.state == RequestState.SUBMITTED  # never marked done
    assert revoke.provisioning_error
    assert revoke.provisioning_attempts == 1
    assert "DHSAL01" in _uids(directory)

    settings.ACCESS_LDAP = working
    assert acs.access_sweep()["retried"] == 1
    revoke.refresh_from_db()
    assert revoke.state == RequestState.COMPLETED
    assert revoke.provisioning_error == ""
    assert "DHSAL01" not in _uids(directory)


@pytest.fixture
def stopped_server_uri(tmp_path):
    """The address of a real slapd that was started and then stopped."""
    import slapdtest

    class Stopped(slapdtest.SlapdObject):
        suffix = "dc=stopped,dc=example,dc=org"
        slapd_loglevel = "0"
        openldap_schema_files = ("core.ldif",)
        TMPDIR = str(tmp_path)

    server = Stopped()
    server.start()
    server.stop()
    return server.ldap_uri


def test_a_stopped_server_is_reported_not_raised(stopped_server_uri, settings):
    settings.ACCESS_LDAP = {"uri": stopped_server_uri, "bind_dn": "", "bind_password": ""}

    with pytest.raises(provisioning.DirectoryUnavailableError):
        provisioning.connect()
