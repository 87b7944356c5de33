"""Recovery codes: a django-otp device whose codes are stored only as SHA-256 digests.

django-otp's own static device keeps its tokens in clear, and no secret is kept in clear here
(docs/security.md). A code is 16 random base32 characters (80 bits), shown once when issued;
a plain digest of that much randomness cannot be reversed, and unlike a keyed hash it survives
a rotation of ``SECRET_KEY``. Each code works once.
"""

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin


def recovery_code_digest(code: str) -> str:
    """The stored form of a code, read the way people type it (any case, spaces, dashes)."""
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """One per user: the set of recovery codes issued last (issuing again replaces them)."""

    class Meta(Device.Meta):
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token: str) -> bool:
        """True once per issued code; wrong guesses slow further tries down (throttling)."""
        allowed, _reason = self.verify_is_allowed()
        if not allowed:
            return False
        used = self.codes.filter(digest=recovery_code_digest(str(token))).delete()[0]
        if not used:
            self.throttle_increment()
            return False
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, db_index=True)

    def __str__(self) -> str:
        return f"recovery code of {self.device.user}"
