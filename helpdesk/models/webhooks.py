"""Webhooks: an outside system's subscription to the help desk's events, and each delivery of
one event to one subscription (``helpdesk.webhooks`` holds the rules)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# What a delivery keeps of the receiver's answer (its body, truncated) and of an error.
RESPONSE_EXCERPT_LENGTH = 500
ERROR_LENGTH = 500


class WebhookSubscription(models.Model):
    """A URL subscribed to some event types, with the secret its deliveries are signed with.
    The secret is needed in clear to sign (HMAC), so it cannot be hashed: it is stored
    encrypted (``helpdesk.webhooks.secrets``), never in clear."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=300, blank=True)
    secret_encrypted = models.TextField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Deliveries that failed for good one after the other (reset by a success): at
    # ``settings.WEBHOOK_PAUSE_AFTER_FAILURES`` the subscription is paused.
    consecutive_failures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["url", "pk"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event sent to one subscription: its body as signed, and how its attempts went.
    Its id is the message's ``webhook-id`` (the same on every attempt and on a resend, so the
    receiver can recognise a message it had)."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=50)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Retries stop 24 hours (``settings.WEBHOOK_RETRY_WINDOW_SECONDS``) after this: the
    # first attempt, or the last resend or resume.
    window_started_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=RESPONSE_EXCERPT_LENGTH, blank=True)
    error = models.CharField(max_length=ERROR_LENGTH, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.subscription_id} ({self.webhook_id})"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.pk}"
