"""A real Dovecot IMAP server for the mail intake's end-to-end tests: one per test session,
from a configuration of its own in a temporary directory, on a free loopback port, with one
user (``helpdesk``/``secret``). ``imap_config`` empties the mailbox before each test and yields
the settings.IMAP dict that points at it.

Tests that run ``manage.py poll_mailbox`` as a real process (killed, raced, cut off from its
database) get a database of their own from ``poller``: a migrated SQLite file in a temporary
directory, or, when the suite runs on PostgreSQL (DATABASE_URL), a fresh PostgreSQL database.
Either holds the same personas as the ``world`` fixture.

Without Dovecot these tests skip, saying why; where .ci/run requires every service
(CCAP_REQUIRE_SERVICES), tests/conftest.py turns that skip into a failure.
"""

import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

USERNAME = "helpdesk"
PASSWORD = "secret"  # noqa: S105 - the throwaway test server's only login
BASE_DIR = Path(__file__).resolve().parents[3]
IMPORTED = b"$CcapImported"
SEEN = b"\\Seen"


def _binary(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for d in ("/usr/sbin", "/usr/bin") if (p := Path(d, name)).exists()), None
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(directory: Path, port: int) -> str:
    if os.geteuid() == 0:
        # imap-login refuses to run as root; mail is kept as the dovecot user.
        users = (
            "default_internal_user = dovecot\ndefault_internal_group = dovecot\n"
            "default_login_user = dovenull\n"
        )
        userdb_ids = "uid=dovecot gid=dovecot"
        chroot = ""
    else:  # an unprivileged run: everything as the current user, no chroot
        me = pwd.getpwuid(os.geteuid()).pw_name
        users = f"default_internal_user = {me}\ndefault_login_user = {me}\n"
        userdb_ids = f"uid={os.geteuid()} gid={os.getegid()}"
        chroot = "  chroot =\n"
    return f"""\
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
{users}first_valid_uid = 1
mail_location = maildir:{directory}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/users
}}
userdb {{
  driver = static
  args = {userdb_ids} home={directory}/home/%u
}}
service imap-login {{
{chroot}  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class Dovecot:
    directory: Path
    port: int
    host: str = "127.0.0.1"
    username: str = USERNAME
    password: str = PASSWORD

    @property
    def conf(self) -> Path:
        return self.directory / "dovecot.conf"

    def settings(self, **overrides) -> dict:
        """A settings.IMAP dict pointing at this server."""
        return {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            "ssl": False,
            "folder": "INBOX",
            "processed_folder": "",
            "batch_size": 25,
            **overrides,
        }

    def client(self):
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(self.username, self.password)
        return client

    def append(self, *messages: bytes, folder: str = "INBOX", msg_time=None) -> list[int]:
        """APPEND each message; returns their UIDs."""
        with self.client() as client:
            uids = []
            for raw in messages:
                answer = client.append(folder, raw, msg_time=msg_time)
                uids.append(int(answer.split(b"APPENDUID ", 1)[1].split()[1].rstrip(b"]")))
            return uids

    def flags(self, folder: str = "INBOX") -> dict[int, set[bytes]]:
        """UID -> flags of every message in the folder, read without touching them."""
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["FLAGS"]) if uids else {}
            return {uid: set(data[b"FLAGS"]) - {b"\\Recent"} for uid, data in fetched.items()}

    def message_ids(self, folder: str = "INBOX") -> dict[int, str]:
        """UID -> Message-ID of every message in the folder."""
        from email.parser import BytesHeaderParser

        with self.client() as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["BODY.PEEK[HEADER]"]) if uids else {}
            parser = BytesHeaderParser()
            return {
                uid: str(parser.parsebytes(data[b"BODY[HEADER]"]).get("Message-ID", ""))
                for uid, data in fetched.items()
            }

    def reset(self) -> None:
        """An empty INBOX and no other folder."""
        with self.client() as client:
            for _flags, _delimiter, name in client.list_folders():
                if name.upper() != "INBOX":
                    client.delete_folder(name)
            client.select_folder("INBOX")
            uids = client.search("ALL")
            if uids:
                client.delete_messages(uids)
                client.expunge()


@pytest.fixture(scope="session")
def dovecot():
    """A running Dovecot for the session. Skips (a failure under CCAP_REQUIRE_SERVICES) when
    Dovecot is not installed; fails, with its log, when it is installed but will not start."""
    binary, doveadm = _binary("dovecot"), _binary("doveadm")
    if binary is None or doveadm is None:
        pytest.skip(
            "Dovecot is not installed: the IMAP end-to-end tests need the Debian package "
            "dovecot-imapd (scripts/system-deps test installs it)."
        )
    # Not under pytest's tmp_path: its 0700 parents would keep the dovecot user out. Short,
    # too, for the UNIX sockets in base_dir.
    directory = Path(tempfile.mkdtemp(prefix="ccap-dovecot-"))
    directory.chmod(0o755)
    for sub in ("mail", "home", "run", "state"):
        (directory / sub).mkdir()
    if os.geteuid() == 0:
        for sub in ("mail", "home"):
            shutil.chown(directory / sub, "dovecot", "dovecot")
    (directory / "users").write_text(f"{USERNAME}:{{PLAIN}}{PASSWORD}\n")
    server = Dovecot(directory=directory, port=_free_port())
    server.conf.write_text(_config(directory, server.port))
    try:
        # Output to a file: the daemon dovecot forks would hold a pipe open for ever.
        with (directory / "start.out").open("w+") as output:
            started = subprocess.run(
                [binary, "-c", str(server.conf)], stdout=output, stderr=output, timeout=30
            )
            output.seek(0)
            said = output.read()
        if started.returncode != 0 or not _answers(server):
            log_file = directory / "dovecot.log"
            log = log_file.read_text() if log_file.exists() else "(no log)"
            pytest.fail(
                f"Dovecot did not start (exit {started.returncode}):\n{said}\n{log}",
                pytrace=False,
            )
        yield server
    finally:
        subprocess.run([doveadm, "-c", str(server.conf), "stop"], capture_output=True, timeout=30)
        _wait_stopped(directory / "run" / "master.pid")
        shutil.rmtree(directory, ignore_errors=True)


def _answers(server: Dovecot, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((server.host, server.port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


def _wait_stopped(pid_file: Path, seconds: float = 10) -> None:
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.05)


@pytest.fixture
def imap_config(dovecot) -> dict:
    """An empty INBOX (and no other folder) on the session's Dovecot, and its IMAP settings."""
    dovecot.reset()
    return dovecot.settings()


# --- manage.py poll_mailbox as a real process -------------------------------------------------

_SEED = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.helpdesk.mail.conftest import seed_world
seed_world()
"""


def seed_world() -> None:
    """The ``world`` fixture's personas, in a database of the poller's own."""
    from helpdesk.directory.roles import Role
    from helpdesk.models import DesignationRole
    from tests.conftest import _person
    from tests.factories import AgencyFactory, DesignationFactory, OfficeFactory

    agency = AgencyFactory(name="Northern Lights CCR&R", code="northern-lights")
    office = OfficeFactory(agency=agency, name="Rockford office", city="Rockford")
    other_office = OfficeFactory(name="Carbondale office", city="Carbondale")
    pat = _person(office, "pat", "Pat", "Primary", Role.LOCAL_EXPERT, title="Lead caseworker")
    alex = _person(office, "alex", "Alex", "Alternate", Role.LOCAL_EXPERT)
    otto = _person(other_office, "otto", "Otto", "Outsider", Role.LOCAL_EXPERT)
    DesignationFactory(office=office, person=pat, role=DesignationRole.PRIMARY)
    DesignationFactory(office=office, person=alex, role=DesignationRole.ALTERNATE)
    DesignationFactory(office=other_office, person=otto, role=DesignationRole.PRIMARY)
    state = OfficeFactory(agency=AgencyFactory(state_unit=True, name="IDHS"), name="Springfield")
    _person(office, "alice", "Alice", "Agency", Role.AGENCY_USER)
    _person(state, "hannah", "Hannah", "Helpdesk", Role.HELP_DESK)
    _person(state, "mike", "Mike", "Mis", Role.MIS)
    _person(state, "ada", "Ada", "Admin", Role.ADMINISTRATOR)


def _clean_environ() -> dict[str, str]:
    """This process's environment without anything that would point a poller elsewhere."""
    drop = ("DATABASE_", "REDIS_", "EMAIL_", "IMAP_", "LDAP_", "CCAP_", "DJANGO_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


@dataclass
class PollerDatabase:
    """A database for poller processes, read with plain SQL from the test."""

    url: str
    sqlite_path: Path | None = None
    pg: dict = field(default_factory=dict)

    def rows(self, sql: str) -> list[tuple]:
        if self.sqlite_path is not None:
            with sqlite3.connect(self.sqlite_path, timeout=20) as connection:
                return connection.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(**self.pg, autocommit=True) as connection:
            return connection.execute(sql).fetchall()

    def inbound(self) -> list[tuple]:
        """(message_id, status, outcome, quiet, uid) of every stored message."""
        return [
            (mid, status, outcome, bool(quiet), uid)
            for mid, status, outcome, quiet, uid in self.rows(
                "SELECT message_id, status, outcome, quiet, uid FROM helpdesk_inboundmessage"
            )
        ]

    def count(self, table: str) -> int:
        return self.rows(f"SELECT COUNT(*) FROM {table}")[0][0]  # noqa: S608 - test tables


def _postgres_server() -> dict | None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return None
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": int(db["PORT"] or 5432),
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }


def _pg_admin(server: dict, sql: str) -> None:
    import psycopg

    with psycopg.connect(**server, dbname="postgres", autocommit=True) as connection:
        connection.execute(sql)


def _pg_url(server: dict, name: str) -> str:
    password = f":{server['password']}" if server["password"] else ""
    return f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"


@pytest.fixture(scope="session")
def poller_template(tmp_path_factory):
    """A migrated database holding the world's personas, copied for each poller test."""
    pg = _postgres_server()
    directory = tmp_path_factory.mktemp("poller-template")
    if pg is None:
        path = directory / "template.sqlite3"
        url = f"sqlite:///{path}"
    else:
        name = f"ccap_imap_tpl_{uuid.uuid4().hex[:10]}"
        _pg_admin(pg, f'CREATE DATABASE "{name}"')
        url = _pg_url(pg, name)
    env = {
        **_clean_environ(),
        "DJANGO_SETTINGS_MODULE": "config.settings_test",  # fast password hashing for the seed
        "DATABASE_URL": url,
        "CCAP_VAR_DIR": str(directory),
    }
    seeded = subprocess.run(
        [sys.executable, "-c", _SEED],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if seeded.returncode != 0:
        pytest.fail(f"Could not prepare the poller's database:\n{seeded.stderr}", pytrace=False)
    try:
        yield (path if pg is None else name), pg
    finally:
        if pg is not None:
            _pg_admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Poller:
    """``manage.py poll_mailbox`` as a real process, against ``db`` and a Dovecot mailbox."""

    db: PollerDatabase
    imap: dict
    directory: Path

    def environ(self, **overrides: str) -> dict[str, str]:
        return {
            **_clean_environ(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.db.url,
            "CCAP_VAR_DIR": str(self.directory),
            "EMAIL_OUTBOX_DIR": str(self.directory / "outbox"),
            "IMAP_HOST": self.imap["host"],
            "IMAP_PORT": str(self.imap["port"]),
            "IMAP_USERNAME": self.imap["username"],
            "IMAP_PASSWORD": self.imap["password"],
            "IMAP_SSL": "false",
            "IMAP_FOLDER": self.imap["folder"],
            "IMAP_PROCESSED_FOLDER": self.imap.get("processed_folder") or "",
            "IMAP_BATCH_SIZE": str(self.imap.get("batch_size") or 25),
            "LOG_LEVEL": "WARNING",
            **overrides,
        }

    def start(self, **environ: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", "poll_mailbox"],
            cwd=BASE_DIR,
            env=self.environ(**environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, timeout: float = 60, **environ: str) -> subprocess.CompletedProcess:
        process = self.start(**environ)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.communicate()
            raise
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.fixture
def poller(poller_template, imap_config, tmp_path):
    """A poller with a fresh copy of the template database, pointed at the emptied INBOX."""
    template, pg = poller_template
    if pg is None:
        path = tmp_path / "poller.sqlite3"
        shutil.copyfile(template, path)
        db = PollerDatabase(url=f"sqlite:///{path}", sqlite_path=path)
    else:
        name = f"ccap_imap_{uuid.uuid4().hex[:10]}"
        _pg_admin(pg, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        db = PollerDatabase(url=_pg_url(pg, name), pg={**pg, "dbname": name})
    try:
        yield Poller(db=db, imap=imap_config, directory=tmp_path)
    finally:
        if pg is not None:
            _pg_admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
