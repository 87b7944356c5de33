"""Access requests through their services: every transition and guard, the security forms
gate, the CMS route, temporary passwords that never land anywhere, departures and their
deadlines across weekends and State holidays, and the sweep."""

import logging
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from access import services as acs
from access.models import (
    AccessRequest,
    Account,
    AccountState,
    Fulfiller,
    RequestKind,
    RequestState,
    TargetSystem,
)
from forms_4052_4055 import services as fs
from helpdesk.actor import Actor
from helpdesk.models import AuditEvent, AuditKind
from helpdesk.transitions import ConflictError
from tests.outgoing_mail import assert_ours

CHICAGO = ZoneInfo("America/Chicago")
PDF = b"%PDF-1.4\n"


def system(code: str) -> TargetSystem:
    return TargetSystem.objects.get(code=code)


def file_forms(world, person, systems=("ccts",)):
    for form in fs.issue_forms(person, list(systems), by=Actor.of(world.hannah)).issued:
        fs.receive(form, by=Actor.of(world.hannah), name="signed.pdf", data=PDF)
        fs.verify(
            form, by=Actor.of(world.hannah), results=dict.fromkeys(form.form_type.checklist, True)
        )
        fs.file_form(form, by=Actor.of(world.hannah))


def active_account(person, code, identifier) -> Account:
    return Account.objects.create(
        person=person,
        credential_group=system(code).credential_group,
        identifier=identifier,
        state=AccountState.ACTIVE,
    )


# --- The forms gate -------------------------------------------------------------------------------


def test_a_new_request_waits_for_its_forms_then_goes_on_by_itself(
    world, django_capture_on_commit_callbacks
):
    request = acs.open_request(
        world.alice, system("ccts"), RequestKind.NEW, by=Actor.of(world.pat.user)
    )

    assert request.state == RequestState.AWAITING_FORMS
    assert acs.missing_forms(request) == ["4052", "4055"]
    with pytest.raises(ValidationError, match="4052, 4055"):
        acs.submit(request, by=Actor.of(world.hannah))
    with django_capture_on_commit_callbacks(execute=True):
        file_forms(world, world.alice)

    request.refresh_from_db()
    assert request.state == RequestState.READY
    acs.submit(request, by=Actor.of(world.hannah))
    acs.complete(request, by=Actor.of(world.hannah), identifier="DHSAB12")
    request.refresh_from_db()
    assert request.state == RequestState.COMPLETED
    assert (request.account.identifier, request.account.state) == ("DHSAB12", "active")


def test_a_ready_request_cannot_be_submitted_once_a_form_is_no_longer_valid(world):
    file_forms(world, world.alice)
    request = acs.open_request(
        world.alice, system("ccts"), RequestKind.NEW, by=Actor.of(world.hannah)
    )
    assert request.state == RequestState.READY
    filed = world.alice.security_forms.filter(state="filed").first()
    fs.void_form(filed, by=Actor.of(world.hannah), reason="Wrong official signed.")

    with pytest.raises(ValidationError, match="Still missing: 4055"):
        acs.submit(request, by=Actor.of(world.hannah))


def test_a_racf_id_must_begin_with_dhs(world):
    file_forms(world, world.alice)
    request = acs.open_request(
        world.alice, system("ccts"), RequestKind.NEW, by=Actor.of(world.hannah)
    )
    acs.submit(request, by=Actor.of(world.hannah))

    with pytest.raises(ValidationError, match="RACF ID"):
        acs.complete(request, by=Actor.of(world.hannah), identifier="ALICE1")


def test_new_ccms_access_goes_to_cms_with_everything_they_need(
    world, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.ACCESS_CMS_EMAIL = "cms@example.org"
    file_forms(world, world.alice, systems=("ccms",))
    request = acs.open_request(
        world.alice,
        system("ccms"),
        RequestKind.NEW,
        by=Actor.of(world.pat.user),
        ccms_role="Supervisor",
    )

    with django_capture_on_commit_callbacks(execute=True):
        acs.submit(request, by=Actor.of(world.hannah))

    [email] = mailoutbox
    assert email.to == ["cms@example.org"]
    assert_ours(email)
    for fact in ("Alice Agency", "Northern Lights CCR&R", "Supervisor", "4052 (SF-"):
        assert fact in email.body


# --- Guards ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["otto", "alice", "mike", "ada"])
def test_only_the_agencys_local_expert_or_the_help_desk_requests(world, who):
    user = {
        "otto": world.otto.user,
        "alice": world.alice.user,
        "mike": world.mike,
        "ada": world.ada,
    }[who]

    with pytest.raises(PermissionDenied):
        acs.open_request(world.alice, system("ccts"), RequestKind.NEW, by=Actor.of(user))


@pytest.mark.parametrize("action", ["submit", "complete", "deny"])
def test_only_help_desk_staff_submit_complete_or_deny(world, action):
    active_account(world.alice, "ccts", "DHSAL01")
    request = acs.open_request(
        world.alice, system("ccts"), RequestKind.REVOKE, by=Actor.of(world.pat.user)
    )
    if action != "submit":
        acs.submit(request, by=Actor.of(world.hannah))

    calls = {
        "submit": lambda by: acs.submit(request, by=by),
        "complete": lambda by: acs.complete(request, by=by),
        "deny": lambda by: acs.deny(request, by=by, reason="No."),
    }
    with pytest.raises(PermissionDenied):
        calls[action](Actor.of(world.pat.user))


def test_the_requester_may_cancel_and_a_new_account_is_not_left_behind(world):
    request = acs.open_request(
        world.alice, system("ccts"), RequestKind.NEW, by=Actor.of(world.pat.user)
    )

    acs.cancel(request, by=Actor.of(world.pat.user), reason="Hired elsewhere after all.")

    request.refresh_from_db()
    assert request.state == RequestState.CANCELLED
    assert request.account.state == AccountState.REVOKED
    with pytest.raises(ConflictError):
        acs.cancel(request, by=Actor.of(world.pat.user), reason="again")


def test_deny_needs_a_reason(world):
    active_account(world.alice, "ccts", "DHSAL01")
    request = acs.open_request(
        world.alice, system("ccts"), RequestKind.RESET, by=Actor.of(world.pat.user)
    )

    with pytest.raises(ValidationError):
        acs.deny(request, by=Actor.of(world.hannah), reason="")


def test_no_second_account_on_a_credential_group(world):
    active_account(world.alice, "ccms", "Alice.Agency")

    with pytest.raises(ValidationError, match="already has"):
        acs.open_request(
            world.alice, system("infoview"), RequestKind.NEW, by=Actor.of(world.hannah)
        )


def test_every_step_is_audited(world):
    active_account(world.alice, "ccts", "DHSAL01")
    request = acs.open_request(
        world.alice, system("ccts"), RequestKind.REVOKE, by=Actor.of(world.pat.user)
    )
    acs.submit(request, by=Actor.of(world.hannah))
    acs.complete(request, by=Actor.of(world.hannah), note="Deleted in RACF.")

    kinds = list(AuditEvent.objects.for_object(request).values_list("kind", flat=True))
    assert kinds.count(AuditKind.TRANSITION) == 3
    assert AuditEvent.objects.for_object(request.account).filter(kind=AuditKind.CHANGED).exists()


# --- Resets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ccms", "infoview"])
def test_a_ccms_or_infoview_reset_is_answered_with_the_cms_route(world, code):
    active_account(world.alice, "ccms", "Alice.Agency")

    request = acs.open_request(
        world.alice, system(code), RequestKind.RESET, by=Actor.of(world.pat.user)
    )

    assert request.state == RequestState.COMPLETED
    assert request.fulfiller == Fulfiller.CMS
    assert "Central Management Services" in request.outcome_note
    assert not AccessRequest.objects.filter(state=RequestState.SUBMITTED).exists()


def test_a_ccts_reset_gives_a_temporary_password_that_lands_nowhere(
    world, caplog, mailoutbox, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    active_account(world.alice, "ccts", "DHSAL01")
    request = acs.open_request(
        world.alice, system("ccts"), RequestKind.RESET, by=Actor.of(world.pat.user)
    )

    with django_capture_on_commit_callbacks(execute=True):
        password = acs.reset_password(request, by=Actor.of(world.hannah))

    secret = password.value
    assert len(secret) == 12
    assert secret not in repr(password)
    assert secret not in str(password)
    request.refresh_from_db()
    assert request.state == RequestState.COMPLETED
    assert secret not in caplog.text
    assert all(secret not in (m.body + m.subject) for m in mailoutbox)
    assert not _database_contains(secret)


def test_temporary_passwords_differ(world):
    assert len({acs.generate_temporary_password().value for _ in range(50)}) == 50


def _database_contains(secret: str) -> bool:
    """Search every text and binary column of every table for the secret."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = connection.introspection.get_table_description(cursor, table)
            for column in columns:
                quoted_table = connection.ops.quote_name(table)
                quoted_column = connection.ops.quote_name(column.name)
                cursor.execute(f"SELECT {quoted_column} FROM {quoted_table}")  # noqa: S608
                for (value,) in cursor.fetchall():
                    if value is None:
                        continue
                    text = (
                        bytes(value).decode("latin-1")
                        if isinstance(value, bytes | memoryview)
                        else str(value)
                    )
                    if secret in text:
                        return True
    return False


# --- Departures -----------------------------------------------------------------------------------


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("reported", "deadline"),
    [
        (_at(date(2026, 11, 16)), date(2026, 11, 18)),  # Monday: Wednesday
        (_at(date(2026, 11, 20)), date(2026, 11, 24)),  # Friday: over the weekend to Tuesday
        (_at(date(2026, 11, 25)), date(2026, 12, 1)),  # before Thanksgiving and the day after
        (_at(date(2026, 12, 24)), date(2026, 12, 29)),  # Christmas Eve, then Christmas Day
        (_at(date(2026, 11, 21)), date(2026, 11, 24)),  # reported on a Saturday
    ],
)
def test_a_departure_revokes_every_account_within_two_working_days(
    world, reported, deadline, django_capture_on_commit_callbacks
):
    active_account(world.alice, "ccts", "DHSAL01")
    active_account(world.alice, "ccms", "Alice.Agency")

    with (
        time_machine.travel(reported, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        departure = acs.report_departure(
            world.alice, by=Actor.of(world.pat.user), kind="left", effective_on=reported.date()
        )

    revokes = list(departure.requests.order_by("system__code"))
    assert [(r.system.code, r.state, r.fulfiller) for r in revokes] == [
        ("ccms", "submitted", "cms"),
        ("ccts", "submitted", "help_desk"),
    ]
    assert {r.deadline.astimezone(CHICAGO).date() for r in revokes} == {deadline}
    world.alice.refresh_from_db()
    assert not world.alice.active


def test_a_departure_cancels_pending_requests(world):
    pending = acs.open_request(
        world.alice, system("ccts"), RequestKind.NEW, by=Actor.of(world.pat.user)
    )

    acs.report_departure(
        world.alice, by=Actor.of(world.hannah), kind="changed_function", effective_on=date.today()
    )

    pending.refresh_from_db()
    assert pending.state == RequestState.CANCELLED
    world.alice.refresh_from_db()
    assert world.alice.active  # a change of function: still here, without the old access


def test_revocation_is_complete_only_when_each_fulfiller_confirms(world):
    active_account(world.alice, "ccts", "DHSAL01")
    active_account(world.alice, "ccms", "Alice.Agency")
    departure = acs.report_departure(
        world.alice, by=Actor.of(world.hannah), kind="left", effective_on=date.today()
    )
    ccts, ccms = (departure.requests.get(system__code=c) for c in ("ccts", "ccms"))

    acs.complete(ccts, by=Actor.of(world.hannah), note="Deleted in RACF.")

    assert departure.requests.open().count() == 1
    acs.complete(ccms, by=Actor.of(world.hannah), note="CMS confirmed by phone, ticket 5521.")
    assert departure.requests.open().count() == 0
    assert set(world.alice.accounts.values_list("state", flat=True)) == {"revoked"}


def test_overdue_revocations_are_escalated_once(
    world, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.HELP_DESK_SUPERVISORS = ["supervisor@example.org"]
    active_account(world.alice, "ccts", "DHSAL01")
    reported = _at(date(2026, 11, 16))
    with time_machine.travel(reported, tick=False):
        acs.report_departure(
            world.alice, by=Actor.of(world.pat.user), kind="left", effective_on=reported.date()
        )
    mailoutbox.clear()

    with time_machine.travel(_at(date(2026, 11, 18), 16), tick=False):
        assert acs.access_sweep()["escalated"] == 0  # not yet: due at 17:00
    # The email leaves in its own task, after the commit that queued it.
    with (
        time_machine.travel(_at(date(2026, 11, 19)), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert acs.access_sweep()["escalated"] == 1
        assert acs.access_sweep()["escalated"] == 0

    # One copy per recipient (issue 14: a Message-ID each).
    assert {"supervisor@example.org", "pat@example.org"} <= {m.to[0] for m in mailoutbox}
    email = mailoutbox[0]
    assert "Overdue" in email.subject


def test_a_local_expert_of_another_agency_cannot_report_a_departure(world):
    with pytest.raises(PermissionDenied):
        acs.report_departure(
            world.alice, by=Actor.of(world.otto.user), kind="left", effective_on=date.today()
        )
