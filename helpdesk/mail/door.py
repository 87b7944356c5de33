"""The fast door for an MTA pipe: keep the raw message safe on disk, and nothing else.

``manage.py ingest_mail`` stores and processes a message in one process, which first loads
Django and every app (about a second here). A mail server that pipes each message to a
program pays that for every message. This door imports no Django: it writes the bytes to the
drop folder the worker already reads every minute (``MAIL_DROP_DIR``, from ``helpdesk.paths``,
the same function the settings use), and the worker stores and processes them there
(``helpdesk.mail.mailbox.poll_drop_folder``), a batch in one process.

The write is atomic and durable before the exit status says so: the bytes go to ``tmp/``
under a unique name, are flushed to disk (fsync), and only then renamed into the folder, whose
entry is flushed too. The worker only takes ``*.eml`` files from the folder itself, so it never
sees half a message; a crash leaves at most a stray file in ``tmp/``.

Exit 0 once the message is on disk (the MTA must not retry: it is safe). Exit 75
(EX_TEMPFAIL) when it could not be written, so the MTA keeps it and tries again. One JSON line
on standard output says which.

    ccap-ingest-mail [PATH | -]        (or: python -m helpdesk.mail.door)
"""

import json
import os
import secrets
import sys
import time
from pathlib import Path

from helpdesk.paths import mail_drop_dir

EX_TEMPFAIL = 75


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    source = args[0] if args else "-"
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        kept = drop(raw, mail_drop_dir())
    except OSError as error:
        _line({"outcome": "not_stored", "error": f"{type(error).__name__}: {error}"[:500]})
        return EX_TEMPFAIL
    _line({"outcome": "queued", "file": kept.name, "size": len(raw)})
    return 0


def drop(raw: bytes, folder: Path) -> Path:
    """Write ``raw`` into ``folder`` as a new ``.eml`` file, all of it or nothing."""
    spool = folder / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    # Sorted by name is the order received: the worker takes the folder in name order.
    name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}.eml"
    partial, final = spool / name, folder / name
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(raw)
            file.flush()
            os.fsync(file.fileno())
        partial.rename(final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_directory(folder)
    return final


def _sync_directory(folder: Path) -> None:
    """A rename is durable once the directory's entry is on disk too."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _line(data: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
