"""Settings: embedded defaults with no environment, real services by environment, and a
production mode that refuses to start half-configured."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "channels": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "broker": "redis" if "redis" in settings.Q_CLUSTER else "orm",
    "email": settings.EMAIL_BACKEND,
    "debug": settings.DEBUG,
    "ldap": "helpdesk.auth.backends.DirectoryBackend" in settings.AUTHENTICATION_BACKENDS,
    "session_secure": getattr(settings, "SESSION_COOKIE_SECURE", False),
}))
"""
PRODUCTION = {
    "CCAP_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-" + "y" * 20,
    "ALLOWED_HOSTS": "helpdesk.example.org",
    "EMAIL_HOST": "smtp.example.org",
}


def _run(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not _is_app_setting(k)}
    clean |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CCAP_VAR_DIR": "/tmp/ccap-settings-probe",
    }
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else args)],
        env=clean | env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _is_app_setting(name: str) -> bool:
    prefixes = (
        "DATABASE_",
        "REDIS_",
        "EMAIL_",
        "LDAP_",
        "IMAP_",
        "CCAP_",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DEBUG",
    )
    return name.startswith(prefixes)


def _probe(env: dict[str, str]) -> dict:
    result = _run(PROBE, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_no_environment_everything_is_embedded():
    assert _probe({}) == {
        "db": "django.db.backends.sqlite3",
        "channels": "channels.layers.InMemoryChannelLayer",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "broker": "orm",
        "email": "helpdesk.lib.outbox.OutboxEmailBackend",
        "debug": True,
        "ldap": False,
        "session_secure": False,
    }


def test_environment_switches_to_postgresql_redis_smtp_and_ldap():
    probe = _probe(
        {
            "DATABASE_URL": "postgres://ccap@db.internal:5432/ccap",
            "REDIS_URL": "redis://cache.internal:6379/0",
            "EMAIL_HOST": "smtp.internal",
            "LDAP_SERVER_URI": "ldap://ldap.internal",
            "LDAP_USER_SEARCH_BASE": "ou=people,dc=example,dc=org",
        }
    )
    assert probe["db"] == "django.db.backends.postgresql"
    assert probe["channels"] == "channels_redis.core.RedisChannelLayer"
    assert probe["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert probe["broker"] == "redis"
    assert probe["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert probe["ldap"] is True


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_HOST"])
def test_production_refuses_to_start_without_its_settings(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _run(PROBE, env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_is_secure_by_default():
    probe = _probe(PRODUCTION)
    assert probe["debug"] is False
    assert probe["session_secure"] is True


def test_check_deploy_is_clean_in_production():
    result = _run("", PRODUCTION, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_malformed_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("Q_WORKERS", "many")
    with pytest.raises(ImproperlyConfigured, match="Q_WORKERS"):
        env_int("Q_WORKERS", 2)
    monkeypatch.setenv("DEBUG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG")
    assert env_list("X", environ={"X": " a, b ,,c "}) == ["a", "b", "c"]


LOADED = """
import json, sys, django
django.setup()
from django.core.management import load_command_class
load_command_class("helpdesk", "ingest_mail")
print(json.dumps(sorted(m for m in ("daphne.server", "twisted.internet", "reportlab",
                                    "extract_msg", "tnefparse")
                        if m in sys.modules)))
"""


def test_a_command_starts_without_the_web_server_or_the_pdf_library():
    """An MTA starts ``ingest_mail`` once per message: Daphne's app (Twisted's reactor) is
    loaded only for ``runserver``, reportlab only when a form is issued, and the readers of
    Outlook's containers (.msg, winmail.dat) only when a message holds one."""
    result = _run(LOADED, {})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_runserver_still_serves_asgi():
    code = "import sys; sys.argv = ['manage.py', 'runserver']; " + PROBE.replace(
        '"db":', '"daphne": "daphne" in settings.INSTALLED_APPS, "db":'
    )
    result = _run(code, {})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["daphne"] is True
