"""The doors into the pipeline: ``ingest_mail`` (its exact contract), the drop folder,
``poll_mailbox`` without IMAP, ``reprocess_mail``, and the worker's schedule."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django_q.models import Schedule

from helpdesk.lib.schedules import ensure_schedules
from helpdesk.mail import handlers, intake, mailbox
from helpdesk.models import InboundMessage, InboundSource, InboundStatus, Outcome, Ticket
from tests.helpdesk.mail.messages import email_bytes

BASE_DIR = Path(__file__).resolve().parents[3]


def _ingest_command(monkeypatch, raw: bytes, *args) -> tuple[int | str | None, dict]:
    out = io.StringIO()
    if not args:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    code: int | str | None
    try:
        call_command("ingest_mail", *args, stdout=out)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1  # exactly one JSON line, whatever happened
    return code, json.loads(lines[0])


def test_ingest_mail_reads_stdin_and_prints_one_json_line(world, monkeypatch):
    code, line = _ingest_command(monkeypatch, email_bytes(message_id="<pipe@example.org>"))

    ticket = Ticket.objects.get()
    assert code == 0
    assert line == {
        "message_id": "<pipe@example.org>",
        "outcome": "ticket_created",
        "ticket": ticket.tracking_number,
    }
    assert InboundMessage.objects.get().source == InboundSource.PIPE


def test_ingest_mail_reads_a_file(world, monkeypatch, tmp_path):
    path = tmp_path / "message.eml"
    path.write_bytes(email_bytes(sender="alice@example.org"))

    code, line = _ingest_command(monkeypatch, b"", str(path))

    assert code == 0
    assert line["outcome"] == "quarantined"
    assert line["ticket"] is None


def test_ingest_mail_exits_0_once_stored_even_when_processing_fails(world, monkeypatch):
    handlers.mail_handlers.register(handlers.MailHandler("broken", lambda *a: 1 / 0))
    try:
        code, line = _ingest_command(monkeypatch, email_bytes())
    finally:
        handlers.mail_handlers.unregister("broken")

    assert code == 0
    assert line["outcome"] == "failed"
    assert InboundMessage.objects.get().status == InboundStatus.FAILED


def test_ingest_mail_exits_75_when_the_message_cannot_be_stored(world, monkeypatch):
    def database_down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(intake, "store", database_down)

    code, line = _ingest_command(monkeypatch, email_bytes())

    assert code == 75
    assert line["outcome"] == "not_stored"
    assert "OperationalError" in line["error"]


def test_ingest_mail_exits_75_with_no_database_at_all(tmp_path):
    """A real process with an unreachable database, as the MTA would run it."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path}/missing-dir/db.sqlite3",
        "REDIS_URL": "",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "ingest_mail", "-"],
        input=email_bytes(),
        capture_output=True,
        cwd=BASE_DIR,
        env=env,
        timeout=60,
        check=False,
    )

    assert done.returncode == 75, done.stderr.decode()
    assert json.loads(done.stdout.decode().strip().splitlines()[-1])["outcome"] == "not_stored"


def test_the_drop_folder_ingests_eml_files_and_moves_them(world, settings, tmp_path):
    settings.MAIL_DROP_DIR = tmp_path
    (tmp_path / "one.eml").write_bytes(email_bytes())
    (tmp_path / "two.eml").write_bytes(email_bytes(sender="alice@example.org"))
    (tmp_path / "notes.txt").write_text("not mail")

    report = mailbox.poll()

    assert report.stored == 2
    assert report.outcomes == {"ticket_created": 1, "quarantined": 1}
    assert sorted(p.name for p in tmp_path.glob("*")) == ["imported", "notes.txt"]
    assert len(list((tmp_path / "imported").glob("*.eml"))) == 2
    assert set(InboundMessage.objects.values_list("source", flat=True)) == {InboundSource.DROP}
    assert mailbox.poll().stored == 0


def test_a_file_left_claimed_by_a_dead_worker_is_taken_back(world, settings, tmp_path):
    settings.MAIL_DROP_DIR = tmp_path
    claimed = tmp_path / "one.eml.999.claimed"
    claimed.write_bytes(email_bytes())
    os.utime(claimed, (0, 0))  # claimed long ago

    assert mailbox.poll().stored == 1


def test_the_drop_folder_gives_a_file_back_when_the_database_is_down(
    world, settings, tmp_path, monkeypatch
):
    settings.MAIL_DROP_DIR = tmp_path
    (tmp_path / "one.eml").write_bytes(email_bytes())
    monkeypatch.setattr(
        intake, "store", lambda *a, **k: (_ for _ in ()).throw(OperationalError("down"))
    )

    report = mailbox.poll()

    assert report.errors
    assert [p.name for p in tmp_path.glob("*.eml")] == ["one.eml"]


def test_poll_mailbox_command_uses_the_drop_folder_without_imap(world, settings, tmp_path):
    settings.MAIL_DROP_DIR = tmp_path
    (tmp_path / "one.eml").write_bytes(email_bytes())
    out = io.StringIO()

    call_command("poll_mailbox", stdout=out)

    assert json.loads(out.getvalue())["outcomes"] == {"ticket_created": 1}


def test_reprocess_mail_command(world):
    handlers.mail_handlers.register(handlers.MailHandler("broken", lambda *a: 1 / 0))
    try:
        failed = intake.ingest(email_bytes(), source="pipe").inbound
    finally:
        handlers.mail_handlers.unregister("broken")
    out = io.StringIO()

    call_command("reprocess_mail", "--failed", stdout=out)

    assert json.loads(out.getvalue())["outcome"] == "ticket_created"
    failed.refresh_from_db()
    assert failed.outcome == Outcome.TICKET_CREATED
    with pytest.raises(CommandError):
        call_command("reprocess_mail")
    with pytest.raises(CommandError):
        call_command("reprocess_mail", "999999")


def test_the_worker_polls_the_mailbox_every_minute(db):
    ensure_schedules()

    schedule = Schedule.objects.get(name="Mail intake")
    assert schedule.func == "helpdesk.mail.tasks.poll_mail"
    assert schedule.minutes == 1


def test_a_message_id_with_control_characters_is_still_stored(world):
    raw = email_bytes(message_id=None, headers={"X-Test": "1"}).replace(
        b"X-Test: 1", b"Message-ID: <nul\x00\x01byte@example.org>"
    )

    stored = intake.store(raw, source="pipe")

    assert stored.message_id == "<nulbyte@example.org>"
    assert InboundMessage.objects.get(pk=stored.pk).raw_bytes == raw
