"""Personal access tokens of the API: make one (its secret shown once), list, revoke, and find the
token a request's ``Authorization: Bearer`` header names.

A secret is ``ccap_`` and 43 characters of ``secrets.token_urlsafe(32)`` (256 random bits);
only its SHA-256 is stored, which is enough for a secret that cannot be guessed (a keyed or
slow hash guards low-entropy passwords, which this is not). The first characters after
``ccap_`` are kept in clear as the token's prefix, to tell tokens apart on the owner's page.

A token is a credential of its own: it never passes a second factor, so making one needs a
session that has passed it when the owner must use one (``helpdesk.auth.mfa``). A leaver's
tokens are revoked with their login (the directory's leaver hooks), and a token of an inactive
login never authenticates anyway.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.auth.mfa import needs_second_factor
from helpdesk.directory.roles import Role
from helpdesk.models import ApiToken, AuditKind, Person, TokenScope, User

SECRET_PREFIX = "ccap_"  # noqa: S105  # a marker, not a secret
PREFIX_LENGTH = 8  # characters of the secret kept in clear, after "ccap_"
# Last use is written at most this often per token: not one UPDATE per request.
LAST_USED_EVERY = timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def max_expiry(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(days=settings.API_TOKEN_MAX_DAYS)


def scopes_for(user: User) -> list[TokenScope]:
    """The scopes ``user`` may give a token: ``admin`` only to help desk staff and
    administrators (the API's directory writes are theirs)."""
    scopes = [TokenScope.READ, TokenScope.WRITE]
    if Actor.of(user).has_role(Role.HELP_DESK, Role.ADMINISTRATOR):
        scopes.append(TokenScope.ADMIN)
    return scopes


def tokens_of(user: User) -> list[ApiToken]:
    """The owner's tokens, newest first, revoked and expired ones included (their page)."""
    return list(ApiToken.objects.filter(user=user))


@transaction.atomic
def create_token(
    *,
    by: Actor,
    name: str,
    scope: str,
    expires_at: datetime,
    second_factor_passed: bool,
) -> tuple[ApiToken, str]:
    """A new token of ``by``'s own, and its secret (shown once, never stored)."""
    user = by.user
    if user is None or not user.is_active:
        raise PermissionDenied(_("Only a signed-in user makes an API token."))
    if by.token_id is not None:
        raise PermissionDenied(_("A token cannot make another token: sign in to make one."))
    if needs_second_factor(user) and not second_factor_passed:
        raise PermissionDenied(_("Pass your second factor before making an API token."))
    if scope not in scopes_for(user):
        raise ValidationError({"scope": _("You may not give a token this scope.")})
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires_at": _("Choose a date in the future.")})
    if expires_at > max_expiry(now):
        raise ValidationError(
            {
                "expires_at": _("A token lives at most %(days)s days.")
                % {"days": settings.API_TOKEN_MAX_DAYS}
            }
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=secret[len(SECRET_PREFIX) : len(SECRET_PREFIX) + PREFIX_LENGTH],
        secret_hash=digest(secret),
        scope=scope,
        created_at=now,
        expires_at=expires_at,
    )
    record(
        AuditKind.API_TOKEN_CREATED,
        actor=by,
        target=token,
        after={"name": token.name, "scope": scope, "expires_at": expires_at.isoformat()},
    )
    return token, secret


@transaction.atomic
def revoke_token(token: ApiToken, *, by: Actor, reason: str = "") -> ApiToken:
    """The owner revokes their token (or the system does, for a leaver). Idempotent."""
    if not by.is_system and (by.user is None or by.user.pk != token.user_id):
        raise PermissionDenied(_("Only its owner revokes a token."))
    row = ApiToken.objects.select_for_update().get(pk=token.pk)
    if row.revoked_at is not None:
        return row
    row.revoked_at = timezone.now()
    row.revoked_reason = (reason or _("Revoked by its owner."))[:200]
    row.save(update_fields=["revoked_at", "revoked_reason"])
    record(
        AuditKind.API_TOKEN_REVOKED,
        actor=by,
        target=row,
        before={"revoked": False},
        after={"revoked": True},
        note=row.revoked_reason,
    )
    return row


def revoke_tokens_of_leaver(user: User | None, person: Person | None, by: Actor) -> None:
    """The directory's leaver hook: every live token of a disabled login is revoked (audited)."""
    if user is None:
        return
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        revoke_token(token, by=Actor.system("the login was disabled"), reason="Login disabled.")


def authenticate(secret: str) -> ApiToken | None:
    """The live token of an active login that ``secret`` is, or None."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(secret_hash=digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
