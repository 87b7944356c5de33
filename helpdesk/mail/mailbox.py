"""The doors the worker opens every minute: the IMAP mailbox when one is configured, and a drop
folder of ``.eml`` files (the embedded default's door, where ``helpdesk.mail.door`` leaves what
a mail server pipes to it).

IMAP: messages are fetched by UID with BODY.PEEK (reading does not mark them seen), each is
stored and committed, and only then flagged ``$CcapImported`` (or moved to the processed
folder). A poller killed at any point leaves every message either stored or still on the
server, never neither; on the next pass a stored-but-unflagged message meets the database's
unique (mailbox, UIDVALIDITY, UID) and is only flagged, and one stored-but-unprocessed is
processed. Two pollers at once race on the same unique row, so a message is imported once.
If the database is down nothing is flagged, and the pass stops with the mail left in place; a
single message the database refuses is left on the server (and reported) while the rest go on.

Mail that was already in the mailbox when it was first polled is backlog, imported without
automatic replies: everything the first pass finds, and anything whose INTERNALDATE is before
that first pass (so a first pass killed half way, or a second poller racing it, stays quiet).
"""

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError
from django.utils import timezone

from helpdesk.lib import heartbeats
from helpdesk.mail import intake
from helpdesk.models import InboundSource, MailboxState

if TYPE_CHECKING:
    from imapclient import IMAPClient

logger = logging.getLogger(__name__)

IMPORTED_FLAG = "$CcapImported"
_CLAIM_STALE_SECONDS = 600
# The database cannot be reached (as opposed to refusing one message): stop, leave the mail.
_DATABASE_DOWN = (OperationalError, InterfaceError)


@dataclass
class PassReport:
    stored: int = 0
    already_stored: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def count(self, result: intake.IntakeResult) -> None:
        self.outcomes[result.outcome] = self.outcomes.get(result.outcome, 0) + 1

    def add(self, other: "PassReport") -> None:
        self.stored += other.stored
        self.already_stored += other.already_stored
        for outcome, count in other.outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + count
        self.errors += other.errors

    def as_json(self) -> dict:
        return {
            "stored": self.stored,
            "already_stored": self.already_stored,
            "outcomes": self.outcomes,
            "errors": self.errors,
        }


def imap_configured() -> bool:
    return bool(settings.IMAP.get("host"))


def poll() -> PassReport:
    """One intake pass: the IMAP mailbox when configured, and the drop folder always (the
    embedded default's door, and the MTA pipe's: ``helpdesk.mail.door``); then anything left
    pending."""
    report = poll_drop_folder()
    if imap_configured():
        report.add(poll_imap())
    try:
        for result in intake.process_pending():
            report.count(result)
    except DatabaseError as error:
        logger.error("Mail intake: pending messages not processed (%s)", error)
        report.errors.append(f"processing pending messages: {type(error).__name__}")
    if not report.errors:
        try:
            heartbeats.beat(heartbeats.MAIL_POLL)  # /readyz: the age of the last good pass
        except DatabaseError as error:
            logger.error("Mail intake: the pass's heartbeat not recorded (%s)", error)
    return report


# --- IMAP ---------------------------------------------------------------------------------------


def poll_imap(config: dict[str, Any] | None = None) -> PassReport:
    from imapclient import IMAPClient

    config = {**settings.IMAP, **(config or {})}
    report = PassReport()
    mailbox = f"{config['username']}@{config['host']}/{config['folder']}"
    with IMAPClient(config["host"], port=config["port"], ssl=config["ssl"], timeout=60) as client:
        client.normalise_times = False  # INTERNALDATE with the server's offset, never naive
        client.login(config["username"], config["password"])
        selected = client.select_folder(config["folder"])
        uidvalidity = int(selected[b"UIDVALIDITY"])
        try:
            first_poll, backlog_before = _first_poll(mailbox, uidvalidity)
        except DatabaseError as error:
            return _database_down(report, "before fetching", error)
        processed_folder = config.get("processed_folder")
        if processed_folder:
            _ensure_folder(client, processed_folder)
        uids = client.search(["NOT", "KEYWORD", IMPORTED_FLAG])
        batch_size = max(1, int(config.get("batch_size") or 25))
        for start in range(0, len(uids), batch_size):
            batch = uids[start : start + batch_size]
            fetched = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
            for uid in batch:
                data = fetched.get(uid) or {}
                if data.get(b"BODY[]") is None:
                    # Expunged meanwhile (moved by another poller, say): Dovecot answers NIL
                    # for a message this session has not yet been told is gone.
                    continue
                internal_date = data.get(b"INTERNALDATE")
                quiet = first_poll or _backlog(internal_date, backlog_before)
                try:
                    stored = intake.store(
                        data[b"BODY[]"],
                        source=InboundSource.IMAP,
                        mailbox=mailbox,
                        uidvalidity=uidvalidity,
                        uid=uid,
                        quiet=quiet,
                    )
                except IntegrityError:
                    # Stored by an earlier pass that died before flagging, or by another
                    # poller: the row is committed, so the message only needs its flag.
                    report.already_stored += 1
                    _mark_imported(client, uid, config)
                    continue
                except _DATABASE_DOWN as error:
                    return _database_down(report, f"UID {uid}", error)
                except Exception as error:  # noqa: BLE001 - one bad message never blocks the rest
                    # The database refused this message (a DataError, say): it stays on the
                    # server, unflagged, reported on every pass until someone looks at it.
                    logger.exception("Mail intake: could not store UID %s; left on the server", uid)
                    report.errors.append(f"UID {uid}: {type(error).__name__}")
                    continue
                report.stored += 1
                _mark_imported(client, uid, config)
                report.count(intake.process(stored))
        try:
            MailboxState.objects.filter(mailbox=mailbox).update(last_polled_at=timezone.now())
        except DatabaseError as error:
            report.errors.append(f"mailbox state: {type(error).__name__}")
    return report


def _ensure_folder(client: "IMAPClient", folder: str) -> None:
    """The processed folder must exist, or every MOVE fails, for ever."""
    if client.folder_exists(folder):
        return
    try:
        client.create_folder(folder)
    except client.Error:
        if not client.folder_exists(folder):  # else another poller created it just now
            raise


def _database_down(report: PassReport, where: str, error: Exception) -> PassReport:
    logger.error("Mail intake: database unreachable %s (%s); mail left on the server", where, error)
    report.errors.append(f"{where}: {type(error).__name__}")
    return report


def _first_poll(mailbox: str, uidvalidity: int) -> tuple[bool, datetime]:
    """Whether this is the first pass over this mailbox (at this UIDVALIDITY), and when that
    first pass began: what was in the mailbox then is a backlog, imported without automatic
    replies to anyone."""
    state, created = MailboxState.objects.get_or_create(
        mailbox=mailbox, defaults={"uidvalidity": uidvalidity}
    )
    if not created and state.uidvalidity != uidvalidity:
        # The mailbox was recreated: UIDs start again, and what is in it now is a backlog.
        state.uidvalidity = uidvalidity
        state.first_polled_at = timezone.now()
        state.save(update_fields=["uidvalidity", "first_polled_at"])
        created = True
    # INTERNALDATE has whole seconds: mail from the first pass's own second is not backlog.
    return created, state.first_polled_at.replace(microsecond=0)


def _backlog(internal_date: datetime | None, backlog_before: datetime) -> bool:
    if internal_date is None:
        return False
    if timezone.is_naive(internal_date):
        internal_date = timezone.make_aware(internal_date)
    if internal_date < backlog_before:
        return True
    return internal_date < timezone.now() - timedelta(days=settings.MAIL_QUIET_AFTER_DAYS)


def _mark_imported(client: "IMAPClient", uid: int, config: dict[str, Any]) -> None:
    try:
        _flag_or_move(client, uid, config)
    except client.Error as error:
        # Gone meanwhile: another poller stored it too and moved it first (or a person deleted
        # it). It is stored, so there is nothing left to mark; anything else is a real error.
        if "EXPUNGEISSUED" in str(error).upper():
            return
        client.noop()
        if client.search(["UID", str(uid)]):
            raise


def _flag_or_move(client: "IMAPClient", uid: int, config: dict[str, Any]) -> None:
    folder = config.get("processed_folder")
    if folder:
        if client.has_capability("MOVE"):
            client.move([uid], folder)
        else:
            client.copy([uid], folder)
            client.add_flags([uid], [b"\\Deleted"])
            client.uid_expunge([uid]) if client.has_capability("UIDPLUS") else client.expunge()
    else:
        client.add_flags([uid], [IMPORTED_FLAG.encode(), b"\\Seen"])


# --- Drop folder --------------------------------------------------------------------------------


def poll_drop_folder(folder: Path | None = None) -> PassReport:
    """Ingest every ``*.eml`` in the folder. A file is claimed by renaming it (atomic, so two
    workers never take the same one), stored, then moved to ``imported/``; a claim left by a
    worker that died is taken back after ten minutes."""
    folder = Path(folder or settings.MAIL_DROP_DIR)
    report = PassReport()
    if not folder.is_dir():
        return report
    done = folder / "imported"
    done.mkdir(exist_ok=True)
    for path in sorted(folder.glob("*.eml")) + _stale_claims(folder):
        claimed = path.with_name(f"{path.name.split('.eml')[0]}.eml.{os.getpid()}.claimed")
        try:
            path.rename(claimed)
        except OSError:
            continue  # another worker claimed it first
        try:
            stored = intake.store(claimed.read_bytes(), source=InboundSource.DROP)
        except _DATABASE_DOWN as error:
            claimed.rename(path)  # give it back: it is tried again on the next pass
            return _database_down(report, path.name, error)
        except DatabaseError as error:
            # This one file the database refuses (a DataError, say): give it back, go on.
            logger.exception("Mail intake: could not store %s; left in the folder", path.name)
            claimed.rename(path)
            report.errors.append(f"{path.name}: {type(error).__name__}")
            continue
        report.stored += 1
        claimed.rename(done / f"{stored.pk:08d}-{path.name.split('.eml')[0]}.eml")
        report.count(intake.process(stored))
    return report


def _stale_claims(folder: Path) -> list[Path]:
    cutoff = time.time() - _CLAIM_STALE_SECONDS
    return [p for p in sorted(folder.glob("*.claimed")) if p.stat().st_mtime < cutoff]
