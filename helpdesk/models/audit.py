"""The audit trail: who did what to which record, when, with the values before and after."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class AuditKind(models.TextChoices):
    CREATED = "created", "Created"
    CHANGED = "changed", "Changed"
    DELETED = "deleted", "Deleted"
    DESIGNATED = "designated", "Local expert designated"
    UNDESIGNATED = "undesignated", "Local expert designation removed"
    ABSENCE_RECORDED = "absence_recorded", "Absence recorded"
    ABSENCE_CANCELLED = "absence_cancelled", "Absence cancelled"
    ROLES_CHANGED = "roles_changed", "Roles changed"
    # Leavers: sign-in disabled (sessions, sockets and tokens ended) and, by the help desk only,
    # restored; a revoked emailed link.
    DEACTIVATED = "deactivated", "Deactivated"
    SESSIONS_ENDED = "sessions_ended", "Sessions ended"
    REACTIVATED = "reactivated", "Reactivated"
    TOKEN_REVOKED = "token_revoked", "Token revoked"
    # Personal access tokens of the API (helpdesk.api.tokens)
    API_TOKEN_CREATED = "api_token_created", "API token created"
    API_TOKEN_REVOKED = "api_token_revoked", "API token revoked"
    TRANSITION = "transition", "State changed"
    MAIL_RELEASED = "mail_released", "Inbound message released from quarantine"
    MAIL_DISCARDED = "mail_discarded", "Inbound message discarded"
    MAIL_REPROCESSED = "mail_reprocessed", "Inbound message reprocessed"
    DOWNLOADED = "downloaded", "Downloaded"
    EXPORTED = "exported", "Exported for monitoring"
    NOTICE_PUBLISHED = "notice_published", "Notice published"
    NOTICE_UPDATED = "notice_updated", "Notice updated"
    NOTICE_RESOLVED = "notice_resolved", "Notice resolved"
    # The procedures library
    ARCHIVED = "archived", "Archived"
    RESTORED = "restored", "Restored"
    PROCEDURES_SENT = "procedures_sent", "Procedures sent for acknowledgement"
    PROCEDURE_ACKNOWLEDGED = "procedure_acknowledged", "Procedure acknowledged"
    # Second factors (helpdesk.auth.services)
    SECOND_FACTOR_ADDED = "second_factor_added", "Second factor added"
    RECOVERY_CODES_ISSUED = "recovery_codes_issued", "Recovery codes issued"
    SECOND_FACTORS_RESET = "second_factors_reset", "Second factors reset"
    # Retention (helpdesk.retention): legal holds, purges by rule, anonymised people.
    HOLD_PLACED = "hold_placed", "Legal hold placed"
    HOLD_RELEASED = "hold_released", "Legal hold released"
    PURGED = "purged", "Purged by retention rule"
    ANONYMISED = "anonymised", "Anonymised by retention rule"
    # Webhooks (helpdesk.webhooks.services): created, changed and deleted are the kinds above
    WEBHOOK_PAUSED = "webhook_paused", "Webhook paused"
    WEBHOOK_RESUMED = "webhook_resumed", "Webhook resumed"
    WEBHOOK_RESENT = "webhook_resent", "Webhook delivery resent"
    # The agency's staff list (helpdesk.directory.staff): undone by the help desk; designation
    # changes asked for by the agency, decided by the help desk.
    STAFF_CHANGE_UNDONE = "staff_change_undone", "Staff list change undone"
    DESIGNATION_REQUESTED = "designation_requested", "Designation change requested"
    DESIGNATION_APPROVED = "designation_approved", "Designation change approved"
    DESIGNATION_DECLINED = "designation_declined", "Designation change declined"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_object(self, obj: models.Model) -> "AuditEventQuerySet":
        return self.filter(
            target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk)
        )


class AuditEvent(models.Model):
    """An immutable record. Written only through ``helpdesk.audit.record``."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        help_text="Empty when the system acted (a schedule, a command, the mail intake).",
    )
    actor_label = models.CharField(
        max_length=150, help_text="Who acted, as shown when the event was written."
    )
    kind = models.CharField(max_length=40, choices=AuditKind.choices, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=255)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)
    # The personal access token the change came through (helpdesk.api), by its id; empty for
    # a page, a command or the system. Tokens are revoked, never deleted.
    via_token = models.PositiveBigIntegerField(null=True, blank=True)
    # The hash chain (``helpdesk.audit``): the row's place in the chain, the hash of the row
    # before it, and the hash of this row's canonical content with that one. An edited, deleted
    # or slipped-in row breaks it (``manage.py verify_audit``).
    seq = models.PositiveBigIntegerField(unique=True, null=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    row_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label}: {self.kind} {self.target_repr}"

    def changed_fields(self) -> dict[str, tuple[object, object]]:
        before, after = self.before or {}, self.after or {}
        return {
            key: (before.get(key), after.get(key))
            for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)
        }


class AuditChainHead(models.Model):
    """The end of the audit trail's hash chain: one row, locked by every audit write until its
    transaction ends, so rows join the chain one at a time in the order they commit."""

    seq = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64)
    # Where the kept chain starts: the place and hash of the last row purged by a retention
    # rule (``helpdesk.audit.purge_through``), written in the purge's transaction; 0 and the
    # genesis hash while nothing was purged. ``verify`` walks from here.
    anchor_seq = models.PositiveBigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64, default="0" * 64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"audit chain at {self.seq}: {self.head_hash[:12]}"
