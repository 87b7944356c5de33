"""Issue 20, item 6: a clean first run. The printed demo logins include every login the README
names; the demo's own mail does not fill the outbox a new user watches; SITE_URL follows HOST
and PORT."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from config.site import site_url
from helpdesk import emails
from helpdesk.models import OutboundEmail, OutboundRecipient, OutboundStatus, User
from tests.outgoing_mail import queue

README = Path(settings.BASE_DIR) / "README.md"
# A demo login as the README writes one: `hd.rick`, `mis.joan` (a name, a dot, a name).
LOGIN = re.compile(r"`([a-z]+\.[a-z]+[0-9]*)`")


def readme_logins() -> set[str]:
    """The logins named in the README's "Try it" section (where the demo is explained)."""
    text = README.read_text()
    section = text.split("## Try it", 1)[1].split("\n## ", 1)[0]
    return set(LOGIN.findall(section))


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_readme_names_logins():
    assert "hd.rick" in readme_logins()


@pytest.mark.django_db
def test_every_login_the_readme_names_is_created_and_printed():
    output = _seed()
    printed = {line.split()[1] for line in output.splitlines() if line.startswith("  ")}
    for login in readme_logins():
        assert User.objects.filter(username=login, is_active=True).exists(), login
        assert login in printed, f"{login} is in the README but not among the printed logins"


@pytest.mark.django_db(transaction=True)
def test_the_demo_mail_is_delivered_to_its_own_folder_not_the_outbox(tmp_path, settings):
    """Committed for real (the seeding's mail is queued after its commit): every message the
    demo made is sent, as a file in DEMO_OUTBOX_DIR, one per copy; the outbox stays empty."""
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.DEMO_OUTBOX_DIR = tmp_path / "demo-outbox"
    settings.EMAIL_BACKEND = "helpdesk.lib.outbox.OutboxEmailBackend"
    _seed()
    assert OutboundEmail.objects.count() > 100
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {OutboundStatus.SENT}
    assert not OutboundRecipient.objects.filter(sent_at__isnull=True).exists()
    assert not settings.EMAIL_OUTBOX_DIR.exists() or not any(settings.EMAIL_OUTBOX_DIR.iterdir())
    files = list(settings.DEMO_OUTBOX_DIR.glob("*.eml"))
    assert len(files) == OutboundRecipient.objects.count()
    assert mail.outbox == []
    # Mail queued after the seeding goes where it always does (committed, then delivered).
    row = queue()
    assert row is not None
    emails.deliver(row.pk)
    assert len(list(settings.EMAIL_OUTBOX_DIR.glob("*.eml"))) == 1


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8123"}, "http://127.0.0.1:8123"),
        ({"HOST": "0.0.0.0", "PORT": "9000"}, "http://localhost:9000"),  # noqa: S104 - no socket
        ({"HOST": "::1", "PORT": "9000"}, "http://[::1]:9000"),
        ({"HOST": "helpdesk.lan"}, "http://helpdesk.lan:8000"),
        (
            {"SITE_URL": "https://helpdesk.example.org/", "PORT": "9000"},
            "https://helpdesk.example.org",
        ),
    ],
)
def test_site_url_follows_host_and_port_unless_set(environ, expected):
    assert site_url(environ) == expected
