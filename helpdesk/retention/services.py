"""The retention rules at work: legal holds placed and released, each kind's due rows purged
in batches (each batch its own transaction, with its audit event, and its files removed from
disk after the commit), the audit trail's start purged with its chain's anchor, and people
anonymised once nothing that stays names them. ``manage.py apply_retention`` and the daily
schedule call ``apply_retention``."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from helpdesk import audit
from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.auth.mfa import all_devices_of
from helpdesk.models import (
    Absence,
    Agency,
    AuditChainHead,
    AuditKind,
    LegalHold,
    LocalExpertDesignation,
    Person,
    PersonEmail,
    StaffChange,
    Ticket,
    User,
)
from helpdesk.retention import selectors
from helpdesk.retention.kinds import PEOPLE, Holds, RecordKind, record_kinds
from helpdesk.retention.permissions import may_manage_holds

DEFAULT_BATCH_SIZE = 500

# --- Legal holds ----------------------------------------------------------------------------------


@transaction.atomic
def place_hold(
    *,
    by: Actor,
    reason: str,
    person: Person | None = None,
    agency: Agency | None = None,
    ticket: Ticket | None = None,
) -> LegalHold:
    """Hold one person, agency or ticket: nothing it covers is purged or anonymised until the
    hold is released. Audited."""
    if not may_manage_holds(by.user):
        raise PermissionDenied("Only administrators place legal holds.")
    if not reason.strip():
        raise ValidationError("A legal hold says what it is for.")
    if sum(subject is not None for subject in (person, agency, ticket)) != 1:
        raise ValidationError("A hold is on one person, one agency or one ticket.")
    hold = LegalHold.objects.create(
        person=person, agency=agency, ticket=ticket, reason=reason.strip(), placed_by=by.user
    )
    record(
        AuditKind.HOLD_PLACED,
        actor=by,
        target=hold,
        after=_hold_fields(hold),
        note=reason.strip(),
    )
    return hold


@transaction.atomic
def release_hold(hold: LegalHold, *, by: Actor, note: str) -> LegalHold:
    """End a hold: what it covered is purged by its rules again. Audited; idempotent."""
    if not may_manage_holds(by.user):
        raise PermissionDenied("Only administrators release legal holds.")
    if not note.strip():
        raise ValidationError("Say why the hold is released.")
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is not None:
        return hold
    hold.released_at, hold.released_by, hold.release_note = timezone.now(), by.user, note.strip()
    hold.save(update_fields=["released_at", "released_by", "release_note"])
    record(
        AuditKind.HOLD_RELEASED,
        actor=by,
        target=hold,
        before={"released_at": None},
        after={"released_at": hold.released_at.isoformat()},
        note=note.strip(),
    )
    return hold


def _hold_fields(hold: LegalHold) -> dict[str, Any]:
    return {"person": hold.person_id, "agency": hold.agency_id, "ticket": hold.ticket_id}


# --- Applying the rules ---------------------------------------------------------------------------


@dataclass
class KindReport:
    key: str
    label: str
    due: int = 0  # would be purged (dry run) / was found due
    done: int = 0  # purged or anonymised (0 in a dry run)
    kept_by_hold: int = 0
    batches: int = 0
    verb: str = "purged"


def apply_retention(
    *,
    by: Actor,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    kinds: Iterable[str] | None = None,
    now: datetime | None = None,
) -> list[KindReport]:
    """Every kind's due rows purged (or, in a dry run, counted), then the people rule. A dry
    run writes nothing: no row, no audit event, no file removed."""
    if not by.is_system:
        raise PermissionDenied("Retention runs as the system (the command, the schedule).")
    if batch_size < 1:
        raise ValueError("A batch holds at least one row.")
    every = [kind.key for kind in record_kinds] + [PEOPLE]
    chosen = list(every if kinds is None else kinds)
    unknown = sorted(set(chosen) - set(every))
    if unknown:
        raise ValueError(f"No such kind of record: {', '.join(unknown)}.")
    run = _Run(by, batch_size, now or timezone.now(), frozenset(chosen))
    reports = []
    for kind in record_kinds:
        if kind.key in chosen:
            reports.append(_apply_kind(kind, run, dry_run))
    if PEOPLE in chosen:
        reports.append(_apply_people(run, dry_run))
    return reports


@dataclass(frozen=True)
class _Run:
    by: Actor
    batch_size: int
    now: datetime
    chosen: frozenset[str]

    def holds(self) -> tuple[Holds, selectors.DueOf]:
        """The holds as they are now, read again by every batch inside its transaction: a
        hold placed while a run goes on stops the next batch."""
        holds = selectors.active_holds()
        return holds, selectors.none_due(self.chosen, now=self.now, holds=holds)


def _apply_kind(kind: RecordKind, run: _Run, dry_run: bool) -> KindReport:
    report = KindReport(kind.key, kind.label or kind.key)
    holds, due_of = run.holds()
    if kind.chain:
        start = selectors.chain_start(kind, now=run.now, holds=holds)
        report.due, report.kept_by_hold = start.rows, start.kept_by_hold
    else:
        selection = selectors.select(kind, now=run.now, holds=holds, due_of=due_of)
        report.due, report.kept_by_hold = selection.due.count(), selection.kept_by_hold
    purge = _purge_chain_batch if kind.chain else _purge_batch
    while not dry_run:
        purged = purge(kind, run)
        if not purged:
            break
        report.done += purged
        report.batches += 1
    return report


def _purge_batch(kind: RecordKind, run: _Run) -> int:
    """One batch of ``kind``'s due rows, oldest ids first, in one transaction: read again
    inside it (under lock), deleted with what goes with them, and audited; the files on disk
    go after the commit (a rolled back batch keeps them)."""
    with transaction.atomic():
        holds, due_of = run.holds()
        due = selectors.select(kind, now=run.now, holds=holds, due_of=due_of).due
        ids = list(due.order_by("pk").values_list("pk", flat=True)[: run.batch_size])
        if not ids:
            return 0
        rows = kind.model._default_manager.filter(pk__in=ids)
        list(rows.select_for_update().values_list("pk", flat=True))
        files = kind.files(rows) if kind.files is not None else []
        if kind.delete is not None:
            kind.delete(rows)
        else:
            rows.delete()
        rule = selectors.rule_of(kind.key)
        record(
            AuditKind.PURGED,
            actor=run.by,
            target=ContentType.objects.get_for_model(kind.model),
            after={
                "kind": kind.key,
                "rows": len(ids),
                "first_id": ids[0],
                "last_id": ids[-1],
                "rule": rule.describe(),
                "cutoff": rule.cutoff(run.now).isoformat(),
                "files": len(files),
            },
            note=f"Retention: {len(ids)} {kind.label or kind.key} purged by rule.",
        )
        transaction.on_commit(lambda: _remove_files(files))
    return len(ids)


def _purge_chain_batch(kind: RecordKind, run: _Run) -> int:
    """One batch from the start of the audit chain: the rows deleted and the anchor moved in
    one transaction, with the event recording where the kept chain now starts."""
    with transaction.atomic():
        # The head's lock first: no audit write interleaves with the purge.
        AuditChainHead.objects.select_for_update().filter(pk=1).first()
        holds, _due_of = run.holds()
        start = selectors.chain_start(kind, now=run.now, holds=holds, limit=run.batch_size)
        if not start.rows:
            return 0
        purge = audit.purge_through(start.last_seq)
        if purge is None:
            return 0
        rule = selectors.rule_of(kind.key)
        head = AuditChainHead.objects.get(pk=1)
        record(
            AuditKind.PURGED,
            actor=run.by,
            target=head,
            after={
                "kind": kind.key,
                "rows": purge.rows,
                "first_seq": purge.first_seq,
                "last_seq": purge.last_seq,
                "rule": rule.describe(),
                "cutoff": rule.cutoff(run.now).isoformat(),
                "anchor": [purge.last_seq, purge.anchor_hash],
            },
            note=f"Retention: {purge.rows} audit rows purged by rule; the chain starts after "
            f"{purge.last_seq}.",
        )
    return purge.rows


def _remove_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


# --- People ---------------------------------------------------------------------------------------


def _apply_people(run: _Run, dry_run: bool) -> KindReport:
    report = KindReport(PEOPLE, "people", verb="anonymised")
    holds, due_of = run.holds()
    selection = selectors.people_selection(now=run.now, holds=holds, due_of=due_of)
    report.due, report.kept_by_hold = selection.due.count(), selection.kept_by_hold
    while not dry_run:
        with transaction.atomic():
            holds, due_of = run.holds()
            due = selectors.people_selection(now=run.now, holds=holds, due_of=due_of).due
            people = list(due.order_by("pk")[: run.batch_size])
            for person in people:
                anonymise_person(person, by=run.by)
        if not people:
            break
        report.done += len(people)
        report.batches += 1
    return report


ANONYMISED_FIRST_NAME = "Anonymised"


@transaction.atomic
def anonymise_person(person: Person, *, by: Actor) -> Person:
    """Replace what identifies ``person``: name, job title, phone, addresses, absences; their
    login's username, name and email, with sign-in off, an unusable password, sessions ended
    and second factors removed. The row and its id stay (records and audit rows point at it).
    Audited with counts, never the old values. Idempotent."""
    if not by.is_system:
        raise PermissionDenied("People are anonymised by the retention rule only.")
    person = Person.objects.select_for_update(of=("self",)).get(pk=person.pk)
    if person.anonymised_at is not None:
        return person
    emails, _ = PersonEmail.objects.filter(person=person).delete()
    absences, _ = Absence.objects.filter(person=person).delete()
    LocalExpertDesignation.objects.filter(person=person).delete()
    # The staff list's review rows held their name, phone and address as typed.
    StaffChange.objects.filter(person=person).update(
        before=None, after=None, person_label=f"person #{person.pk}"
    )
    person.first_name, person.last_name = ANONYMISED_FIRST_NAME, f"person #{person.pk}"
    person.job_title = person.phone = ""
    person.anonymised_at = timezone.now()
    person.save()
    factors = 0
    if person.user_id is not None:
        factors = _anonymise_login(User.objects.select_for_update().get(pk=person.user_id))
    record(
        AuditKind.ANONYMISED,
        actor=by,
        target=person,
        after={
            "fields": ["first_name", "last_name", "job_title", "phone"],
            "emails_removed": emails,
            "absences_removed": absences,
            "login": person.user_id,
            "second_factors_removed": factors,
        },
        note="Retention: anonymised by rule.",
    )
    return person


def _anonymise_login(user: User) -> int:
    devices = all_devices_of(user)
    for device in devices:
        device.delete()  # type: ignore[attr-defined]
    user.username = f"anonymised-{user.pk}"
    user.first_name = user.last_name = user.email = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    return len(devices)
