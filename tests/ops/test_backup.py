"""Issue 20, item 5: a backup and restore of the database and the attachments. ``scripts/backup``
dumps the test database (PostgreSQL) and the uploaded files into one archive;
``scripts/restore`` puts them into a new database and a new media folder; then the app, started
on the restored copy alone, serves the ticket and its attachment. PostgreSQL only (pg_dump):
skipped on SQLite, run by .ci/run's PostgreSQL pass, where a skip would be a failure."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from helpdesk.actor import Actor
from helpdesk.tickets.attachments import attach
from tests.helpdesk import ticket_helpers as th

ROOT = Path(settings.BASE_DIR)
POSTGRESQL_ONLY = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="pg_dump and pg_restore need PostgreSQL (DATABASE_URL=postgres://...)",
)
pytestmark = [POSTGRESQL_ONLY, pytest.mark.django_db(transaction=True)]
FILE = b"%PDF-1.4\n% a screenshot of the frozen screen\n"

# In a fresh process on the restored copy: the local expert signs in, opens the ticket page
# and downloads the attachment, through the app's own views.
READ_BACK = """
import hashlib, json, django
django.setup()
from django.test import Client
from helpdesk.models import Ticket, User
ticket = Ticket.objects.get(pk={pk})
client = Client(HTTP_HOST="localhost")
client.force_login(User.objects.get(username="pat"))
page = client.get(f"/tickets/{{ticket.pk}}/")
attachment = ticket.attachments.get()
download = client.get(f"/tickets/{{ticket.pk}}/attachments/{{attachment.pk}}/")
body = b"".join(download.streaming_content)
print(json.dumps({{
    "page": page.status_code,
    "summary_shown": ticket.summary in page.content.decode(),
    "download": download.status_code,
    "sha256": hashlib.sha256(body).hexdigest(),
}}))
"""


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


def _script(name: str, env: dict[str, str], *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, f"scripts/{name}", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def restored_name():
    name = f"ccap_restore_{uuid.uuid4().hex[:10]}"
    yield name
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_then_restore_into_a_fresh_database_serves_the_tickets(
    world, tmp_path, settings, restored_name
):
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }
    ticket = th.reported(world)
    attach(ticket, by=Actor.of(world.alice.user), name="screen.pdf", data=FILE)
    archive = tmp_path / "backup.tar.gz"

    made = _script(
        "backup",
        {"DATABASE_URL": _url(connection.settings_dict["NAME"]), "PRIVATE_MEDIA_ROOT": str(media)},
        str(archive),
    )
    assert made["media_files"] == 1
    assert archive.stat().st_size > 0

    restored_media = tmp_path / "restored-media"
    restored = {"DATABASE_URL": _url(restored_name), "PRIVATE_MEDIA_ROOT": str(restored_media)}
    _script("restore", restored, str(archive))
    # A second restore into the same, now full, database is refused.
    again = subprocess.run(
        [sys.executable, "scripts/restore", str(archive)],
        cwd=ROOT,
        env={**os.environ, **restored, "PRIVATE_MEDIA_ROOT": str(tmp_path / "other")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode != 0
    assert "not empty" in again.stderr

    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DJANGO_", "CCAP_"))}
    read = subprocess.run(
        [sys.executable, "-c", READ_BACK.format(pk=ticket.pk)],
        cwd=ROOT,
        env={
            **env,
            **restored,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CCAP_VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert read.returncode == 0, read.stderr
    served = json.loads(read.stdout.strip().splitlines()[-1])
    import hashlib

    assert served == {
        "page": 200,
        "summary_shown": True,
        "download": 200,
        "sha256": hashlib.sha256(FILE).hexdigest(),
    }
