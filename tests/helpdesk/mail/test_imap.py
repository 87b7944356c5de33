"""The IMAP door end to end, against a real Dovecot (tests/helpdesk/mail/conftest.py): messages
appended to INBOX become tickets and are flagged (or moved) only once stored; the first poll
of a full mailbox is quiet; a poller killed with SIGKILL mid-batch and restarted, or two
pollers at once, import each message exactly once; a database outage leaves the mail on the
server; one bad message never blocks the rest.

The in-process tests run the poller in the test's own (transactional) database with the
``world`` personas; the process tests run ``manage.py poll_mailbox`` against a database of
its own (SQLite file, or PostgreSQL when the suite runs on it) seeded with the same personas.
"""

import json
import os
import signal
import time
from datetime import timedelta
from email.utils import make_msgid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DataError, OperationalError
from django.utils import timezone

from helpdesk.mail import intake, mailbox
from helpdesk.models import InboundMessage, InboundStatus, Outcome, QuarantineReason, Ticket
from tests.helpdesk.mail.conftest import IMPORTED, SEEN, _free_port
from tests.helpdesk.mail.messages import email_bytes

transactional = pytest.mark.django_db(transaction=True)  # the poller commits, then flags


def _forms(count: int, prefix: str = "problem") -> tuple[list[str], list[bytes]]:
    ids = [make_msgid(idstring=f"{prefix}{n}", domain="example.org") for n in range(count)]
    raws = [
        email_bytes(subject=f"CCMS: {prefix} {n}", message_id=message_id)
        for n, message_id in enumerate(ids)
    ]
    return ids, raws


def _an_hour_ago():
    return timezone.now() - timedelta(hours=1)


def _imported(flags: set[bytes]) -> bool:
    return {IMPORTED, SEEN} <= flags


# --- In process: the poller in the test's database --------------------------------------------


@transactional
def test_messages_appended_to_inbox_become_tickets_flagged_only_once_stored(
    world, dovecot, imap_config, settings, monkeypatch
):
    settings.IMAP = imap_config
    ids, raws = _forms(3)
    uids = dovecot.append(*raws)
    at_store = {}
    real_store = intake.store

    def watched_store(raw, **where):
        before = dovecot.flags()[where["uid"]]
        stored = real_store(raw, **where)
        committed = InboundMessage.objects.filter(pk=stored.pk).exists()
        at_store[where["uid"]] = (before, committed, dovecot.flags()[where["uid"]])
        return stored

    monkeypatch.setattr(intake, "store", watched_store)

    report = mailbox.poll()

    assert report.as_json() == {
        "stored": 3,
        "already_stored": 0,
        "outcomes": {"ticket_created": 3},
        "errors": [],
    }
    # Unflagged while being stored, and still unflagged once the row was committed...
    assert at_store == {uid: (set(), True, set()) for uid in uids}
    # ...and flagged, imported and seen, only after.
    assert all(_imported(flags) for flags in dovecot.flags().values())
    for uid, message_id in zip(uids, ids, strict=True):
        inbound = InboundMessage.objects.get(message_id=message_id)
        assert (inbound.source, inbound.uid, inbound.status) == ("imap", uid, "processed")
        assert inbound.outcome == Outcome.TICKET_CREATED
        assert inbound.raw_bytes == raws[uids.index(uid)].replace(b"\n", b"\r\n")  # as served
        assert inbound.ticket.office == world.office
        assert inbound.ticket.local_expert == world.pat
        assert inbound.ticket.source == "email"

    again = mailbox.poll()

    assert (again.stored, again.already_stored, again.outcomes) == (0, 0, {})
    assert InboundMessage.objects.count() == 3
    assert Ticket.objects.count() == 3


@transactional
@pytest.mark.parametrize("create_folder", [True, False], ids=["folder-exists", "folder-missing"])
def test_with_a_processed_folder_messages_are_moved_there(
    world, dovecot, imap_config, settings, create_folder
):
    settings.IMAP = {**imap_config, "processed_folder": "Processed"}
    if create_folder:
        with dovecot.client() as client:
            client.create_folder("Processed")
    ids, raws = _forms(3)
    dovecot.append(*raws)
    out = StringIO()

    call_command("poll_mailbox", stdout=out)

    assert json.loads(out.getvalue())["outcomes"] == {"ticket_created": 3}
    assert dovecot.flags("INBOX") == {}
    assert sorted(dovecot.message_ids("Processed").values()) == sorted(ids)
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {"ticket_created"}

    out = StringIO()
    call_command("poll_mailbox", stdout=out)

    assert json.loads(out.getvalue())["stored"] == 0
    assert Ticket.objects.count() == 3


@transactional
def test_the_first_poll_of_a_full_mailbox_is_quiet_and_later_mail_is_acknowledged(
    world, dovecot, imap_config, settings, mailoutbox
):
    settings.IMAP = imap_config
    _ids, raws = _forms(4, "backlog")
    dovecot.append(*raws, msg_time=_an_hour_ago())

    first = mailbox.poll()

    assert first.outcomes == {"ticket_created": 4}
    assert list(InboundMessage.objects.values_list("quiet", flat=True)) == [True] * 4
    assert mailoutbox == []
    for ticket in Ticket.objects.all():
        note = ticket.events.get(kind="email_received").note
        assert "No automatic acknowledgement" in note

    [new_uid] = dovecot.append(email_bytes(subject="CCMS: a new problem", message_id="<new@x>"))
    later = mailbox.poll()

    assert later.outcomes == {"ticket_created": 1}
    new = InboundMessage.objects.get(uid=new_uid)
    assert new.quiet is False
    ack = next(m for m in mailoutbox if m.to == ["pat@example.org"])  # a copy per recipient
    assert new.ticket.tracking_number in ack.subject
    assert ack.extra_headers["In-Reply-To"] == "<new@x>"


@transactional
def test_a_first_poll_that_dies_half_way_leaves_the_rest_of_the_backlog_quiet(
    world, dovecot, imap_config, settings, mailoutbox, monkeypatch
):
    settings.IMAP = {**imap_config, "batch_size": 2}
    _ids, raws = _forms(5, "backlog")
    uids = dovecot.append(*raws, msg_time=_an_hour_ago())
    real_mark = mailbox._mark_imported
    marked = []

    def dropping_connection(client, uid, config):
        if len(marked) == 2:
            raise ConnectionResetError("the IMAP connection dropped")
        marked.append(uid)
        real_mark(client, uid, config)

    monkeypatch.setattr(mailbox, "_mark_imported", dropping_connection)
    with pytest.raises(ConnectionResetError):
        mailbox.poll()
    monkeypatch.undo()

    # The third was stored, its flag never set: stored, never neither.
    assert sorted(InboundMessage.objects.values_list("uid", flat=True)) == uids[:3]
    assert [uid for uid, flags in dovecot.flags().items() if _imported(flags)] == uids[:2]

    restarted = mailbox.poll()

    assert (restarted.stored, restarted.already_stored) == (2, 1)
    assert restarted.outcomes == {"ticket_created": 3}  # two new, and the one left pending
    assert all(_imported(flags) for flags in dovecot.flags().values())
    assert list(InboundMessage.objects.values_list("quiet", flat=True)) == [True] * 5
    assert mailoutbox == []


@transactional
def test_the_database_going_away_mid_pass_stops_it_and_leaves_the_rest_on_the_server(
    world, dovecot, imap_config, settings, monkeypatch
):
    settings.IMAP = imap_config
    _ids, raws = _forms(4)
    uids = dovecot.append(*raws)
    real_store = intake.store
    tried = []

    def failing_store(raw, **where):
        tried.append(where["uid"])
        if len(tried) > 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real_store(raw, **where)

    monkeypatch.setattr(intake, "store", failing_store)

    report = mailbox.poll_imap()

    assert report.stored == 2
    assert report.errors == [f"UID {uids[2]}: OperationalError"]
    assert tried == uids[:3]  # stopped: the fourth was not even tried
    flags = dovecot.flags()
    assert [uid for uid in uids if _imported(flags[uid])] == uids[:2]
    assert flags[uids[2]] == flags[uids[3]] == set()


@transactional
def test_one_bad_message_does_not_block_the_rest(world, dovecot, imap_config, settings):
    settings.IMAP = imap_config
    ids, (good_a, good_b) = _forms(2)
    garbage = b"\xff\xfe\x00\x01 not mail at all \x80\x81\r\n\x00\x00\r\n"
    broken_mime = (
        b"From: pat@example.org\r\nSubject: broken\r\nMessage-ID: <broken@example.org>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n--\r\n\xff\xfe\r\n"
    )
    uids = dovecot.append(good_a, garbage, broken_mime, good_b)

    report = mailbox.poll()

    assert report.stored == 4
    assert report.errors == []
    by_uid = {m.uid: m for m in InboundMessage.objects.all()}
    assert by_uid[uids[0]].outcome == by_uid[uids[3]].outcome == Outcome.TICKET_CREATED
    assert by_uid[uids[1]].outcome == Outcome.QUARANTINED
    # No headers: its text is kept for a person to read, but nobody is known to have sent it.
    assert by_uid[uids[1]].quarantine_reason == QuarantineReason.NO_SENDER
    assert by_uid[uids[2]].status == InboundStatus.PROCESSED  # whatever it made of it
    assert all(_imported(flags) for flags in dovecot.flags().values())


@transactional
def test_a_message_the_database_refuses_stays_on_the_server_and_the_rest_go_on(
    world, dovecot, imap_config, settings, monkeypatch
):
    settings.IMAP = imap_config
    _ids, raws = _forms(3)
    uids = dovecot.append(*raws)
    real_store = intake.store

    def refusing_store(raw, **where):
        if where["uid"] == uids[1]:
            raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        return real_store(raw, **where)

    monkeypatch.setattr(intake, "store", refusing_store)

    report = mailbox.poll()

    assert report.stored == 2
    assert report.errors == [f"UID {uids[1]}: DataError"]
    flags = dovecot.flags()
    assert _imported(flags[uids[0]])
    assert _imported(flags[uids[2]])
    assert flags[uids[1]] == set()  # left for the next pass, not lost

    monkeypatch.undo()
    settings.IMAP = imap_config
    assert mailbox.poll().stored == 1
    assert all(_imported(flags) for flags in dovecot.flags().values())


@pytest.mark.django_db
def test_the_drop_folder_also_goes_on_past_a_file_the_database_refuses(
    world, settings, tmp_path, monkeypatch
):
    """The same rule at the other door the poller opens (no Dovecot needed)."""
    settings.IMAP = {**settings.IMAP, "host": ""}
    settings.MAIL_DROP_DIR = tmp_path
    _ids, (refused, good) = _forms(2)
    (tmp_path / "a-refused.eml").write_bytes(refused)
    (tmp_path / "b-good.eml").write_bytes(good)
    real_store = intake.store

    def refusing_store(raw, **where):
        if raw == refused:
            raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        return real_store(raw, **where)

    monkeypatch.setattr(intake, "store", refusing_store)

    report = mailbox.poll()

    assert report.outcomes == {"ticket_created": 1}
    assert report.errors == ["a-refused.eml: DataError"]
    assert [p.name for p in tmp_path.glob("*.eml")] == ["a-refused.eml"]  # given back


# --- manage.py poll_mailbox as a real process ---------------------------------------------------


def _wait_until(condition, seconds: float = 30, every: float = 0.005) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(every)


def _assert_each_imported_exactly_once(poller, dovecot, ids: list[str]) -> None:
    rows = poller.db.inbound()
    assert sorted(message_id for message_id, *_ in rows) == sorted(ids)  # once each
    assert {(status, outcome) for _, status, outcome, _, _ in rows} == {
        ("processed", "ticket_created")
    }
    assert all(quiet for _, _, _, quiet, _ in rows)  # all backlog: nobody was flooded
    assert poller.db.count("helpdesk_ticket") == len(ids)


def test_a_poller_killed_mid_batch_and_restarted_imports_each_message_exactly_once(dovecot, poller):
    ids, raws = _forms(30)
    dovecot.append(*raws, msg_time=_an_hour_ago())
    id_of_uid = dovecot.message_ids()

    for kill_after in (3, 12):  # killed twice, at different points
        process = poller.start(IMAP_BATCH_SIZE="1")
        _wait_until(
            lambda n=kill_after, p=process: (
                poller.db.count("helpdesk_inboundmessage") >= n or p.poll() is not None
            )
        )
        os.kill(process.pid, signal.SIGKILL)
        process.communicate()
        assert process.returncode == -signal.SIGKILL, "the poller finished before the kill"
        # Never neither: a message flagged on the server is a message stored.
        stored = {message_id for message_id, *_ in poller.db.inbound()}
        flagged = {id_of_uid[uid] for uid, flags in dovecot.flags().items() if IMPORTED in flags}
        assert flagged <= stored
        assert len(stored) < len(ids)

    finished = poller.run(IMAP_BATCH_SIZE="1")

    assert finished.returncode == 0, finished.stderr
    _assert_each_imported_exactly_once(poller, dovecot, ids)
    assert all(_imported(flags) for flags in dovecot.flags().values())


@pytest.mark.parametrize("processed_folder", ["", "Processed"], ids=["flag", "move"])
def test_two_pollers_at_once_import_each_message_exactly_once(dovecot, poller, processed_folder):
    ids, raws = _forms(12)
    dovecot.append(*raws, msg_time=_an_hour_ago())
    environ = {"IMAP_BATCH_SIZE": "1", "IMAP_PROCESSED_FOLDER": processed_folder}

    processes = [poller.start(**environ), poller.start(**environ)]
    outputs = [process.communicate(timeout=60) for process in processes]

    for process, (_stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    reports = [json.loads(stdout.splitlines()[-1]) for stdout, _ in outputs]
    assert sum(report["stored"] for report in reports) == len(ids)
    _assert_each_imported_exactly_once(poller, dovecot, ids)
    if processed_folder:
        assert dovecot.flags("INBOX") == {}
        # Two sessions can MOVE the same message at the same instant, and Dovecot then copies
        # it twice: the archive may hold a message twice; the database never does.
        assert set(dovecot.message_ids("Processed").values()) == set(ids)
    else:
        assert all(_imported(flags) for flags in dovecot.flags().values())


def test_a_database_outage_leaves_every_message_on_the_server(dovecot, poller, tmp_path):
    ids, raws = _forms(3)
    uids = dovecot.append(*raws, msg_time=_an_hour_ago())
    unreachable = [
        f"postgres://postgres@127.0.0.1:{_free_port()}/ccap",  # nothing listens there
        f"sqlite:///{tmp_path / 'no-such-directory' / 'ccap.db'}",
    ]

    for url in unreachable:
        down = poller.run(DATABASE_URL=url)

        assert down.returncode != 0
        assert json.loads(down.stdout.splitlines()[-1])["errors"], down.stderr
        assert dovecot.flags() == {uid: set() for uid in uids}  # not flagged, not even seen

    back = poller.run()  # the database is back: everything comes in

    assert back.returncode == 0, back.stderr
    _assert_each_imported_exactly_once(poller, dovecot, ids)
