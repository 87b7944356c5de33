"""Where the app keeps its files, read from the environment without importing Django: the mail
door (``helpdesk.mail.door``) must start in milliseconds, and must put mail exactly where the
worker looks for it. ``config.settings`` reads the same functions."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    return Path(os.environ.get("CCAP_VAR_DIR", str(BASE_DIR / "var")))


def mail_drop_dir() -> Path:
    return Path(os.environ.get("MAIL_DROP_DIR", str(var_dir() / "maildrop")))
