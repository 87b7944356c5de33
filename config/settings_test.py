"""Test settings: the same configuration the environment selects (SQLite by default;
PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set, as .ci/run does), with background
tasks run inline, mail kept in memory and a fast password hasher."""

import tempfile
from pathlib import Path

from config.settings import *  # noqa: F403
from config.settings import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files are found where they are written, without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# No test reads the developer's own drop folder (the worker's pass drains it, IMAP or not).
MAIL_DROP_DIR = Path(tempfile.mkdtemp(prefix="ccap-test-maildrop-"))
