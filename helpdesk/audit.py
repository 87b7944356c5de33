"""Writing the audit trail. Every service that changes a record calls ``record``, with the
``Actor`` that made the change (a user, or the system and its reason).

The trail is a hash chain, so an edit, a deletion or a row slipped in afterwards shows
(``verify``, ``manage.py verify_audit``). Each row carries its place (``seq``), the hash of
the row before it and the SHA-256 of its own canonical content joined to that hash, written in
the same transaction as the row, under a lock on the chain's head (``AuditChainHead``) held
until that transaction ends: rows join one at a time in the order they commit, and a rolled
back transaction leaves no gap. Whoever can write the database can rewrite the whole chain
from any point; the head exported each day (``export_head``) is what such a rewrite cannot
match.

The head lock is taken by the audit write, usually the last thing a service does. A
transaction that locks another row after writing an audit row can deadlock with one that
holds that row and waits for the head; PostgreSQL then aborts one of them (the mail intake
marks its message failed, to be reprocessed).
"""

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from helpdesk.actor import SYSTEM_LABEL, Actor
from helpdesk.lib.sequences import increment
from helpdesk.models import AuditChainHead, AuditEvent, AuditKind

__all__ = ["SYSTEM_LABEL", "Entry", "record", "record_many", "snapshot", "snapshot_from_db"]
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
    (event,) = record_many(kind, actor=actor, entries=[Entry(target, before, after, note)])
    return event


@dataclass(frozen=True)
class Entry:
    """One audit event of a batch: what ``record`` takes besides the kind and the actor."""

    target: models.Model
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    note: str = ""


def record_many(kind: AuditKind, *, actor: Actor, entries: Sequence[Entry]) -> list[AuditEvent]:
    """Write one audit event per entry, in order, as that many ``record`` calls would: the
    same rows, the same consecutive places in the chain, each linked to the one before; but
    the head is locked and moved once, and the rows go in with one INSERT (a batch
    transition, ``helpdesk.transitions.transition_many``)."""
    if not isinstance(actor, Actor):
        raise TypeError("The audit trail records an Actor.")
    events = [
        AuditEvent(
            actor=actor.user,
            actor_label=actor.label,
            kind=kind,
            target_type=ContentType.objects.get_for_model(entry.target, for_concrete_model=False),
            target_id=str(entry.target.pk),
            target_repr=str(entry.target)[:255],
            before=entry.before,
            after=entry.after,
            note=_with_reason(entry.note, actor),
            via_token=actor.token_id,
        )
        for entry in entries
    ]
    if events:
        with transaction.atomic(savepoint=False):  # the rows and their links commit together
            _link(events)
    return events


# --- The hash chain -------------------------------------------------------------------------

GENESIS = "0" * 64  # the "previous hash" of the first row


def _link(events: list[AuditEvent]) -> None:
    """Give ``events`` the next places in the chain, in order, save them, and move the head
    onto the last: one bump of the head's place by their number, which locks the head until
    the transaction ends, so no other writer can take a place among them."""
    count = len(events)
    also = ("head_hash",)
    taken = increment(AuditChainHead, key="id", value=1, counter="seq", also=also, by=count)
    if taken is None:
        _start_chain()
        taken = increment(AuditChainHead, key="id", value=1, counter="seq", also=also, by=count)
    assert taken is not None, "the chain's head exists now"
    # The head's place moved by ``count``; its hash is still the last row's before these.
    place, previous = int(taken[0]) - count, str(taken[1])
    for event in events:
        place += 1
        event.seq, event.prev_hash = place, previous
        event.row_hash = previous = row_hash(event)
    if count == 1:
        events[0].save(force_insert=True)
    else:
        AuditEvent.objects.bulk_create(events)
    AuditChainHead.objects.filter(pk=1).update(head_hash=previous)


def _start_chain() -> None:
    try:
        with transaction.atomic():  # a savepoint: losing the race to create it is fine
            AuditChainHead.objects.create(pk=1, seq=0, head_hash=GENESIS)
    except IntegrityError:
        pass


def canonical_fields(event: AuditEvent) -> dict[str, Any]:
    """The row as the chain hashes it: every field a reader relies on (the target's type by its
    natural key, which is the same on every database). Exports carry exactly these."""
    target_type = ContentType.objects.get_for_id(event.target_type_id)
    return {
        "seq": event.seq,
        "at": _jsonable(event.at.astimezone(dt.UTC)),
        # Who acted, as written: the login's id is left out, since deleting a login empties it.
        "actor_label": event.actor_label,
        "kind": event.kind,
        "target": [f"{target_type.app_label}.{target_type.model}", event.target_id],
        "target_repr": event.target_repr,
        "before": event.before,
        "after": event.after,
        "note": event.note,
        # Only rows written through an API token carry it: the rows before it hash as they did.
        **({"via_token": event.via_token} if event.via_token is not None else {}),
    }


def canonical(fields: dict[str, Any]) -> bytes:
    """One fixed JSON form of ``canonical_fields``: sorted keys, no spaces, UTF-8."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(event: AuditEvent) -> str:
    return chained_hash(event.prev_hash, canonical_fields(event))


def chained_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 of the previous row's hash (hex) followed by the canonical JSON of the row."""
    return hashlib.sha256(prev_hash.encode() + canonical(fields)).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    rows: int
    head_seq: int
    head_hash: str
    # The first break found: which row, and what is wrong with it; empty when the chain holds.
    problem: str = ""
    row_id: int | None = None
    # The place of the last row purged by a retention rule (0: none): the walk starts after it.
    anchor_seq: int = 0

    @property
    def intact(self) -> bool:
        return not self.problem


def verify(exported_heads: Iterable[tuple[int, str]] = (), chunk: int = 2000) -> ChainCheck:
    """Walk the chain in order and name its first break: a row outside the chain (written
    around ``record``), a row whose content or link no longer matches its hash (edited), a gap
    in the places (deleted), an end that is not the head (rows deleted at the end), or a head
    exported earlier that the chain no longer passes through (rewritten from that point)."""
    expected = dict(exported_heads)
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.head_hash) if head else (0, GENESIS)
    # Rows purged by a retention rule: the kept chain starts after the anchor, which the purge
    # recorded in its own transaction (``purge_through``), and links to the anchor's hash.
    anchor_seq, anchor_hash = (head.anchor_seq, head.anchor_hash) if head else (0, GENESIS)
    outside = AuditEvent.objects.filter(seq__isnull=True).order_by("pk").first()
    if outside is not None:
        problem = "not in the chain: written around the audit path"
        return ChainCheck(0, head_seq, head_hash, problem, outside.pk, anchor_seq)
    if anchor_seq in expected and expected[anchor_seq] != anchor_hash:
        problem = f"the head exported at {anchor_seq} is not where the kept chain starts"
        return ChainCheck(0, head_seq, head_hash, problem, None, anchor_seq)
    rows, place, previous = 0, anchor_seq, anchor_hash
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk):
        rows += 1
        place += 1
        problem = _break_at(event, place, previous, expected)
        if problem:
            return ChainCheck(rows, head_seq, head_hash, problem, event.pk, anchor_seq)
        previous = event.row_hash
    if place != head_seq or previous != head_hash:
        problem = (
            f"the chain ends at {place} but its head is at {head_seq}: rows removed at the end"
        )
        return ChainCheck(rows, head_seq, head_hash, problem, None, anchor_seq)
    if anchor_seq and not _purge_recorded(anchor_seq, anchor_hash):
        problem = (
            f"the kept chain starts after {anchor_seq}, but no purge recorded in it ends there: "
            "rows removed from the start"
        )
        return ChainCheck(rows, head_seq, head_hash, problem, None, anchor_seq)
    return ChainCheck(rows, head_seq, head_hash, anchor_seq=anchor_seq)


def _purge_recorded(anchor_seq: int, anchor_hash: str) -> bool:
    """Whether a kept row (so itself verified) is the purge that moved the anchor here: moving
    the anchor by hand, to hide rows deleted from the start, has no such row."""
    on_chain = ContentType.objects.get_for_model(AuditChainHead)
    purges = AuditEvent.objects.filter(kind=AuditKind.PURGED, target_type=on_chain)
    for after in purges.order_by("-seq").values_list("after", flat=True)[:1]:
        return isinstance(after, dict) and after.get("anchor") == [anchor_seq, anchor_hash]
    return False


# --- Purging the oldest rows (helpdesk.retention) -------------------------------------------


@dataclass(frozen=True)
class ChainPurge:
    rows: int
    first_seq: int
    last_seq: int
    anchor_hash: str


def purge_through(last_seq: int) -> ChainPurge | None:
    """Delete the chain's oldest rows, up to and including place ``last_seq``, and move the
    anchor onto the last of them, in the caller's transaction and under the head's lock (the
    lock every audit write takes): ``verify`` then starts from the anchor, and still finds an
    edit, a deletion or an insertion among the rows kept. The caller records the purge in the
    same transaction, on the head row, with ``after["anchor"] == [last_seq, anchor_hash]``:
    ``verify`` looks for that row. None when nothing was there."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None or last_seq <= head.anchor_seq:
        return None
    last = AuditEvent.objects.filter(seq=last_seq).values_list("row_hash", flat=True).first()
    if last is None:
        raise ValueError(f"No audit row at place {last_seq}.")
    first_seq = head.anchor_seq + 1
    rows, _ = AuditEvent.objects.filter(seq__lte=last_seq).delete()
    AuditChainHead.objects.filter(pk=1).update(anchor_seq=last_seq, anchor_hash=last)
    return ChainPurge(rows, first_seq, last_seq, last)


def _break_at(event: AuditEvent, place: int, previous: str, expected: dict[int, str]) -> str:
    if event.seq != place:
        return f"place {place} is missing (the next row is at {event.seq}): a row was removed"
    if event.prev_hash != previous:
        return "its link does not match the row before it: a row was removed or put in"
    if row_hash(event) != event.row_hash:
        return "its content does not match its hash: the row was edited"
    if place in expected and expected[place] != event.row_hash:
        return f"the head exported at {place} was {expected[place][:12]}...: rewritten since"
    return ""


def export_head(folder: Path) -> Path:
    """Write today's head (place, hash, time) to ``folder`` as one JSON file: kept outside the
    database, it is what a rewrite of the chain up to it cannot match."""
    head = AuditChainHead.objects.filter(pk=1).first()
    now = timezone.now()
    data = {
        "seq": head.seq if head else 0,
        "hash": head.head_hash if head else GENESIS,
        "exported_at": now.isoformat(),
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"audit-head-{timezone.localdate(now).isoformat()}.json"
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def read_heads(folder: Path) -> list[tuple[int, str]]:
    """The heads exported to ``folder`` (``export_head``), to check the chain against."""
    heads = []
    for path in sorted(folder.glob("audit-head-*.json")):
        data = json.loads(path.read_text())
        heads.append((int(data["seq"]), str(data["hash"])))
    return heads


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


def export_todays_head() -> str:
    """The worker's daily task: today's head into ``AUDIT_HEADS_DIR``."""
    return str(export_head(Path(settings.AUDIT_HEADS_DIR)))
