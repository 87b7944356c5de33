"""Second factors: who must pass one, and whether this session has.

One rule (``needs_second_factor``) decides who is stopped at the door: help desk staff, MIS
and administrators always (they see every agency), any login with Django's staff or superuser
flag, and anyone else who chose to enrol a factor. The middleware, the admin site and the
verify page all ask it; nothing else decides.
"""

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from helpdesk.directory.roles import STATE_ROLES, AnyUser, has_role
from helpdesk.models import RecoveryCodeDevice, User

# The roles that must use a second factor: the state side, which sees every agency's tickets.
SECOND_FACTOR_ROLES = STATE_ROLES
# Set by the single sign-on callback when the provider's ID token says it checked a second
# factor itself (its ``amr`` claim); counted like a factor of ours for the rest of the session.
PROVIDER_SECOND_FACTOR_SESSION_KEY = "ccap_second_factor_by_provider"
# The ``amr`` values (RFC 8176) that say the provider used more than a password.
SECOND_FACTOR_AMR = frozenset({"mfa", "otp", "hwk", "swk"})


def must_use_second_factor(user: AnyUser) -> bool:
    """Staff whose login opens every agency (or the admin site) may not skip the second step."""
    if not isinstance(user, User) or not user.is_active:
        return False
    return user.is_superuser or user.is_staff or has_role(user, *SECOND_FACTOR_ROLES)


def has_second_factor(user: AnyUser) -> bool:
    """An authenticator app or a passkey that works (recovery codes alone are a way back in,
    not a factor to keep)."""
    if not isinstance(user, User):
        return False
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def needs_second_factor(user: AnyUser) -> bool:
    """THE rule: whoever must, or chose to, pass a second factor after the password."""
    return must_use_second_factor(user) or has_second_factor(user)


def passed_second_factor(request: HttpRequest) -> bool:
    """Has this session passed a factor of ours (django-otp) or the provider's own?"""
    user = request.user
    is_verified = getattr(user, "is_verified", None)
    if callable(is_verified) and is_verified():
        return True
    return request.session.get(PROVIDER_SECOND_FACTOR_SESSION_KEY) is True


def session_passed_second_factor(user: User, session: SessionBase) -> bool:
    """The same question for a session without a request (a websocket): the device the
    session passed, read as django-otp's middleware reads it, must still be the user's."""
    if session.get(PROVIDER_SECOND_FACTOR_SESSION_KEY) is True:
        return True
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return device is not None and device.user_id == user.pk and bool(device.confirmed)


def held_back(request: HttpRequest) -> bool:
    """Signed in with a password, but still owing the second factor."""
    user = request.user
    return user.is_authenticated and needs_second_factor(user) and not passed_second_factor(request)


def factors_of(user: User) -> dict[str, int]:
    """How many of each factor the user holds (for their page, the audit trail and resets)."""
    recovery = RecoveryCodeDevice.objects.filter(user=user).first()
    return {
        "totp": TOTPDevice.objects.filter(user=user, confirmed=True).count(),
        "passkeys": WebAuthnCredential.objects.filter(user=user, confirmed=True).count(),
        "recovery_codes": recovery.codes.count() if recovery is not None else 0,
    }


def all_devices_of(user: User) -> list[object]:
    """Every django-otp device of the user, confirmed or not."""
    return list(devices_for_user(user, confirmed=None))
