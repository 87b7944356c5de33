"""The audit export for monitors: the rows about an agency, a person, a system, between dates,
as CSV and JSON Lines with a manifest that a monitor can check (row count, chain head, each
file's SHA-256, and each row's hash recomputed from its JSON Lines record)."""

import csv
import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from access.models import Account, AccountState, TargetSystem
from helpdesk import audit
from helpdesk.actor import Actor
from helpdesk.audit_export import ExportFilter, export, lines
from helpdesk.models import AuditEvent, AuditKind

pytestmark = pytest.mark.django_db


def _changed(world, target, note: str, by=None) -> AuditEvent:
    return audit.record(
        AuditKind.CHANGED, actor=by or Actor.of(world.hannah), target=target, note=note
    )


@pytest.fixture
def trail(world):
    """Rows about two agencies, a person, an account on CCTS and a ticket-free office."""
    ccts = TargetSystem.objects.get(code="ccts")
    account = Account.objects.create(
        person=world.alice,
        credential_group=ccts.credential_group,
        identifier="DHSAL01",
        state=AccountState.ACTIVE,
    )
    return {
        "alice": _changed(world, world.alice, "alice's phone"),
        "account": _changed(world, account, "alice's CCTS ID"),
        "office": _changed(world, world.office, "office hours"),
        "other": _changed(world, world.other_office, "the other agency's office"),
    }


def _notes(made) -> set[str]:
    return {row["note"] for row in lines(made.files["audit.jsonl"])}


def test_an_agencys_export_holds_its_rows_and_none_of_another_agencys(world, trail):
    made = export(ExportFilter(agency=world.office.agency), by=Actor.of(world.ada))

    notes = _notes(made)
    assert {"alice's phone", "alice's CCTS ID", "office hours"} <= notes
    assert "the other agency's office" not in notes


def test_a_persons_and_a_systems_export(world, trail):
    by_person = export(ExportFilter(person=world.alice), by=Actor.of(world.ada))
    by_system = export(ExportFilter(system="ccts"), by=Actor.of(world.ada))

    assert {"alice's phone", "alice's CCTS ID"} <= _notes(by_person)
    assert "office hours" not in _notes(by_person)
    assert _notes(by_system) == {"alice's CCTS ID"}


def test_dates_are_inclusive_and_central_time(world, trail):
    today = timezone.localdate()
    AuditEvent.objects.filter(pk=trail["office"].pk).update(at=timezone.now() - timedelta(days=3))

    made = export(ExportFilter(since=today, until=today), by=Actor.of(world.ada))

    assert "office hours" not in _notes(made)
    assert "alice's phone" in _notes(made)


def test_the_manifest_and_each_row_can_be_checked_by_the_monitor(world, trail):
    made = export(ExportFilter(), by=Actor.of(world.ada))
    manifest = made.manifest

    records = list(lines(made.files["audit.jsonl"]))
    assert manifest["rows"] == len(records) == AuditEvent.objects.count() - 1  # not the export
    for name, data in made.files.items():
        assert manifest["files"][name]["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["chain"]["verified"] is True
    # What a monitor does with no access to us: recompute each row's hash and follow the links.
    previous = audit.GENESIS
    for record in records:
        fields = {k: v for k, v in record.items() if k not in ("prev_hash", "row_hash")}
        assert record["prev_hash"] == previous
        assert audit.chained_hash(previous, fields) == record["row_hash"]
        previous = record["row_hash"]
    rows = list(csv.DictReader(io.StringIO(made.files["audit.csv"].decode())))
    assert [int(r["seq"]) for r in rows] == [r["seq"] for r in records]
    assert json.loads(rows[0]["after"]) == records[0]["after"]


def test_the_export_is_audited_and_a_broken_chain_is_said(world, trail):
    AuditEvent.objects.filter(pk=trail["alice"].pk).update(note="edited")

    made = export(ExportFilter(), by=Actor.of(world.ada))

    assert made.manifest["chain"]["verified"] is False
    assert "edited" in made.manifest["chain"]["problem"]
    exported = AuditEvent.objects.get(kind=AuditKind.EXPORTED)
    assert exported.actor == world.ada
    assert exported.after["rows"] == made.manifest["rows"]


def test_the_command_writes_the_three_files(world, trail, tmp_path):
    out = io.StringIO()
    call_command(
        "export_audit", "--out", str(tmp_path), "--agency", world.office.agency.code, stdout=out
    )

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "audit.csv",
        "audit.jsonl",
        "manifest.json",
    ]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["filters"]["agency"] == world.office.agency.code
    assert "(verified)" in out.getvalue()


def test_administrators_download_the_zip_and_no_one_else(world, trail, client):
    url = reverse("admin:helpdesk_auditevent_export")
    client.force_login(world.ada)

    page = client.get(url)
    download = client.post(url, {"agency": world.office.agency.pk})

    assert page.status_code == 200
    assert download["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert sorted(names) == ["audit.csv", "audit.jsonl", "manifest.json"]
    client.force_login(world.hannah)  # help desk staff: the admin, but not an administrator
    assert client.post(url, {}).status_code in (302, 403)


def test_a_bad_filter_is_said_on_the_page(world, client):
    client.force_login(world.ada)
    today = timezone.localdate()

    response = client.post(
        reverse("admin:helpdesk_auditevent_export"),
        {"person": "nobody@example.org", "since": today, "until": today - timedelta(days=1)},
    )

    text = response.content.decode()
    assert "No one in the directory has that address." in text
    assert "The end date is before the start date." in text
