"""The REST API's own records: personal access tokens and the first answers of idempotent POSTs
(``helpdesk.api``, docs/api.md)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    """What a token may be used for. Each scope includes the ones before it: ``write`` also
    reads, ``admin`` also writes. A scope never widens what the token's owner may do."""

    READ = "read", _("Read")
    WRITE = "write", _("Read and write")
    ADMIN = "admin", _("Read, write and administer")


SCOPE_RANK = {TokenScope.READ: 1, TokenScope.WRITE: 2, TokenScope.ADMIN: 3}


class ApiToken(models.Model):
    """A personal access token. Only the SHA-256 of its secret is kept (the secret is 256 random
    bits, so a plain hash cannot be reversed by guessing); the secret is shown once, when made.
    ``prefix`` (the secret's first characters) names it on its owner's page and in the audit
    trail. Never deleted: revoked, so the audit rows that name it keep meaning something."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=16, db_index=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(_("scope"), max_length=10, choices=TokenScope.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"API token {self.prefix}… ({self.name})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def grants(self, scope: str) -> bool:
        return SCOPE_RANK[TokenScope(self.scope)] >= SCOPE_RANK[TokenScope(scope)]


class IdempotentRequest(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key`` header, kept 24 hours: the
    same key from the same user on the same route gets it again instead of acting twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    route = models.CharField(max_length=300)
    # SHA-256 of the request body: the same key with another body is refused (422).
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "route"], name="idempotent_once")
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.key}"
