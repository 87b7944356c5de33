"""The two doors the worker opens every minute: the IMAP mailbox, or, with no IMAP configured
(the embedded default), a drop folder of ``.eml`` files.

IMAP: messages are fetched by UID with BODY.PEEK (reading does not mark them seen), each is
stored and committed, and only then flagged ``$CcapImported`` (or moved to the processed
folder). A poller killed at any point leaves every message either stored or still on the
server, never neither; on the next pass a stored-but-unflagged message meets the database's
unique (mailbox, UIDVALIDITY, UID) and is only flagged, and one stored-but-unprocessed is
processed. Two pollers at once race on the same unique row, so a message is imported once.
If the database is down nothing is flagged, and the pass stops with the mail left in place.
"""

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, IntegrityError
from django.utils import timezone

from helpdesk.models import InboundMessage, InboundSource, MailboxState
from helpdesk.services import intake

logger = logging.getLogger(__name__)

IMPORTED_FLAG = "$CcapImported"
_CLAIM_STALE_SECONDS = 600


@dataclass
class PassReport:
    stored: int = 0
    already_stored: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def count(self, result: intake.IntakeResult) -> None:
        self.outcomes[result.outcome] = self.outcomes.get(result.outcome, 0) + 1

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
    """One intake pass through whichever door is configured, then anything left pending."""
    report = poll_imap() if imap_configured() else poll_drop_folder()
    for result in intake.process_pending():
        report.count(result)
    return report


# --- IMAP ---------------------------------------------------------------------------------------


def poll_imap(config: dict | None = None) -> PassReport:
    from imapclient import IMAPClient

    config = {**settings.IMAP, **(config or {})}
    report = PassReport()
    mailbox = f"{config['username']}@{config['host']}/{config['folder']}"
    with IMAPClient(config["host"], port=config["port"], ssl=config["ssl"], timeout=60) as client:
        client.login(config["username"], config["password"])
        selected = client.select_folder(config["folder"])
        uidvalidity = int(selected[b"UIDVALIDITY"])
        first_poll = _first_poll(mailbox, uidvalidity)
        uids = client.search(["NOT", "KEYWORD", IMPORTED_FLAG])
        batch_size = max(1, int(config.get("batch_size") or 25))
        for start in range(0, len(uids), batch_size):
            batch = uids[start : start + batch_size]
            fetched = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
            for uid in batch:
                data = fetched.get(uid)
                if data is None or b"BODY[]" not in data:
                    continue  # expunged meanwhile by someone else
                raw = data[b"BODY[]"]
                quiet = first_poll or _old(data.get(b"INTERNALDATE"))
                stored = _store_imap(raw, mailbox, uidvalidity, uid, quiet, report)
                if stored is None and report.errors:
                    return report  # the database is unreachable: leave the rest on the server
                _mark_imported(client, uid, config)
                if stored is not None:
                    report.count(intake.process(stored))
        MailboxState.objects.filter(mailbox=mailbox).update(last_polled_at=timezone.now())
    return report


def _first_poll(mailbox: str, uidvalidity: int) -> bool:
    """True the first time this mailbox (at this UIDVALIDITY) is polled: what is in it then is
    a backlog, imported without automatic replies to anyone."""
    state, created = MailboxState.objects.get_or_create(
        mailbox=mailbox, defaults={"uidvalidity": uidvalidity}
    )
    if created:
        return True
    if state.uidvalidity != uidvalidity:  # the mailbox was recreated: UIDs start again
        state.uidvalidity = uidvalidity
        state.save(update_fields=["uidvalidity"])
        return True
    return False


def _old(internal_date) -> bool:
    if internal_date is None:
        return False
    if timezone.is_naive(internal_date):
        internal_date = timezone.make_aware(internal_date)
    return internal_date < timezone.now() - timedelta(days=settings.MAIL_QUIET_AFTER_DAYS)


def _store_imap(raw, mailbox, uidvalidity, uid, quiet, report) -> InboundMessage | None:
    try:
        stored = intake.store(
            raw,
            source=InboundSource.IMAP,
            mailbox=mailbox,
            uidvalidity=uidvalidity,
            uid=uid,
            quiet=quiet,
        )
    except IntegrityError:
        report.already_stored += 1  # stored by an earlier pass that died, or another poller
        return None
    except DatabaseError as error:
        logger.error("Mail intake: could not store UID %s (%s); left on the server", uid, error)
        report.errors.append(f"UID {uid}: {type(error).__name__}")
        return None
    report.stored += 1
    return stored


def _mark_imported(client, uid: int, config: dict) -> None:
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
        except DatabaseError as error:
            claimed.rename(path)  # give it back: it is tried again on the next pass
            report.errors.append(f"{path.name}: {type(error).__name__}")
            return report
        report.stored += 1
        claimed.rename(done / f"{stored.pk:08d}-{path.name.split('.eml')[0]}.eml")
        report.count(intake.process(stored))
    return report


def _stale_claims(folder: Path) -> list[Path]:
    cutoff = time.time() - _CLAIM_STALE_SECONDS
    return [p for p in sorted(folder.glob("*.claimed")) if p.stat().st_mtime < cutoff]
