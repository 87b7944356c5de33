from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class SignInSource(models.TextChoices):
    """Who vouches for a login's password. Recorded when the login is made and never guessed
    afterwards: a directory may sign in only the logins it made itself."""

    LOCAL = "local", _("Local password")
    LDAP = "ldap", _("LDAP directory")
    OIDC = "oidc", _("Single sign-on (OpenID Connect)")


class User(AbstractUser):
    """A login. The person behind it, with office and contact details, is a ``Person``."""

    sign_in_source = models.CharField(
        _("signs in with"),
        max_length=10,
        choices=SignInSource.choices,
        default=SignInSource.LOCAL,
        help_text=_("Set when the login is made; LDAP and single sign-on use only their own."),
    )
    # Raised to end every session of the login at once, whatever the session store: Django
    # checks each session against ``get_session_auth_hash``, which mixes this number in.
    session_generation = models.PositiveIntegerField(_("session generation"), default=0)

    # Per-request caches of helpdesk.directory (roles_of, designated_office_ids): not fields.
    _ccap_roles: frozenset[str]
    _ccap_expert_offices: frozenset[int]

    # django-stubs does not declare AbstractUser.Meta, which Django has (verbose names).
    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's hash of the password (behind ``get_session_auth_hash`` and its fallbacks
        for rotated keys), with the session generation: raising the generation ends every
        session, and every password reset link (helpdesk.auth.tokens). Generation 0 keeps
        Django's own hash, so sessions made before this field existed stay valid."""
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "helpdesk.User.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username
