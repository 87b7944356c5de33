"""The audit trail's hash chain: every row written through ``audit.record`` joins it; an edit,
a deletion, a row put in around the path, or a rewrite since an exported head is named by
``verify`` and makes ``manage.py verify_audit`` exit 1."""

import io
import json
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction

from helpdesk import audit
from helpdesk.actor import Actor
from helpdesk.lib.schedules import worker_schedules
from helpdesk.models import AuditChainHead, AuditEvent, AuditKind, Office

pytestmark = pytest.mark.django_db

chain_existing_rows = import_module("helpdesk.migrations.0025_audit_hash_chain").chain_existing_rows


def _write(world, count: int) -> list[AuditEvent]:
    by = Actor.of(world.hannah)
    return [
        audit.record(
            AuditKind.CHANGED,
            actor=by,
            target=world.office,
            before={"phone": f"217-555-{n:04d}"},
            after={"phone": f"217-555-{n + 1:04d}", "names": ["Zoë", "Łukasz"]},
            note=f"change {n}",
        )
        for n in range(count)
    ]


def _verify_command(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", "--no-heads", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), err.getvalue()
    return 0, out.getvalue()


def test_rows_written_by_record_form_an_intact_chain(world):
    before = AuditEvent.objects.count()  # the world's own setup is audited too
    rows = _write(world, 5)

    check = audit.verify()

    assert check.intact, check.problem
    assert check.rows == before + 5
    assert [r.seq for r in rows] == list(range(before + 1, before + 6))
    assert rows[1].prev_hash == rows[0].row_hash
    head = AuditChainHead.objects.get()
    assert (head.seq, head.head_hash) == (rows[-1].seq, rows[-1].row_hash)
    code, said = _verify_command()
    assert code == 0
    assert f"Audit chain intact: {before + 5} rows" in said


def test_an_edited_row_is_named(world):
    rows = _write(world, 4)
    AuditEvent.objects.filter(pk=rows[2].pk).update(note="nothing to see here")

    check = audit.verify()

    assert (check.row_id, check.intact) == (rows[2].pk, False)
    assert "edited" in check.problem
    code, said = _verify_command()
    assert code == 1
    assert f"BROKEN at row {rows[2].pk}" in said


@pytest.mark.parametrize(
    "change",
    [
        {"after": {"phone": "555-0000"}},
        {"actor_label": "someone else"},
        {"kind": AuditKind.DELETED},
        {"target_id": "999"},
    ],
)
def test_any_field_a_reader_relies_on_is_covered(world, change):
    rows = _write(world, 2)
    AuditEvent.objects.filter(pk=rows[0].pk).update(**change)

    assert audit.verify().row_id == rows[0].pk


def test_a_removed_row_in_the_middle_is_named_at_the_next_one(world):
    rows = _write(world, 4)
    rows[1].delete()

    check = audit.verify()

    assert check.row_id == rows[2].pk
    assert "removed" in check.problem


def test_rows_removed_at_the_end_are_found_by_the_head(world):
    rows = _write(world, 3)
    AuditEvent.objects.filter(pk__in=[rows[1].pk, rows[2].pk]).delete()

    check = audit.verify()

    assert not check.intact
    assert check.row_id is None
    assert "removed at the end" in check.problem


def test_a_row_written_around_the_audit_path_is_named(world):
    _write(world, 2)
    slipped = AuditEvent.objects.create(
        actor_label="mallory",
        kind=AuditKind.CHANGED,
        target_type=ContentType.objects.get_for_model(Office),
        target_id=str(world.office.pk),
        target_repr="forged",
    )

    check = audit.verify()

    assert check.row_id == slipped.pk
    assert "not in the chain" in check.problem


def test_two_rows_swapped_break_the_links(world):
    rows = _write(world, 3)
    first, second = rows[0], rows[1]
    AuditEvent.objects.filter(pk=first.pk).update(seq=10_000)
    AuditEvent.objects.filter(pk=second.pk).update(seq=first.seq)
    AuditEvent.objects.filter(pk=first.pk).update(seq=second.seq)

    assert not audit.verify().intact


def test_a_rewrite_since_an_exported_head_is_found_with_the_head(world, tmp_path):
    rows = _write(world, 3)
    exported = audit.export_head(tmp_path)
    assert json.loads(exported.read_text())["seq"] == rows[-1].seq
    # Someone with the database edits a row and recomputes every hash after it, and the head.
    victim = AuditEvent.objects.get(pk=rows[1].pk)
    victim.note = "rewritten"
    _rechain_from(victim.seq)

    assert audit.verify().intact  # the chain alone cannot tell
    check = audit.verify(audit.read_heads(tmp_path))
    assert check.row_id == rows[-1].pk
    assert "rewritten since" in check.problem
    code, said = _verify_command_with_heads(tmp_path)
    assert code == 1
    assert "rewritten since" in said


def _verify_command_with_heads(folder) -> tuple[int, str]:
    err = io.StringIO()
    try:
        call_command("verify_audit", "--heads", str(folder), stdout=io.StringIO(), stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), err.getvalue()
    return 0, ""


def _rechain_from(seq: int) -> None:
    previous = AuditEvent.objects.get(seq=seq - 1).row_hash if seq > 1 else audit.GENESIS
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        if event.seq == seq:
            event.note = "rewritten"
        event.prev_hash = previous
        event.row_hash = audit.row_hash(event)
        event.save()
        previous = event.row_hash
    AuditChainHead.objects.update(head_hash=previous)


def test_a_rolled_back_write_leaves_no_gap(world):
    _write(world, 1)

    def fails_after_auditing() -> None:
        with transaction.atomic():
            _write(world, 2)
            raise RuntimeError("the service failed after auditing")

    with pytest.raises(RuntimeError):
        fails_after_auditing()
    _write(world, 1)

    assert audit.verify().intact


def test_rows_from_before_the_chain_join_it_in_the_order_written(world):
    _write(world, 2)
    AuditEvent.objects.update(seq=None, prev_hash="", row_hash="")
    AuditChainHead.objects.all().delete()
    assert not audit.verify().intact

    chain_existing_rows(apps, None)

    assert audit.verify().intact
    _write(world, 1)  # and the chain goes on from there
    assert audit.verify().intact


def test_the_head_is_exported_every_day_by_the_worker(world, settings, tmp_path):
    settings.AUDIT_HEADS_DIR = tmp_path
    rows = _write(world, 1)
    schedule = worker_schedules.get("Audit chain head")

    assert schedule is not None
    assert (schedule.func, schedule.minutes) == ("helpdesk.audit.export_todays_head", 1440)
    written = Path(audit.export_todays_head())
    assert written.parent == tmp_path
    assert json.loads(written.read_text()) | {"exported_at": ""} == {
        "seq": rows[0].seq,
        "hash": rows[0].row_hash,
        "exported_at": "",
    }


def test_a_row_removed_and_the_rest_renumbered_breaks_the_link(world):
    """Each later row moved up one place and its own hash made anew still quotes the removed
    row's hash as the one before it."""
    rows = _write(world, 4)
    rows[1].delete()
    for event in AuditEvent.objects.filter(seq__gt=rows[1].seq).order_by("seq"):
        event.seq -= 1
        event.row_hash = audit.row_hash(event)
        event.save()
    AuditChainHead.objects.update(seq=rows[-1].seq - 1)

    check = audit.verify()

    assert check.row_id == rows[2].pk
    assert "does not match the row before it" in check.problem


def test_deleting_a_login_keeps_the_chain(world):
    """The audit row keeps who acted by name; the login's id, which a deletion empties, is not
    part of the hash."""
    from tests.factories import UserFactory

    temp = UserFactory(username="temp.staff")
    audit.record(AuditKind.CHANGED, actor=Actor.of(temp), target=world.office, note="by temp")
    temp.delete()

    assert AuditEvent.objects.get(note="by temp").actor_id is None
    assert audit.verify().intact
