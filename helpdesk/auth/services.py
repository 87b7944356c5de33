"""Second factors: every change to someone's factors, audited (never the secret itself)."""

import secrets
from base64 import b32encode

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.auth.mfa import all_devices_of, factors_of
from helpdesk.directory.permissions import can_reset_second_factors
from helpdesk.directory.services import end_sessions
from helpdesk.models import AuditKind, RecoveryCode, RecoveryCodeDevice, User, recovery_code_digest

RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6
_AUTHENTICATOR_APP = "Authenticator app"


def pending_totp_device(user: User) -> TOTPDevice:
    """The authenticator app being set up: not a factor until a code from it is confirmed.
    Reused until then, so reloading the page shows the same key."""
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_AUTHENTICATOR_APP, confirmed=False)
    return device


def confirm_totp_device(device: TOTPDevice, code: str, *, by: Actor) -> bool:
    """The app is a factor once it has produced a valid code; audited. False for a wrong code."""
    if device.confirmed or not device.verify_token(code):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _record_added(device.user, "totp", by=by)
    return True


@transaction.atomic
def verify_code(user: User, code: str) -> TOTPDevice | RecoveryCodeDevice | None:
    """The device that accepts ``code``: six digits are asked of the user's authenticator
    apps, anything else of their recovery codes. Each device is locked while it checks, so its
    throttling (slower after each wrong code) and its used time steps hold under concurrency
    (django-otp advises against its match_token, which asks every device)."""
    code = code.strip()
    devices: list[TOTPDevice | RecoveryCodeDevice]
    if code.isdigit() and len(code) == TOTP_DIGITS:
        devices = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True))
    else:
        devices = list(RecoveryCodeDevice.objects.select_for_update().filter(user=user))
    return next((device for device in devices if device.verify_token(code)), None)


def record_passkey_added(credential: WebAuthnCredential, *, by: Actor) -> None:
    """django-otp-webauthn saved the passkey; the audit trail says who added it."""
    _record_added(credential.user, "passkey", by=by)


@transaction.atomic
def issue_recovery_codes(user: User, *, by: Actor) -> list[str]:
    """New recovery codes, replacing any earlier ones. Returned once, to be shown once; only
    their digests are stored."""
    device, _created = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=recovery_code_digest(code)) for code in codes
    )
    record(
        AuditKind.RECOVERY_CODES_ISSUED,
        actor=by,
        target=user,
        after={"recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def reset_second_factors(user: User, *, by: Actor, reason: str) -> None:
    """An administrator clears every factor of ``user`` (lost phone, departed authenticator)
    and ends their sessions, so whoever holds a signed-in session (or the lost phone) cannot
    enrol a factor of their own: the user signs in again and enrols. Audited, who/when/why."""
    if by.user is None or not can_reset_second_factors(by.user):
        raise PermissionDenied("Only administrators may reset someone's second factors.")
    if not reason.strip():
        raise ValueError("A reset says why.")
    before = factors_of(user)
    for device in all_devices_of(user):
        device.delete()  # type: ignore[attr-defined]
    record(
        AuditKind.SECOND_FACTORS_RESET,
        actor=by,
        target=user,
        before=before,
        after=factors_of(user),
        note=reason.strip(),
    )
    end_sessions(user, by=by, reason=reason.strip())


def _record_added(user: User, factor: str, *, by: Actor) -> None:
    record(AuditKind.SECOND_FACTOR_ADDED, actor=by, target=user, after={"factor": factor})


def _new_recovery_code() -> str:
    """16 base32 characters (80 random bits), in groups of four to read and type."""
    raw = b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))
