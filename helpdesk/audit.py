"""Writing the audit trail. Every service that changes a record calls ``record``, with the
``Actor`` that made the change (a user, or the system and its reason)."""

import datetime as dt
import decimal
import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from helpdesk.actor import SYSTEM_LABEL, Actor
from helpdesk.models import AuditEvent, AuditKind

__all__ = ["SYSTEM_LABEL", "record", "snapshot", "snapshot_from_db"]
# Never copied into an audit event, whatever the model: a hash is still a secret to guard.
_SECRET_FIELDS = frozenset({"password"})


def record(
    kind: AuditKind,
    *,
    actor: Actor,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    """Write one audit event. When the system acted, its reason is always part of the note."""
    if not isinstance(actor, Actor):
        raise TypeError("The audit trail records an Actor.")
    return AuditEvent.objects.create(
        actor=actor.user,
        actor_label=actor.label,
        kind=kind,
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        before=before,
        after=after,
        note=_with_reason(note, actor),
    )


def _with_reason(note: str, actor: Actor) -> str:
    if not actor.is_system or actor.reason in note:
        return note
    return f"{note} [{actor.reason}]" if note else actor.reason


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The instance's field values as JSON-ready data: foreign keys as ids, many-to-many as
    sorted id lists (read from the database, so call it after related objects are saved)."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        # auto_now stamps are the event's own time: they would show in every diff.
        if field.name in _SECRET_FIELDS or getattr(field, "auto_now", False):
            continue
        data[field.name] = _jsonable(field.value_from_object(instance))
    if instance.pk is not None:
        for field in instance._meta.many_to_many:
            related = getattr(instance, field.name).values_list("pk", flat=True)
            data[field.name] = sorted(_jsonable(pk) for pk in related)
    return data


def snapshot_from_db(instance: models.Model) -> dict[str, Any] | None:
    """The stored state of ``instance`` (None when it is not saved yet)."""
    if instance.pk is None:
        return None
    stored = type(instance)._default_manager.filter(pk=instance.pk).first()
    return snapshot(stored) if stored is not None else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or ""
    return value
