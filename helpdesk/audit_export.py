"""The audit trail exported for an outside monitor (IDHS): the rows about an agency, a person, a
system, between two dates, as CSV and JSON Lines, with a manifest a monitor can check.

Each exported row carries its place in the hash chain (``seq``), the hash of the row before
it and its own hash (``helpdesk.audit``). The manifest holds the row counts, the chain's head
at the time of the export and whether the whole chain verified then, and the SHA-256 of each
file. A monitor recomputes a row's hash from its JSON Lines record (the canonical form is in
docs/security.md) and compares the head with the heads exported daily.

Which rows are "about" an agency, a person or a system is answered per kind of record by the
app that owns it (``audit_scopes``): the help desk for people, logins, offices and tickets; the
access and security-forms apps for theirs, registered from ``AppConfig.ready``.
"""

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils import timezone

from helpdesk import audit
from helpdesk.actor import Actor
from helpdesk.models import Agency, AuditChainHead, AuditEvent, AuditKind, Person
from helpdesk.registry import Registry

COLUMNS = [
    "seq",
    "at",
    "actor_label",
    "kind",
    "target_type",
    "target_id",
    "target_repr",
    "before",
    "after",
    "note",
    "prev_hash",
    "row_hash",
]


@dataclass(frozen=True)
class AuditScope:
    """How to find the records of one model that concern an agency, a person or a system:
    each a filter on that model, or ``None`` when the model has no such link."""

    model: type[models.Model]
    agency: Callable[[Agency], Q] | None = None
    person: Callable[[Person], Q] | None = None
    system: Callable[[str], Q] | None = None


audit_scopes: Registry[AuditScope] = Registry("audit scopes", key=lambda s: s.model._meta.label)


@dataclass(frozen=True)
class ExportFilter:
    agency: Agency | None = None
    person: Person | None = None
    system: str = ""  # a target system's code (access), e.g. "ccts"
    since: date | None = None
    until: date | None = None  # inclusive

    def describe(self) -> dict[str, Any]:
        return {
            "agency": self.agency.code if self.agency else None,
            "person": self.person.pk if self.person else None,
            "system": self.system or None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


def matching_events(chosen: ExportFilter) -> models.QuerySet[AuditEvent]:
    """The audit rows the filter selects, in chain order."""
    events = AuditEvent.objects.filter(seq__isnull=False)
    if chosen.since:
        events = events.filter(at__gte=_start_of(chosen.since))
    if chosen.until:
        events = events.filter(at__lt=_start_of(chosen.until + timedelta(days=1)))
    if chosen.agency is not None:
        events = events.filter(_about(lambda scope: scope.agency, chosen.agency))
    if chosen.person is not None:
        by_them = Q(actor_id=chosen.person.user_id) if chosen.person.user_id else Q(pk__in=[])
        events = events.filter(by_them | _about(lambda scope: scope.person, chosen.person))
    if chosen.system:
        events = events.filter(_about(lambda scope: scope.system, chosen.system))
    return events.select_related("target_type").order_by("seq")


def _about(side: Callable[[AuditScope], Callable[[Any], Q] | None], value: Any) -> Q:
    """Rows whose target is a record, of any registered kind, that the filter's ``side``
    selects for ``value``."""
    matched = Q(pk__in=[])
    for scope in audit_scopes:
        rule = side(scope)
        if rule is None:
            continue
        ids = scope.model._default_manager.filter(rule(value)).values_list(
            Cast("pk", models.CharField()), flat=True
        )
        kind = ContentType.objects.get_for_model(scope.model, for_concrete_model=False)
        matched |= Q(target_type=kind, target_id__in=ids)
    return matched


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _record(event: AuditEvent) -> dict[str, Any]:
    """A row as exported: its canonical fields, which its hash covers, and the two hashes."""
    hashes = {"prev_hash": event.prev_hash, "row_hash": event.row_hash}
    return {**audit.canonical_fields(event), **hashes}


@dataclass(frozen=True)
class Export:
    files: dict[str, bytes]
    manifest: dict[str, Any]

    def write(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in {**self.files, "manifest.json": self.manifest_bytes()}.items():
            (folder / name).write_bytes(data)
            written.append(folder / name)
        return written

    def manifest_bytes(self) -> bytes:
        return json.dumps(self.manifest, indent=1, ensure_ascii=False).encode() + b"\n"

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in {**self.files, "manifest.json": self.manifest_bytes()}.items():
                archive.writestr(name, data)
        return buffer.getvalue()


def export(chosen: ExportFilter, *, by: Actor) -> Export:
    """The rows as ``audit.csv`` and ``audit.jsonl`` with their manifest; the export itself is
    audited (who took which rows), after the rows are read, so it is not among them."""
    records = [_record(event) for event in matching_events(chosen).iterator(chunk_size=2000)]
    files = {"audit.csv": _csv(records), "audit.jsonl": _jsonl(records)}
    check = audit.verify()
    manifest = {
        "generated_at": timezone.now().isoformat(),
        "generated_by": by.label,
        "filters": chosen.describe(),
        "rows": len(records),
        "first_seq": records[0]["seq"] if records else None,
        "last_seq": records[-1]["seq"] if records else None,
        "chain": {
            "head_seq": check.head_seq,
            "head_hash": check.head_hash,
            "verified": check.intact,
            "problem": check.problem,
        },
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in files.items()
        },
    }
    head, _ = AuditChainHead.objects.get_or_create(pk=1, defaults={"head_hash": audit.GENESIS})
    audit.record(
        AuditKind.EXPORTED,
        actor=by,
        target=head,
        after={"filters": chosen.describe(), "rows": len(records)},
        note="Audit trail exported for monitoring.",
    )
    return Export(files, manifest)


def _csv(records: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        target_type, target_id = record["target"]
        flat = {k: v for k, v in record.items() if k != "target"}
        writer.writerow(
            {
                **flat,
                "target_type": target_type,
                "target_id": target_id,
                "before": _json(record["before"]),
                "after": _json(record["after"]),
            }
        )
    return buffer.getvalue().encode()


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(_json(record).encode() + b"\n" for record in records)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def lines(data: bytes) -> Iterator[dict[str, Any]]:
    """The records of an ``audit.jsonl``, for tests and for checking an export."""
    for line in data.decode().splitlines():
        if line.strip():
            yield json.loads(line)
