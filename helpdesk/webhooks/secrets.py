"""A subscription's secret: made, encrypted for the database, and used to sign.

The secret is ``whsec_`` and the base64 of 24 random bytes, the Standard Webhooks form: the
signing key is the base64-decoded part after the prefix. Signing needs the key itself, so the
database keeps it encrypted (Fernet: AES-128-CBC and HMAC-SHA256), with a key derived by HKDF
from ``settings.WEBHOOK_SECRET_KEY`` (``SECRET_KEY`` when that is empty). The secret is shown
once, when the subscription is created, and never written to a log, an email or the audit.
"""

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


@lru_cache(maxsize=4)
def _fernet(key_material: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"ccap-helpdesk-webhooks",
        info=b"webhook subscription secrets",
    ).derive(key_material.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _cipher() -> Fernet:
    return _fernet(settings.WEBHOOK_SECRET_KEY or settings.SECRET_KEY)


def encrypt(secret: str) -> str:
    return _cipher().encrypt(secret.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    """The secret in clear (``cryptography.fernet.InvalidToken`` if the key changed)."""
    return _cipher().decrypt(stored.encode("ascii")).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value: ``v1,`` and the base64 HMAC-SHA256 of
    ``<id>.<timestamp>.<body>`` under the secret's key."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    content = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")
