"""The one transition path, for tickets, security forms, access requests and notices.

Every state change of these records goes through ``transition``, in this order:

1. lock the row (``SELECT ... FOR UPDATE``) and, where the record carries a ``version``, check
   the version the actor saw: a stale page gets a ``ConflictError``, never an overwrite (a
   record created in the caller's own transaction, which no one else can see, needs neither);
2. check the state machine allows the action now (django-fsm-2's ``can_proceed``), else a
   ``ConflictError``: someone acted first;
3. check the actor may take it (the record kind's rule, given the typed ``Actor``; there is no
   bypass: the system is an actor too, and may only do what its rule lets the system do);
4. apply the transition, then the caller's field changes, then the kind's ``prepare`` (e.g.
   the SLA clocks, which depend on those fields), and save (bumping ``version``);
5. write the audit event and the kind's timeline entry;
6. emit the kind's events (``helpdesk.events``: ``Machine.events`` names them for a step,
   ``Machine.payload`` says what they carry), heard by the webhooks in this transaction and
   sent by them only after the commit;
7. leave the kind's side effects (live updates) for after the commit. The caller queues its own
   after-commit work (emails) inside the same transaction.

``transition_many`` is the same path for a batch (the SLA sweep's auto-close): the same steps,
each defined once below and shared, but the rows are locked together (``SKIP LOCKED`` on
PostgreSQL: two workers never wait on each other, each takes the rows the other has not), a
row the machine or the rule does not allow now, or whose version moved, is skipped rather than
raised, the change is one UPDATE per set of identical new values, and the audit rows
(``audit.record_many``) and timeline rows go in with one INSERT each.

Edits that are not transitions (a priority, a notice's update) lock the same way with
``locked``. Views turn the one ``ConflictError`` into the same plain message.
"""

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import can_proceed

from helpdesk.actor import Actor
from helpdesk.audit import Entry, record_many
from helpdesk.events import emit_many
from helpdesk.models import AuditKind

M = TypeVar("M", bound=models.Model)


class ConflictError(Exception):
    """Someone acted first: the record is not where the actor saw it. Nothing was changed."""


@dataclass(frozen=True)
class Step:
    """One transition that happened, as the kind's hooks see it."""

    action: str
    source: str
    target: str
    by: Actor
    note: str
    at: datetime


@dataclass(frozen=True)
class Machine(Generic[M]):
    """How the transition path treats one kind of record."""

    # What the record is called in messages ("ticket", "security form").
    noun: str
    # Loads the row locked FOR UPDATE, with what the rule and the hooks read.
    lock: Callable[[M], M]
    # Who may take which action: may(actor, record, action).
    may: Callable[[Actor, M, str], bool]
    # How messages name one record ("CCAP-2026-000042", "SF-2026-00007", "This request").
    reference: Callable[[M], str] = lambda instance: str(
        getattr(instance, "reference", None) or instance
    )
    # The refusal when the actor may not take an action.
    refusal: Callable[[str], str] | None = None
    # Before the save: fields that follow from the move (a ticket's SLA clocks).
    prepare: Callable[[M, Step], None] | None = None
    # The timeline entry of the move, unsaved: the path saves it after the record, in the
    # same transaction (one INSERT for a batch).
    timeline: Callable[[M, Step], models.Model] | None = None
    # After the commit: tell whoever shows the record (live updates).
    on_commit: Callable[[M], None] | None = None
    # The events a step emits ("ticket.state_changed"), and what they say of the record (ids,
    # reference, state, agency and office: never a note, a body or a person's details).
    events: Callable[[Step], Sequence[str]] | None = None
    payload: Callable[[M], dict[str, Any]] | None = None
    # The same for many records at once, where the kind can batch it (one hop to the channel
    # layer); without it a batch calls ``on_commit`` once per record.
    on_commit_many: Callable[[list[M]], None] | None = None
    # For ``transition_many``: the rows of these ids (a list, or a queryset of this kind)
    # locked FOR UPDATE SKIP LOCKED, with what the rule and the hooks read.
    lock_many: Callable[[Any], models.QuerySet[M]] | None = None


def _state(instance: models.Model) -> str:
    # Every record kind on this path has an FSM field named ``state``, which Model does not
    # declare (and django-fsm's field is untyped).
    state: str = instance.state  # type: ignore[attr-defined]
    return state


def state_label(instance: models.Model) -> str:
    getter = getattr(instance, "get_state_display", None)
    return str(getter()).lower() if getter else ""


def locked(instance: M, machine: Machine[M], expected_version: int | None = None) -> M:
    """The row locked for this transaction; a ConflictError if it changed since the actor
    looked at ``expected_version`` (records without a version are checked by state only)."""
    row = machine.lock(instance)
    version = getattr(row, "version", None)
    if expected_version is not None and version is not None and version != expected_version:
        now = f" (it is now {state_label(row)})" if state_label(row) else ""
        raise ConflictError(
            f"{machine.reference(row)} was changed by someone else while you were looking at it"
            f"{now}. Nothing was changed: please review it and try again."
        )
    return row


def save(instance: models.Model, machine: Machine[Any]) -> None:
    """Save a changed record: its version moves on, and pages showing it hear after commit."""
    if hasattr(instance, "version"):
        instance.version += 1
    instance.save()
    _after_commit([instance], machine)


def _after_commit(rows: list[M], machine: Machine[M]) -> None:
    if machine.on_commit_many is not None:
        many = machine.on_commit_many
        transaction.on_commit(lambda: many(rows))
    elif machine.on_commit is not None:
        hook = machine.on_commit
        for row in rows:
            transaction.on_commit(lambda row=row: hook(row))  # type: ignore[misc]


# --- The steps, each defined once: ``transition`` and ``transition_many`` both take them ------


def _allowed_now(row: models.Model, action: str) -> bool:
    """The state machine allows ``action`` from where the row is now."""
    return bool(can_proceed(getattr(row, action)))


def _actor_may(by: Actor, row: M, action: str, machine: Machine[M]) -> bool:
    """The kind's rule lets ``by`` take ``action`` on ``row`` (no bypass, the system included)."""
    return by.is_active and machine.may(by, row, action)


def _apply(
    row: M,
    action: str,
    *,
    machine: Machine[M],
    by: Actor,
    note: str,
    at: datetime,
    changes: Mapping[str, Any] | None = None,
) -> Step:
    """The transition on the row in memory: the FSM move, the caller's changes, ``prepare``."""
    source = _state(row)
    getattr(row, action)()
    for name, value in (changes or {}).items():
        setattr(row, name, value)
    step = Step(action, source, _state(row), by, note, at)
    if machine.prepare is not None:
        machine.prepare(row, step)
    return step


def _record_steps(done: list[tuple[M, Step]], machine: Machine[M], by: Actor) -> None:
    """The audit events (in the order given), the timeline entries and the kind's events of
    saved moves."""
    entries = [
        Entry(row, before={"state": step.source}, after={"state": step.target}, note=step.note)
        for row, step in done
    ]
    record_many(AuditKind.TRANSITION, actor=by, entries=entries)
    _save_timeline(done, machine)
    emit_many([event for row, step in done for event in _events(row, step, machine)])


def _save_timeline(done: list[tuple[M, Step]], machine: Machine[M]) -> None:
    if machine.timeline is None:
        return
    lines = [machine.timeline(row, step) for row, step in done]
    if len(lines) == 1:
        lines[0].save(force_insert=True)
        return
    by_model: dict[type[models.Model], list[models.Model]] = defaultdict(list)
    for line in lines:
        by_model[type(line)].append(line)
    for model, rows in by_model.items():
        model._default_manager.bulk_create(rows)


def _not_allowed_now(row: models.Model, machine: Machine[Any]) -> ConflictError:
    return ConflictError(
        f"{machine.reference(row)} is {state_label(row)} now, so that cannot be done: "
        "someone may have acted on it first. Nothing was changed."
    )


@transaction.atomic
def transition(
    instance: M,
    action: str,
    *,
    machine: Machine[M],
    by: Actor,
    note: str = "",
    expected_version: int | None = None,
    changes: Mapping[str, Any] | None = None,
    created_here: bool = False,
) -> M:
    """Take ``action`` on ``instance`` for ``by`` and return the saved, locked record.
    ``created_here``: the caller created ``instance`` in this same transaction, so no one else
    can see the row yet and there is nothing to lock or compare (a new ticket's first move)."""
    row = instance if created_here else locked(instance, machine, expected_version)
    if not _allowed_now(row, action):
        raise _not_allowed_now(row, machine)
    if not _actor_may(by, row, action, machine):
        refusal = machine.refusal(action) if machine.refusal else ""
        raise PermissionDenied(refusal or f"You may not do that with this {machine.noun}.")
    step = _apply(
        row, action, machine=machine, by=by, note=note, at=timezone.now(), changes=changes
    )
    save(row, machine)
    _record_steps([(row, step)], machine, by)
    return row


# --- A batch --------------------------------------------------------------------------------


@dataclass
class Batch(Generic[M]):
    """What ``transition_many`` did: the records moved (saved, in id order), and the ids left
    as they were, each with why."""

    done: list[M] = field(default_factory=list)
    # id -> "locked" (another worker holds it, or it is gone), "changed" (its version moved
    # since the caller read it), "not now" (the machine does not allow the action from its
    # state) or "refused" (the rule does not let the actor take it).
    skipped: dict[Any, str] = field(default_factory=dict)


@transaction.atomic
def transition_many(
    records: "models.QuerySet[M] | Mapping[Any, int] | Iterable[Any]",
    action: str,
    *,
    machine: Machine[M],
    by: Actor,
    note: str = "",
) -> Batch[M]:
    """Take ``action`` on each of ``records`` for ``by``, in one transaction, as ``transition``
    would one by one; a record it cannot move now is skipped (``Batch.skipped``), never
    raised on. ``records``: ids, a queryset of the kind, or ids mapped to the version the
    caller read (a record whose version moved since is skipped, not clobbered)."""
    if machine.lock_many is None:
        raise TypeError(f"The {machine.noun} machine has no batch lock (lock_many).")
    expected = dict(records) if isinstance(records, Mapping) else None
    wanted = list(expected) if expected is not None else records
    if not isinstance(wanted, models.QuerySet):
        wanted = list(wanted)
    batch: Batch[M] = Batch()
    rows = {row.pk: row for row in machine.lock_many(wanted)}
    if not isinstance(wanted, models.QuerySet):
        batch.skipped.update({pk: "locked" for pk in wanted if pk not in rows})
    at = timezone.now()
    done: list[tuple[M, Step]] = []
    before: list[dict[str, Any]] = []
    for pk in sorted(rows):
        row = rows[pk]
        version = getattr(row, "version", None)
        if expected is not None and version is not None and version != expected[pk]:
            batch.skipped[pk] = "changed"
        elif not _allowed_now(row, action):
            batch.skipped[pk] = "not now"
        elif not _actor_may(by, row, action, machine):
            batch.skipped[pk] = "refused"
        else:
            before.append(_values(row))
            done.append((row, _apply(row, action, machine=machine, by=by, note=note, at=at)))
    if not done:
        return batch
    _save_many([row for row, _ in done], before, at)
    _record_steps(done, machine, by)
    batch.done = [row for row, _ in done]
    _after_commit(batch.done, machine)
    return batch


def _values(row: models.Model) -> dict[str, Any]:
    return {
        f.attname: copy.deepcopy(f.value_from_object(row))
        for f in row._meta.concrete_fields
        if not f.primary_key
    }


def _save_many(rows: list[M], before: list[dict[str, Any]], at: datetime) -> None:
    """What ``save`` does for each row, as few UPDATEs as the new values allow: the fields any
    row's move changed (and ``auto_now`` stamps, all ``at``: one time for the batch, else each
    row's own microsecond would make a group of its own) are grouped by their new values, one
    UPDATE per group, ``version`` moved on by each (the rows are locked: no one else moved it)."""
    model = type(rows[0])
    stamps = [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    changed: set[str] = {f.attname for f in stamps}
    for row, values in zip(rows, before, strict=True):
        for f in stamps:
            setattr(row, f.attname, at)
        changed.update(name for name, value in values.items() if _value(row, name) != value)
    changed.discard("version")
    names = sorted(changed)
    groups: dict[tuple[str, ...], list[M]] = defaultdict(list)
    for row in rows:
        groups[tuple(repr(_value(row, name)) for name in names)].append(row)
    versioned = any(f.attname == "version" for f in model._meta.concrete_fields)
    for group in groups.values():
        update: dict[str, Any] = {name: _value(group[0], name) for name in names}
        if versioned:
            update["version"] = F("version") + 1
        model._default_manager.filter(pk__in=[row.pk for row in group]).update(**update)
        if versioned:
            for row in group:
                row.version += 1  # type: ignore[attr-defined]


def _value(row: models.Model, attname: str) -> Any:
    return getattr(row, attname)


def _events(row: M, step: Step, machine: Machine[M]) -> list[tuple[str, dict[str, Any]]]:
    """The kind's events of one move, with what they carry."""
    if machine.events is None:
        return []
    data = machine.payload(row) if machine.payload is not None else {"id": row.pk}
    change = {"action": step.action, "from_state": step.source, "to_state": step.target}
    return [(event_type, {**data, **change}) for event_type in machine.events(step)]
