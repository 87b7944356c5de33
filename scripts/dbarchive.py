"""``scripts/backup`` and ``scripts/restore``: the PostgreSQL database (``pg_dump -Fc``) and
the uploaded files (``PRIVATE_MEDIA_ROOT``: attachments, signed security forms) in one
``.tar.gz``, and back into a fresh database. Standard library only, and the PostgreSQL client
programs (pg_dump, pg_restore, psql) on the PATH.

The connection comes from ``DATABASE_URL`` (as the app reads it) and reaches the programs as
PG* environment variables, never on their command line, where any user's ``ps`` would show the
password. The archive holds ``manifest.json``, ``db.dump`` and ``media/``.
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
FORMAT = "ccap-backup-1"


def fail(message: str) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    sys.exit(2)


def connection(url: str | None = None) -> tuple[str, dict[str, str]]:
    """The database name and the PG* variables for DATABASE_URL (postgres:// only)."""
    url = url or os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        fail("DATABASE_URL must point at PostgreSQL (postgres://user:password@host:port/name)")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        fail("DATABASE_URL names no database")
    env = {"PGHOST": parts.hostname or "localhost", "PGPORT": str(parts.port or 5432)}
    if parts.username:
        env["PGUSER"] = unquote(parts.username)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return name, env


def media_root() -> Path:
    var = Path(os.environ.get("CCAP_VAR_DIR", str(ROOT / "var")))
    return Path(os.environ.get("PRIVATE_MEDIA_ROOT", str(var / "private")))


def run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env={**os.environ, **env}, check=False)  # noqa: S603
    if result.returncode != 0:
        fail(f"{command[0]} exited with {result.returncode}")


def backup(archive: Path) -> None:
    name, env = connection()
    media = media_root()
    with tempfile.TemporaryDirectory(prefix="ccap-backup-") as work:
        dump = Path(work) / "db.dump"
        run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), name], env)
        manifest = {
            "format": FORMAT,
            "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": name,
            "media_files": sum(1 for p in media.rglob("*") if p.is_file()) if media.is_dir() else 0,
        }
        (Path(work) / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".part")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(work) / "manifest.json", arcname="manifest.json")
            tar.add(dump, arcname="db.dump")
            if media.is_dir():
                tar.add(media, arcname="media")
        partial.replace(archive)  # never half an archive under the final name
    sys.stdout.write(json.dumps({"archive": str(archive), **manifest}) + "\n")


def restore(archive: Path) -> None:
    """Into the database DATABASE_URL names, which must not exist yet or be empty (created
    here when missing), and a PRIVATE_MEDIA_ROOT that is missing or empty."""
    name, env = connection()
    media = media_root()
    if media.is_dir() and any(media.iterdir()):
        fail(f"{media} is not empty: restore into a fresh PRIVATE_MEDIA_ROOT")
    with tempfile.TemporaryDirectory(prefix="ccap-restore-") as work:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        manifest = json.loads((Path(work) / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            fail(f"{archive} is not a CCAP Help Desk backup")
        _fresh_database(name, env)
        run(
            ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", name, f"{work}/db.dump"],
            env,
        )
        if (Path(work) / "media").is_dir():
            media.parent.mkdir(parents=True, exist_ok=True)
            if media.exists():
                media.rmdir()
            shutil.copytree(Path(work) / "media", media)
    result = {"restored": str(archive), "database": name, "media": str(media)}
    sys.stdout.write(json.dumps(result) + "\n")


def _fresh_database(name: str, env: dict[str, str]) -> None:
    psql = ["psql", "--no-psqlrc", "--quiet", "--tuples-only", "--no-align"]
    exists = subprocess.run(  # noqa: S603
        [
            *psql,
            "--dbname",
            "postgres",
            "-c",
            f"SELECT 1 FROM pg_database WHERE datname = '{_literal(name)}'",  # noqa: S608 - quoted
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if exists.returncode != 0:
        fail(f"psql could not list the databases: {exists.stderr.strip()}")
    if exists.stdout.strip() != "1":
        run([*psql, "--dbname", "postgres", "-c", f'CREATE DATABASE "{_identifier(name)}"'], env)
        return
    tables = subprocess.run(  # noqa: S603
        [
            *psql,
            "--dbname",
            name,
            "-c",
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if tables.returncode != 0 or tables.stdout.strip() != "0":
        fail(f"database {name} is not empty: restore into a fresh database")


def _literal(text: str) -> str:
    return text.replace("'", "''")


def _identifier(text: str) -> str:
    return text.replace('"', '""')


def main(action: str) -> None:
    if len(sys.argv) != 2 or sys.argv[1] in {"-h", "--help"}:
        sys.exit(f"usage: scripts/{action} ARCHIVE.tar.gz   (DATABASE_URL, PRIVATE_MEDIA_ROOT)")
    archive = Path(sys.argv[1])
    if action == "backup":
        backup(archive)
    else:
        restore(archive)
