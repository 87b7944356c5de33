"""Closures an administrator adds to the business calendar (escalation.calendar)."""

from django.db import models
from django.db.models import Q


class BusinessClosure(models.Model):
    """A period [starts_at, ends_at) when the offices are closed beyond the usual weekends and
    State holidays: a snow day (the whole day) or an early closing ("offices close at noon").
    Business time inside a closure does not count towards any clock."""

    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="business_closure_ends_after_it_starts",
                violation_error_message="A closure must end after it starts.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason}: {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"
