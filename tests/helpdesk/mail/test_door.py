"""The MTA pipe's fast door (``scripts/ingest-mail``, ``helpdesk.mail.door``): the message is on
disk, whole, before it exits 0; the worker's next pass files it; no Django is loaded."""

import json
import subprocess
import sys
from pathlib import Path

from helpdesk.mail import door, mailbox
from helpdesk.models import InboundMessage, InboundSource, Outcome
from tests.helpdesk.mail.messages import email_bytes

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "ingest-mail"


def _run(raw: bytes, drop_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-X", "importtime", str(SCRIPT), *args],
        input=raw,
        capture_output=True,
        env={"MAIL_DROP_DIR": str(drop_dir), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_the_door_keeps_the_message_whole_and_the_worker_files_it(world, settings, tmp_path):
    settings.MAIL_DROP_DIR = tmp_path
    raw = email_bytes(message_id="<door-1@example.org>")

    done = _run(raw, tmp_path)

    assert done.returncode == 0, done.stderr.decode()[-2000:]
    said = json.loads(done.stdout.decode())
    assert said["outcome"] == "queued"
    assert (tmp_path / said["file"]).read_bytes() == raw
    assert list((tmp_path / "tmp").iterdir()) == []  # nothing half-written left behind
    report = mailbox.poll()
    assert report.outcomes == {Outcome.TICKET_CREATED: 1}
    stored = InboundMessage.objects.get(message_id="<door-1@example.org>")
    assert (stored.raw_bytes, stored.source) == (raw, InboundSource.DROP)


def test_the_door_loads_no_django(tmp_path):
    done = _run(email_bytes(), tmp_path)

    assert done.returncode == 0
    imported = [line.split("|")[-1].strip() for line in done.stderr.decode().splitlines()]
    assert "helpdesk.mail.door" in imported
    assert not [name for name in imported if name.split(".")[0] == "django"]


def test_a_folder_that_cannot_be_written_is_a_temporary_failure(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the drop folder should be")

    done = _run(email_bytes(), blocked)

    assert done.returncode == door.EX_TEMPFAIL  # the mail server keeps it and retries
    assert json.loads(done.stdout.decode())["outcome"] == "not_stored"


def test_messages_are_taken_in_the_order_they_came_and_half_written_ones_never(
    world, settings, tmp_path
):
    settings.MAIL_DROP_DIR = tmp_path
    first = door.drop(email_bytes(message_id="<first@example.org>"), tmp_path)
    second = door.drop(email_bytes(message_id="<second@example.org>"), tmp_path)
    (tmp_path / "tmp" / "00000000000000000000-1-partial.eml").write_bytes(b"From: half")

    assert first.name < second.name
    assert mailbox.poll().stored == 2
    order = InboundMessage.objects.order_by("pk").values_list("message_id", flat=True)
    assert list(order) == ["<first@example.org>", "<second@example.org>"]
    assert [p.name for p in (tmp_path / "tmp").iterdir()] == ["00000000000000000000-1-partial.eml"]


def test_the_drop_folder_is_drained_when_imap_is_configured_too(
    world, settings, tmp_path, monkeypatch
):
    settings.MAIL_DROP_DIR = tmp_path
    settings.IMAP = {**settings.IMAP, "host": "imap.example.org"}
    from_imap = mailbox.PassReport(stored=1, outcomes={Outcome.DUPLICATE: 1})
    monkeypatch.setattr(mailbox, "poll_imap", lambda: from_imap)
    door.drop(email_bytes(), tmp_path)

    report = mailbox.poll()

    assert report.stored == 2
    assert report.outcomes == {Outcome.TICKET_CREATED: 1, Outcome.DUPLICATE: 1}
