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

Edits that are not transitions (a priority, a notice's update) lock the same way with
``locked``. Views turn the one ``ConflictError`` into the same plain message.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django_fsm import can_proceed

from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.events import emit
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
    # After the save, in the same transaction: the timeline entry of the move.
    record_step: Callable[[M, Step], None] | None = None
    # After the commit: tell whoever shows the record (live updates).
    on_commit: Callable[[M], None] | None = None
    # The events a step emits ("ticket.state_changed"), and what they say of the record (ids,
    # reference, state, agency and office: never a note, a body or a person's details).
    events: Callable[[Step], Sequence[str]] | None = None
    payload: Callable[[M], dict[str, Any]] | None = None


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
    if machine.on_commit is not None:
        hook = machine.on_commit
        transaction.on_commit(lambda: hook(instance))


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
    method = getattr(row, action)
    if not can_proceed(method):
        raise ConflictError(
            f"{machine.reference(row)} is {state_label(row)} now, so that cannot be done: "
            "someone may have acted on it first. Nothing was changed."
        )
    if not (by.is_active and machine.may(by, row, action)):
        refusal = machine.refusal(action) if machine.refusal else ""
        raise PermissionDenied(refusal or f"You may not do that with this {machine.noun}.")
    source = _state(row)
    method()
    for name, value in (changes or {}).items():
        setattr(row, name, value)
    step = Step(action, source, _state(row), by, note, timezone.now())
    if machine.prepare is not None:
        machine.prepare(row, step)
    save(row, machine)
    record(
        AuditKind.TRANSITION,
        actor=by,
        target=row,
        before={"state": source},
        after={"state": step.target},
        note=note,
    )
    if machine.record_step is not None:
        machine.record_step(row, step)
    _emit(row, step, machine)
    return row


def _emit(row: M, step: Step, machine: Machine[M]) -> None:
    if machine.events is None:
        return
    data = machine.payload(row) if machine.payload is not None else {"id": row.pk}
    change = {"action": step.action, "from_state": step.source, "to_state": step.target}
    for event_type in machine.events(step):
        emit(event_type, {**data, **change})
