"""The peer in the mail bench: django-helpdesk 2.6.1 turning the same corpus into tickets.

Issue 15 asks the intake to be at least 5x django-helpdesk 2.6.1 on the same corpus in the same
run. This script builds (once, cached under ``var/bench-peer/``) a virtualenv of its own with the
pins of ``bench/peer-requirements.txt``, writes a minimal Django project for it in a temporary
folder (the apps django-helpdesk's install guide lists, teams mode off as its teams guide allows,
outgoing mail to the locmem backend), migrates a fresh database (a SQLite file, or a
``ccap_bench_peer_*`` PostgreSQL database created and dropped here), creates one queue whose
address is the corpus' To address, and feeds every message of the corpus, in corpus order, one at
a time, to ``helpdesk.email.extract_email_metadata(message=..., queue=..., logger=...)``: the
function each of 2.6.1's mailbox loops (IMAP, POP3, local folder: ``process_queue``, called by
the ``get_email`` command) calls once per message, with the message decoded as its IMAP loop
decodes it (``force_str(raw, errors="replace")``) and the queue logger ``process_email`` sets up.
Only that loop is timed. It prints one JSON object to stdout: msg/s, median and p95 per
message, statements per message, tickets and follow-ups created, attachments, emails, errors.

    .venv/bin/python bench/peer_django_helpdesk.py --corpus DIR [--database sqlite|postgres]
        [--pg-url postgres://postgres@127.0.0.1:5432]

``DIR`` is a corpus folder as ``bench/mail_intake.py --keep`` leaves it (``.eml`` files and
``manifest.json``). The parent side (building the virtualenv, spawning the run) uses the
standard library only, so ``mail_intake.py`` can import it; the run itself executes in the
peer's virtualenv, where ``helpdesk`` is django-helpdesk's package, not ours.
"""

import argparse
import hashlib
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import import_module
from importlib.metadata import version
from pathlib import Path
from typing import Any

from _common import p95, pg_admin  # bench/ is on the path, as for the other scripts

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
REQUIREMENTS = BENCH / "peer-requirements.txt"
PEER_DIR = ROOT / "var" / "bench-peer"  # var/ is ignored by git
VENV = PEER_DIR / "venv"
STAMP = PEER_DIR / "venv.sha256"  # the requirements the virtualenv was built from
PEER_NAME = "django-helpdesk 2.6.1"
PG_PREFIX = "ccap_bench_peer"
QUEUE_ADDRESS = "ccap-helpdesk@localhost"  # the corpus' To address (bench/mail_intake.py)
INSTALL_TIMEOUT = 900  # seconds; an unreachable registry fails well before this


def main() -> None:
    args = _arguments()
    if args.child:
        print(json.dumps(_child(args)))
        return
    python, reason = ensure_venv()
    if python is None:
        sys.exit(f"peer unavailable: {reason}")
    result = run_peer(python, Path(args.corpus), args.database, args.pg_url)
    print(json.dumps(result))
    if "error" in result:
        sys.exit(1)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, help="folder with manifest.json and .eml files")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


# --- Parent side: standard library only ---------------------------------------------------------


def _requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def _base_python() -> str:
    """The interpreter the peer's virtualenv is made from: python3.11, as the project's."""
    found = shutil.which("python3.11")
    if found:
        return found
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    raise FileNotFoundError("python3.11 not found")


def ensure_venv(log: Any = print) -> tuple[Path | None, str]:
    """The peer's interpreter, building its virtualenv first when it is missing or was built
    from other pins; ``(None, reason)`` when it cannot be built (no registry, no python3.11)."""
    digest = _requirements_digest()
    python = _venv_python()
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == digest:
        return python, "cached"
    # A half-built or outdated virtualenv is not reused: pip would mix old and new pins.
    shutil.rmtree(VENV, ignore_errors=True)
    STAMP.unlink(missing_ok=True)
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    log(f"building the {PEER_NAME} virtualenv in {VENV} (once; pins: {REQUIREMENTS.name})")
    started = time.perf_counter()
    try:
        base = _base_python()
        subprocess.run(  # noqa: S603 - a fixed argv
            [base, "-m", "venv", str(VENV)], check=True, capture_output=True, text=True
        )
        subprocess.run(  # noqa: S603 - a fixed argv
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                "--retries",
                "1",
                "--timeout",
                "20",
                "-r",
                str(REQUIREMENTS),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError) as error:
        shutil.rmtree(VENV, ignore_errors=True)
        detail = getattr(error, "stderr", None) or str(error)
        lines = [line for line in str(detail).splitlines() if "is ignored" not in line]
        return None, (lines or [type(error).__name__])[-1].strip()
    STAMP.write_text(digest + "\n")
    log(f"  built in {time.perf_counter() - started:.0f} s")
    return python, "built"


def run_peer(python: Path, corpus: Path, database: str, pg_url: str) -> dict:
    """One run of the peer on ``corpus`` in its own process and virtualenv; the JSON it prints,
    or ``{"error": ...}``."""
    # Nothing of ours may leak in: our settings module, our database, our ``helpdesk`` package.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")
    }
    with tempfile.TemporaryDirectory(prefix="ccap-bench-peer-") as cwd:
        done = subprocess.run(  # noqa: S603 - our own script, a corpus folder
            [
                str(python),
                str(Path(__file__).resolve()),
                "--child",
                "--corpus",
                str(corpus),
                "--database",
                database,
                "--pg-url",
                pg_url,
            ],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
        )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-800:]}"}
    result: dict = json.loads(lines[-1])
    return result


# --- Child side: runs in the peer's virtualenv --------------------------------------------------

SETTINGS = '''\
"""A minimal project for django-helpdesk {version}, written by bench/peer_django_helpdesk.py."""

SECRET_KEY = "bench-only"
DEBUG = False  # no query log kept in memory, as in our own runs
ALLOWED_HOSTS = ["localhost"]
SITE_ID = 1
# The apps django-helpdesk's install guide lists; teams mode off, as its teams guide allows
# (pinax-teams is the optional "teams" extra and plays no part in email intake).
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "django_cleanup.apps.CleanupConfig",
    "helpdesk",
]
HELPDESK_TEAMS_MODE_ENABLED = False
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peer_urls"  # ticket links in the acknowledgements are reversed
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }}
]
DATABASES = {{"default": {database}}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "America/Chicago"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "{address}"
MEDIA_ROOT = {media!r}
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
LOGGING = {{"version": 1, "disable_existing_loggers": False, "root": {{"level": "WARNING"}}}}
'''

URLS = """\
from django.urls import include, path

urlpatterns = [path("helpdesk/", include("helpdesk.urls"))]
"""


def _database_settings(database: str, pg_url: str, folder: Path) -> tuple[dict, str | None]:
    """The peer's DATABASES entry, and the PostgreSQL database to drop afterwards."""
    if database == "postgres":
        from urllib.parse import urlsplit

        name = f"{PG_PREFIX}_{os.getpid()}"
        pg_admin(pg_url, f"DROP DATABASE IF EXISTS {name}")
        pg_admin(pg_url, f"CREATE DATABASE {name}")
        parts = urlsplit(pg_url)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": parts.username or "postgres",
            "PASSWORD": parts.password or "",
            "HOST": parts.hostname or "127.0.0.1",
            "PORT": str(parts.port or 5432),
        }, name
    # The SQLite options config/settings.py gives our intake (WAL, synchronous=NORMAL): each
    # side commits on the same terms, so the ratio compares the code, not the journal mode.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(folder / "peer.sqlite3"),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }, None


def _child(args: argparse.Namespace) -> dict:
    # The script's folder is first on sys.path; the project root must not be, or ``helpdesk``
    # would be ours.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT]
    folder = Path(tempfile.mkdtemp(prefix="ccap-bench-peer-project-"))
    drop = None
    try:
        database, drop = _database_settings(args.database, args.pg_url, folder)
        (folder / "peer_settings.py").write_text(
            SETTINGS.format(
                version=version("django-helpdesk"),
                database=repr(database),
                address=QUEUE_ADDRESS,
                media=str(folder / "media"),
            )
        )
        (folder / "peer_urls.py").write_text(URLS)
        sys.path.insert(0, str(folder))
        os.environ["DJANGO_SETTINGS_MODULE"] = "peer_settings"
        return _run(Path(args.corpus))
    finally:
        if drop:
            from django.db import connections

            connections.close_all()
            pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {drop}")
        shutil.rmtree(folder, ignore_errors=True)


def _run(corpus: Path) -> dict:
    import django

    django.setup()
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.utils import encoding

    # Imported by name: to mypy (run on our project) ``helpdesk`` is ours, not django-helpdesk.
    hd_email = import_module("helpdesk.email")
    hd_exceptions = import_module("helpdesk.exceptions")
    hd_models = import_module("helpdesk.models")
    ignored = (hd_exceptions.IgnoreTicketException, hd_exceptions.DeleteIgnoredTicketException)

    started = time.perf_counter()
    call_command("migrate", verbosity=0)  # also loads the email templates (migration 0003)
    migrate_s = time.perf_counter() - started
    queue = hd_models.Queue.objects.create(
        title="CCAP Help Desk",
        slug="ccap",
        email_address=QUEUE_ADDRESS,
        allow_email_submission=True,
        email_box_type="local",
        email_box_local_dir=str(corpus),
    )
    # The logger process_email gives a queue with no logging type: no handlers, not propagated.
    logger = logging.getLogger("django.helpdesk.queue." + queue.slug)
    logger.handlers = []
    logger.propagate = False

    manifest = json.loads((corpus / "manifest.json").read_text())
    entries = manifest["messages"]
    raws = [(corpus / entry["file"]).read_bytes() for entry in entries]  # from memory, as ours
    if connection.vendor == "sqlite":
        import sqlite3

        name = f"SQLite {sqlite3.sqlite_version}"
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            name = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"

    queries = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[0] += 1
        return execute(sql, params, many, context)

    times: list[float] = []
    statements: list[int] = []
    outcomes = {"ticket or follow-up": 0, "ignored": 0, "not processed": 0, "error": 0}
    errors: list[str] = []
    with connection.execute_wrapper(count):
        loop_started = time.perf_counter()
        for raw, entry in zip(raws, entries, strict=True):
            before = queries[0]
            t0 = time.perf_counter()
            try:
                full_message = encoding.force_str(raw, errors="replace")  # as imap_sync does
                ticket = hd_email.extract_email_metadata(
                    message=full_message, queue=queue, logger=logger
                )
            except ignored:
                outcomes["ignored"] += 1
            except Exception as error:  # noqa: BLE001 - counted and shown, the run goes on
                outcomes["error"] += 1
                if len(errors) < 10:
                    errors.append(f"{entry['file']}: {type(error).__name__}: {error}"[:300])
            else:
                outcomes["ticket or follow-up" if ticket else "not processed"] += 1
            times.append(time.perf_counter() - t0)
            statements.append(queries[0] - before)
        seconds = time.perf_counter() - loop_started

    tickets = hd_models.Ticket.objects.count()
    followups = hd_models.FollowUp.objects.count()
    return {
        "peer": f"django-helpdesk {version('django-helpdesk')}",
        "django": django.get_version(),
        "database": name,
        "migrate_s": migrate_s,
        "count": len(raws),
        "seconds": seconds,
        "rate": len(raws) / seconds,
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": p95(times) * 1000,
        "statements": statistics.mean(statements),
        "tickets": tickets,
        "followups_on_existing": followups - tickets,  # every ticket opens with one follow-up
        "attachments": hd_models.FollowUpAttachment.objects.count(),
        "emails": len(getattr(mail, "outbox", [])),
        "outcomes": outcomes,
        "errors": errors,
    }


if __name__ == "__main__":
    main()
