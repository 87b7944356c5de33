"""Retention (docs/retention.md): each kind purged after its rule and not before, live records
kept whatever their age, legal holds on a person, an agency or a ticket, a dry run that writes
nothing and counts what the run does, batches, purges audited, people anonymised, the start-up
check of the rules, and the audit chain still verifiable after its start is purged."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.retention import retention_settings
from helpdesk import audit
from helpdesk.actor import Actor
from helpdesk.lib.schedules import worker_schedules
from helpdesk.models import (
    AuditChainHead,
    AuditEvent,
    AuditKind,
    InboundMessage,
    InboundSource,
    InboundStatus,
    LegalHold,
    Outcome,
    Person,
    PersonEmail,
    Ticket,
    TicketMessage,
    User,
)
from helpdesk.retention import services
from helpdesk.retention.checks import check_retention
from helpdesk.retention.services import apply_retention, place_hold, release_hold
from helpdesk.tickets.attachments import attach
from tests.factories import OfficeFactory, PersonFactory, UserFactory
from tests.helpdesk import ticket_helpers as make

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("retention test")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _ago(years: float):
    return timezone.now() - timedelta(days=int(years * 366))


def run(**kwargs) -> dict:
    return {report.key: report for report in apply_retention(by=SYSTEM, **kwargs)}


def _closed_ticket(world, years: float) -> Ticket:
    """A ticket worked and closed ``years`` ago, through the real services."""
    with time_machine.travel(_ago(years), tick=False):
        return make.closed(world)


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


def _counts(said: str) -> dict[str, tuple[int, int]]:
    """Per kind: (rows purged or that would be, rows kept by a hold), read from the output."""
    found = re.findall(r"^  (\w+): (\d+) .*?, (\d+) kept by a hold$", said, re.MULTILINE)
    return {kind: (int(done), int(kept)) for kind, done, kept in found}


# --- Tickets: after their rule and not before; never an open one ------------------------------


def test_a_ticket_closed_longer_ago_than_its_rule_is_purged_with_what_is_in_it(
    world, django_capture_on_commit_callbacks
):
    old = _closed_ticket(world, 8)
    with time_machine.travel(_ago(8), tick=False):
        attachment = attach(old, by=Actor.of(world.hannah), name="screen.png", data=PNG)
    recent = _closed_ticket(world, 6)
    assert default_storage.exists(attachment.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        reports = run(kinds=["tickets"])

    assert (reports["tickets"].due, reports["tickets"].done) == (1, 1)
    assert not Ticket.objects.filter(pk=old.pk).exists()
    assert not TicketMessage.objects.filter(ticket_id=old.pk).exists()
    assert Ticket.objects.filter(pk=recent.pk).exists()
    assert not default_storage.exists(attachment.file.name)  # removed after the commit


def test_a_file_stays_on_disk_until_the_purge_commits(world, django_capture_on_commit_callbacks):
    old = _closed_ticket(world, 8)
    with time_machine.travel(_ago(8), tick=False):
        attachment = attach(old, by=Actor.of(world.hannah), name="screen.png", data=PNG)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run(kinds=["tickets"])

    assert callbacks  # the removal waits for the commit
    assert default_storage.exists(attachment.file.name)


def test_an_open_ticket_is_never_due_whatever_its_age(world):
    with time_machine.travel(_ago(10), tick=False):
        stuck = make.in_progress(world)
        resolved = make.resolved(world)  # waits for the local expert: not finished

    reports = run(kinds=["tickets"])

    assert reports["tickets"].due == 0
    assert Ticket.objects.filter(pk__in=[stuck.pk, resolved.pk]).count() == 2


def test_the_mail_about_a_ticket_goes_with_it_and_other_mail_keeps_its_own_clock(world):
    ticket = _closed_ticket(world, 8)
    with time_machine.travel(_ago(8), tick=False):
        about = _inbound(ticket=ticket)
        lone_old = _inbound()
    lone_recent = _inbound()

    reports = run(kinds=["tickets", "inbound_mail"])

    assert (reports["tickets"].done, reports["inbound_mail"].done) == (1, 1)
    assert not InboundMessage.objects.filter(pk__in=[about.pk, lone_old.pk]).exists()
    assert InboundMessage.objects.filter(pk=lone_recent.pk).exists()


def test_quarantined_mail_waiting_for_a_person_is_kept(world):
    with time_machine.travel(_ago(8), tick=False):
        waiting = _inbound(outcome=Outcome.QUARANTINED)

    assert run(kinds=["inbound_mail"])["inbound_mail"].due == 0
    assert InboundMessage.objects.filter(pk=waiting.pk).exists()


def _inbound(ticket=None, outcome=Outcome.FOLLOWUP_ADDED, sender="pat@example.org"):
    now = timezone.now()
    return InboundMessage.objects.create(
        raw=b"Subject: hi\r\n\r\nhello\r\n",
        size=20,
        sha256=f"{now.timestamp()}-{InboundMessage.objects.count()}",
        source=InboundSource.PIPE,
        status=InboundStatus.PROCESSED,
        outcome=outcome,
        processed_at=now,
        from_address=sender,
        ticket=ticket,
    )


# --- Legal holds ------------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["person", "agency", "ticket"])
def test_a_hold_on_the_person_the_agency_or_the_ticket_stops_the_purge(world, subject):
    ticket = _closed_ticket(world, 8)
    on = {"person": world.pat, "agency": world.office.agency, "ticket": ticket}[subject]
    place_hold(by=Actor.of(world.ada), reason="Case 2026-114", **{subject: on})

    reports = run(kinds=["tickets"])

    assert (reports["tickets"].due, reports["tickets"].kept_by_hold) == (0, 1)
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_a_released_hold_stops_nothing(world):
    ticket = _closed_ticket(world, 8)
    hold = place_hold(by=Actor.of(world.ada), reason="Case 2026-114", ticket=ticket)
    release_hold(hold, by=Actor.of(world.ada), note="Case closed.")

    reports = run(kinds=["tickets"])

    assert (reports["tickets"].done, reports["tickets"].kept_by_hold) == (1, 0)


def test_a_hold_on_another_agency_does_not_stop_it(world):
    ticket = _closed_ticket(world, 8)
    place_hold(by=Actor.of(world.ada), reason="Other case", agency=world.other_office.agency)

    assert run(kinds=["tickets"])["tickets"].done == 1
    assert not Ticket.objects.filter(pk=ticket.pk).exists()


def test_a_hold_on_a_person_keeps_the_mail_they_sent(world):
    with time_machine.travel(_ago(8), tick=False):
        theirs = _inbound(sender="PAT@example.org")
        others = _inbound(sender="someone@example.net")
    place_hold(by=Actor.of(world.ada), reason="Case 7", person=world.pat)

    reports = run(kinds=["inbound_mail"])

    assert (reports["inbound_mail"].done, reports["inbound_mail"].kept_by_hold) == (1, 1)
    assert InboundMessage.objects.filter(pk=theirs.pk).exists()
    assert not InboundMessage.objects.filter(pk=others.pk).exists()


def test_holds_are_placed_and_released_by_administrators_only_and_audited(world):
    with pytest.raises(services.PermissionDenied):
        place_hold(by=Actor.of(world.hannah), reason="Case", person=world.pat)
    with pytest.raises(services.ValidationError):
        place_hold(by=Actor.of(world.ada), reason="  ", person=world.pat)
    with pytest.raises(services.ValidationError):
        place_hold(
            by=Actor.of(world.ada), reason="Two", person=world.pat, agency=world.office.agency
        )

    hold = place_hold(by=Actor.of(world.ada), reason="Case 9", person=world.pat)
    with pytest.raises(services.PermissionDenied):
        release_hold(hold, by=Actor.of(world.hannah), note="done")
    release_hold(hold, by=Actor.of(world.ada), note="Case closed.")

    hold.refresh_from_db()
    assert (hold.placed_by, hold.released_by) == (world.ada, world.ada)
    kinds = list(AuditEvent.objects.for_object(hold).order_by("seq").values_list("kind", flat=True))
    assert kinds == [AuditKind.HOLD_PLACED, AuditKind.HOLD_RELEASED]
    assert "Pat" not in str(hold)  # ids, not names


def test_the_admin_places_a_hold_through_the_service(world, client):
    client.force_login(world.ada)

    response = client.post(
        "/admin/helpdesk/legalhold/add/", {"person": world.pat.pk, "reason": "Subpoena 12"}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    hold = LegalHold.objects.get()
    assert (hold.person, hold.placed_by) == (world.pat, world.ada)
    assert AuditEvent.objects.for_object(hold).filter(kind=AuditKind.HOLD_PLACED).exists()


def test_the_admin_releases_holds_through_the_service_and_shows_one_whose_ticket_went(
    world, client
):
    ticket = _closed_ticket(world, 8)
    hold = place_hold(by=Actor.of(world.ada), reason="Case 3", ticket=ticket)
    client.force_login(world.ada)

    response = client.post(
        "/admin/helpdesk/legalhold/",
        {"action": "release", "_selected_action": [hold.pk]},
    )

    assert response.status_code == 302
    hold.refresh_from_db()
    assert (hold.released_by, hold.release_note) == (
        world.ada,
        "Released in the administration pages.",
    )
    assert AuditEvent.objects.for_object(hold).filter(kind=AuditKind.HOLD_RELEASED).exists()
    assert run(kinds=["tickets"])["tickets"].done == 1
    page = client.get(f"/admin/helpdesk/legalhold/{hold.pk}/change/")
    assert page.status_code == 200
    assert f"ticket #{ticket.pk}" in page.content.decode()


def test_the_admin_refuses_a_hold_on_two_things_and_hides_holds_from_other_staff(world, client):
    client.force_login(world.ada)
    response = client.post(
        "/admin/helpdesk/legalhold/add/",
        {"person": world.pat.pk, "agency": world.office.agency.pk, "reason": "Two"},
    )
    assert response.status_code == 200
    assert not LegalHold.objects.exists()

    client.force_login(world.hannah)
    assert client.get("/admin/helpdesk/legalhold/").status_code in (302, 403)


# --- Dry run, batches, the purge audited ---------------------------------------------------------


def _everything() -> dict[str, object]:
    counts: dict[str, object] = {
        model._meta.label: model._default_manager.count() for model in apps.get_models()
    }
    head = AuditChainHead.objects.filter(pk=1).values().first()
    counts["head"] = head and {k: v for k, v in head.items() if k != "updated_at"}
    counts["people"] = list(Person.objects.order_by("pk").values_list("first_name", "last_name"))
    return counts


def _a_bit_of_everything(world):
    old = [_closed_ticket(world, 8) for _ in range(3)]
    _closed_ticket(world, 2)
    with time_machine.travel(_ago(8), tick=False):
        _inbound()
        gone = PersonFactory(office=world.office, left=True, left_on=timezone.localdate())
    place_hold(by=Actor.of(world.ada), reason="Case", ticket=old[0])
    # Named only by a ticket the same run purges: the dry run counts them too.
    named = _leaver(world.office, 8)
    Ticket.objects.filter(pk=old[1].pk).update(reported_by=named)
    return gone


def test_a_dry_run_writes_nothing(world, django_capture_on_commit_callbacks):
    _a_bit_of_everything(world)
    before = _everything()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        said = _command("--dry-run")

    assert _everything() == before
    assert callbacks == []
    assert "DRY RUN" in said


def test_a_dry_run_prints_the_counts_the_run_then_does(world):
    _a_bit_of_everything(world)

    planned = _counts(_command("--dry-run"))
    done = _counts(_command("--batch-size", "2"))

    assert planned == done
    assert planned["tickets"] == (2, 1)  # one of three held
    assert planned["inbound_mail"] == (1, 0)
    assert planned["people"] == (2, 0)
    assert _counts(_command("--dry-run"))["tickets"] == (0, 1)  # nothing left to do


def test_rows_are_purged_in_batches_each_audited_without_personal_data(world):
    tickets = [_closed_ticket(world, 8) for _ in range(5)]

    report = run(kinds=["tickets"], batch_size=2)["tickets"]

    assert (report.done, report.batches) == (5, 3)
    purges = AuditEvent.objects.filter(kind=AuditKind.PURGED).order_by("seq")
    assert [event.after["rows"] for event in purges] == [2, 2, 1]
    first = purges[0]
    ids = sorted(t.pk for t in tickets)
    assert (first.after["first_id"], first.after["last_id"]) == (ids[0], ids[1])
    assert first.after["kind"] == "tickets"
    assert first.after["rule"] == {"years": 7, "from": "closed"}
    assert first.actor_label == audit.SYSTEM_LABEL
    written = f"{first.target_repr} {first.note} {first.after}"
    for private in ("Pat", "Primary", "RACF", "pat@example.org"):
        assert private not in written
    assert audit.verify().intact


def test_a_hold_placed_while_the_run_goes_on_stops_the_next_batch(world, monkeypatch):
    for _ in range(3):
        _closed_ticket(world, 8)
    original = services.record

    def record_then_hold(kind, **kwargs):
        event = original(kind, **kwargs)
        if kind == AuditKind.PURGED and not LegalHold.objects.exists():  # after the first batch
            LegalHold.objects.create(agency=world.office.agency, reason="Now", placed_by=world.ada)
        return event

    monkeypatch.setattr(services, "record", record_then_hold)

    report = run(kinds=["tickets"], batch_size=1)["tickets"]

    assert (report.due, report.done, report.batches) == (3, 1, 1)
    assert Ticket.objects.count() == 2


def test_a_kind_can_be_run_alone_and_an_unknown_one_is_refused(world):
    _closed_ticket(world, 8)
    with time_machine.travel(_ago(8), tick=False):
        _inbound()

    said = _command("--kind", "inbound_mail")

    assert _counts(said) == {"inbound_mail": (1, 0)}
    assert Ticket.objects.count() == 1
    with pytest.raises(Exception, match="No such kind"):
        _command("--kind", "tickets", "--kind", "nonsense")


def test_the_worker_runs_it_every_day():
    schedule = worker_schedules.get("Retention")

    assert schedule is not None
    assert schedule.minutes == 24 * 60
    module, name = schedule.func.rsplit(".", 1)
    assert callable(getattr(__import__(module, fromlist=[name]), name))


def test_only_the_system_applies_the_rules(world):
    with pytest.raises(services.PermissionDenied):
        apply_retention(by=Actor.of(world.ada))


# --- People -------------------------------------------------------------------------------------


def _leaver(office, years: float, **kwargs) -> Person:
    user = UserFactory(is_active=False)
    with time_machine.travel(_ago(years), tick=False):
        return PersonFactory.create(
            office=office,
            user=user,
            left=True,
            left_on=timezone.localdate(),
            first_name="Lena",
            last_name="Leaver",
            phone="217-555-0199",
            **kwargs,
        )


def test_someone_gone_longer_than_the_rule_with_nothing_left_is_anonymised(world):
    person = _leaver(world.office, 8)
    user = person.user
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    generation = user.session_generation

    report = run(kinds=["people"])["people"]

    assert (report.due, report.done) == (1, 1)
    person.refresh_from_db()
    user.refresh_from_db()
    assert person.anonymised_at is not None
    assert (person.first_name, person.last_name) == ("Anonymised", f"person #{person.pk}")
    assert (person.phone, person.job_title) == ("", "")
    assert not PersonEmail.objects.filter(person=person).exists()
    assert user.username == f"anonymised-{user.pk}"
    assert (user.first_name, user.last_name, user.email) == ("", "", "")
    assert not user.is_active
    assert not user.has_usable_password()
    assert user.session_generation == generation + 1
    assert not TOTPDevice.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(kind=AuditKind.ANONYMISED)
    assert (event.target_id, event.after["second_factors_removed"]) == (str(person.pk), 1)
    assert "Lena" not in f"{event.target_repr} {event.note} {event.after}"
    assert audit.verify().intact  # nothing hashed was rewritten
    assert run(kinds=["people"])["people"].due == 0  # once


def test_the_audit_rows_written_before_keep_their_ids_and_still_verify(world):
    person = _leaver(world.office, 8)
    audit.record(AuditKind.CHANGED, actor=SYSTEM, target=person, after={"phone": "x"})
    earlier = AuditEvent.objects.for_object(person).get()

    run(kinds=["people"])

    earlier.refresh_from_db()
    assert earlier.target_id == str(person.pk)
    assert audit.row_hash(earlier) == earlier.row_hash
    assert audit.verify().intact


def test_someone_who_left_recently_or_is_held_is_not_anonymised(world):
    recent = _leaver(world.office, 3)
    held = _leaver(world.other_office, 8)
    place_hold(by=Actor.of(world.ada), reason="Case", agency=world.other_office.agency)

    report = run(kinds=["people"])["people"]

    assert (report.due, report.kept_by_hold) == (0, 1)
    for person in (recent, held):
        person.refresh_from_db()
        assert person.anonymised_at is None


def test_someone_a_kept_record_still_names_is_not_anonymised_until_it_goes(world):
    person = _leaver(world.office, 9)
    ticket = _closed_ticket(world, 3)
    Ticket.objects.filter(pk=ticket.pk).update(reported_by=person)

    assert run(kinds=["people"])["people"].due == 0

    Ticket.objects.filter(pk=ticket.pk).update(closed_at=_ago(8))
    reports = run(kinds=["tickets", "people"])  # the ticket goes first, then the person

    assert (reports["tickets"].done, reports["people"].done) == (1, 1)


def test_a_person_whose_login_is_still_on_is_not_anonymised(world):
    person = _leaver(world.office, 8)
    User.objects.filter(pk=person.user_id).update(is_active=True)

    assert run(kinds=["people"])["people"].due == 0


# --- The audit trail: its start purged, the chain still verifiable ------------------------------


def _trail(old: int, new: int) -> list[AuditEvent]:
    """``old`` audit rows written 8 years ago, then ``new`` ones now, on fresh offices."""
    with time_machine.travel(_ago(8), tick=False):
        office = OfficeFactory.create()
        rows = [
            audit.record(AuditKind.CHANGED, actor=SYSTEM, target=office, note=f"old {n}")
            for n in range(old)
        ]
    office = OfficeFactory.create()
    rows += [
        audit.record(AuditKind.CHANGED, actor=SYSTEM, target=office, note=f"new {n}")
        for n in range(new)
    ]
    return rows


def _verify(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", "--no-heads", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), err.getvalue()
    return 0, out.getvalue()


def test_old_audit_rows_are_purged_from_the_start_and_the_chain_still_verifies():
    rows = _trail(old=5, new=3)

    report = run(kinds=["audit"], batch_size=2)["audit"]

    assert (report.due, report.done, report.batches) == (5, 5, 3)
    assert not AuditEvent.objects.filter(pk__in=[r.pk for r in rows[:5]]).exists()
    head = AuditChainHead.objects.get()
    assert (head.anchor_seq, head.anchor_hash) == (rows[4].seq, rows[4].row_hash)
    check = audit.verify()
    assert check.intact, check.problem
    assert (check.rows, check.anchor_seq) == (3 + 3, 5)  # the new rows and three purges
    code, said = _verify()
    assert code == 0
    assert "rows up to 5 purged by retention rule" in said
    last = AuditEvent.objects.filter(kind=AuditKind.PURGED).order_by("-seq").first()
    assert last.after["anchor"] == [rows[4].seq, rows[4].row_hash]


def test_the_audit_start_stops_at_a_recent_row():
    rows = _trail(old=2, new=2)
    with time_machine.travel(_ago(8), tick=False):  # old again, after a recent one
        audit.record(AuditKind.CHANGED, actor=SYSTEM, target=OfficeFactory(), note="late")

    assert run(kinds=["audit"])["audit"].done == 2
    assert AuditEvent.objects.filter(pk=rows[2].pk).exists()


def test_heads_exported_before_the_purge_still_check_what_they_can():
    rows = _trail(old=3, new=3)
    run(kinds=["audit"])

    assert audit.verify([(3, rows[2].row_hash), (6, rows[5].row_hash), (1, "e" * 64)]).intact
    check = audit.verify([(3, "f" * 64)])  # the anchor is not where that head was
    assert not check.intact
    assert "not where the kept chain starts" in check.problem


def test_after_a_purge_an_edit_in_the_kept_chain_is_still_caught():
    rows = _trail(old=3, new=3)
    run(kinds=["audit"])
    AuditEvent.objects.filter(pk=rows[4].pk).update(note="rewritten")

    check = audit.verify()

    assert (check.intact, check.row_id) == (False, rows[4].pk)
    assert "edited" in check.problem
    assert _verify()[0] == 1


def test_after_a_purge_deleting_the_oldest_kept_rows_is_still_caught():
    rows = _trail(old=3, new=3)
    run(kinds=["audit"])
    AuditEvent.objects.filter(pk=rows[3].pk).delete()  # the first kept row, no purge recorded

    check = audit.verify()

    assert not check.intact
    assert "missing" in check.problem
    code, said = _verify()
    assert code == 1
    assert f"row {rows[4].pk}" in said


def test_moving_the_anchor_by_hand_to_hide_a_deletion_is_caught():
    rows = _trail(old=3, new=3)
    run(kinds=["audit"])
    AuditEvent.objects.filter(pk=rows[3].pk).delete()
    AuditChainHead.objects.filter(pk=1).update(anchor_seq=rows[3].seq, anchor_hash=rows[3].row_hash)

    check = audit.verify()

    assert not check.intact
    assert "no purge recorded" in check.problem


def test_a_hold_stops_the_audit_purge_at_the_first_row_it_covers():
    with time_machine.travel(_ago(8), tick=False):
        free, held = OfficeFactory(), OfficeFactory()
        for target in (free, free, held, free):
            audit.record(AuditKind.CHANGED, actor=SYSTEM, target=target, note="old")
        admin = UserFactory(roles=["administrator"])
    place_hold(by=Actor.of(admin), reason="Case", agency=held.agency)

    report = run(kinds=["audit"])["audit"]

    assert (report.done, report.kept_by_hold) == (2, 2)
    assert audit.verify().intact


@pytest.mark.parametrize("on", ["person", "agency"])
def test_a_hold_keeps_the_audit_rows_about_a_person_and_what_they_did(on):
    with time_machine.travel(_ago(8), tick=False):
        person = PersonFactory.create(user=UserFactory.create())
        audit.record(AuditKind.CHANGED, actor=SYSTEM, target=OfficeFactory.create(), note="free")
        audit.record(AuditKind.CHANGED, actor=Actor.of(person.user), target=OfficeFactory.create())
        audit.record(AuditKind.CHANGED, actor=SYSTEM, target=person, note="about them")
        admin = UserFactory.create(roles=["administrator"])
    subject = {"person": person, "agency": person.office.agency}[on]
    place_hold(by=Actor.of(admin), reason="Case", **{on: subject})

    report = run(kinds=["audit"])["audit"]

    assert (report.done, report.kept_by_hold) == (1, 2)  # stops at what they did


# --- The rules in settings, checked at start-up ----------------------------------------------


def test_the_default_rules_pass_the_check():
    assert check_retention() == []


def test_the_environment_overrides_a_rule():
    rules = retention_settings(
        {"RETENTION_TICKETS_YEARS": "10", "RETENTION_INBOUND_MAIL_FROM": "processed"}
    )

    assert rules["tickets"] == {"years": 10, "from": "closed"}
    assert rules["inbound_mail"] == {"years": 7, "from": "processed"}
    assert rules["audit"] == {"years": 7, "from": "written"}


@pytest.mark.parametrize(
    ("environ", "said"),
    [
        ({"RETENTION_TICKETS_YEARS": "seven"}, "whole number of years, at least 1; got 'seven'"),
        ({"RETENTION_AUDIT_YEARS": "0"}, "The retention of audit must be a whole number"),
        ({"RETENTION_TICKETS_FROM": "opened"}, "cannot count from 'opened'"),
    ],
)
def test_a_bad_rule_stops_start_up_with_a_clear_message(settings, environ, said):
    settings.RETENTION = retention_settings(environ)

    errors = check_retention()

    assert len(errors) == 1
    assert said in errors[0].msg
    assert "RETENTION_" in (errors[0].hint or "")


def test_a_rule_for_no_kind_and_a_kind_without_a_rule_are_refused(settings):
    rules = retention_settings({})
    rules["tickts"] = rules.pop("tickets")
    settings.RETENTION = rules

    said = " ".join(error.msg for error in check_retention())

    assert "rule for 'tickts', which is no kind of record" in said
    assert "no rule for 'tickets'" in said


def test_the_check_runs_with_django_checks(settings):
    settings.RETENTION = retention_settings({"RETENTION_PEOPLE_YEARS": "-1"})

    with pytest.raises(Exception, match="people must be a whole number"):
        call_command("check")
