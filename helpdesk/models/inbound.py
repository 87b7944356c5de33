"""Inbound mail: every message that reaches the help desk mailbox, kept raw before anything
reads it, with what the intake made of it. Nothing is deleted from here but by the retention
rules (docs/retention.md): a quarantined or discarded message stays, with who decided and why."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InboundSource(models.TextChoices):
    PIPE = "pipe", "MTA pipe (ingest_mail)"
    IMAP = "imap", "IMAP mailbox"
    DROP = "drop", "Drop folder"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Waiting to be processed"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"


class Outcome(models.TextChoices):
    TICKET_CREATED = "ticket_created", "Ticket created"
    FOLLOWUP_ADDED = "followup_added", "Follow-up added"
    DUPLICATE = "duplicate", "Duplicate"
    QUARANTINED = "quarantined", "Quarantined"
    AUTO_REPLY_IGNORED = "auto_reply_ignored", "Automatic message ignored"
    HANDLED = "handled", "Handled"
    RELEASED = "released", "Released from quarantine"
    DISCARDED = "discarded", "Discarded"


class QuarantineReason(models.TextChoices):
    NOT_LOCAL_EXPERT = "not_local_expert", "Sender is not a designated local expert"
    NO_SIGN_IN = "no_sign_in", "Local expert has no sign-in"
    NOT_PARTICIPANT = "not_participant", "Reply from someone outside the ticket"
    SPOOFED = "spoofed", "DMARC failed: possibly spoofed"
    NO_SENDER = "no_sender", "No usable sender address"
    UNREADABLE = "unreadable", "Could not be read"
    MESSAGE_ID_CONFLICT = "message_id_conflict", "Same Message-ID as another, different content"
    NEEDS_REVIEW = "needs_review", "Recognised, but a person must act on it"
    AMBIGUOUS_SENDER = "ambiguous_sender", _("The From header can be read as more than one sender")
    UNVERIFIED_REPLY = (
        "unverified_reply",
        _("A reply that would speak for someone, sender not proven"),
    )


class SenderProof(models.TextChoices):
    """How the sender of an inbound message was proven (``helpdesk.mail.intake.sender_check``).
    Blank: not proven; the address is only what the sender wrote."""

    DMARC = "dmarc", _("Aligned DMARC pass from our mail server")
    REPLY = "reply", _("Reply to a message we sent to this address")
    HELP_DESK = "help_desk", _("Vouched for by the help desk (released)")


class InboundMessageQuerySet(models.QuerySet["InboundMessage"]):
    def without_raw(self) -> "InboundMessageQuerySet":
        """Lists never need the raw bytes, which can be megabytes each."""
        return self.defer("raw")

    def pending(self) -> "InboundMessageQuerySet":
        return self.filter(status=InboundStatus.RECEIVED)

    def quarantined(self) -> "InboundMessageQuerySet":
        return self.filter(outcome=Outcome.QUARANTINED)


class InboundMessage(models.Model):
    # Stored first, before any parsing.
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    # The bytes without what the way in adds (line endings, trace headers): every delivery of
    # one message has the same (``helpdesk.mail.fingerprint``). Blank on rows stored before it
    # existed; the duplicate check fills those it reads.
    normalised_hash = models.CharField(max_length=64, blank=True, db_index=True)
    source = models.CharField(max_length=10, choices=InboundSource.choices)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Where an IMAP message came from: a mailbox's (UIDVALIDITY, UID) names one message for ever.
    mailbox = models.CharField(max_length=200, blank=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    # Imported as backlog (first poll of a mailbox, or very old): no automatic replies.
    quiet = models.BooleanField(default=False)
    # The intake answered it automatically (counted for the per-sender daily limit at decision
    # time, so a burst is limited before the worker has sent anything).
    auto_replied = models.BooleanField(default=False)

    # What the intake made of it.
    status = models.CharField(
        max_length=10, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    quarantine_reason = models.CharField(
        max_length=24, choices=QuarantineReason.choices, blank=True
    )
    detail = models.TextField(blank=True, help_text="Why the intake decided what it did.")
    # The mail handler (``helpdesk.mail.handlers``) that took the message or held it for review:
    # a release offers it to that handler again.
    handler = models.CharField(max_length=50, blank=True)
    error = models.TextField(blank=True, help_text="The last processing error, for a failure.")
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    from_address = models.CharField(max_length=254, blank=True, db_index=True)
    from_name = models.CharField(max_length=150, blank=True)
    # Whether the sender is who the From says, and why (or why not): set by the intake.
    sender_proof = models.CharField(max_length=10, choices=SenderProof.choices, blank=True)
    sender_note = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="The Date header.")
    ticket = models.ForeignKey(
        "helpdesk.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    # A help desk decision on a quarantined message.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = InboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_status_received"),
            models.Index(fields=["outcome", "received_at"], name="inbound_outcome_received"),
        ]
        constraints = [
            # Two pollers fetching the same message: the second insert fails, nothing doubles.
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"],
                condition=Q(uid__isnull=False),
                name="inbound_one_row_per_imap_message",
            )
        ]

    def __str__(self) -> str:
        return f"Inbound #{self.pk} {self.message_id or self.sha256[:12]}"

    @property
    def sender_verified(self) -> bool:
        return bool(self.sender_proof)

    @property
    def raw_bytes(self) -> bytes:
        return bytes(self.raw)


class MailReply(models.Model):
    """An answer by email shown on what it answers (an access request, a security form) for the
    help desk; it changes nothing by itself. The raw message keeps everything, attachments
    too. Concrete models add the foreign key to what is answered."""

    inbound = models.ForeignKey(
        "helpdesk.InboundMessage", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_address = models.EmailField(max_length=254)
    subject = models.CharField(max_length=998, blank=True)
    body = models.TextField(blank=True)
    attachment_names = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["received_at", "id"]

    @property
    def answered(self) -> models.Model:
        """What the reply answers: the concrete model's foreign key."""
        raise NotImplementedError


class MailboxState(models.Model):
    """What the poller knows of an IMAP mailbox: its UIDVALIDITY when first polled, so the
    first poll of a full mailbox is recognised and imported quietly."""

    mailbox = models.CharField(max_length=200, unique=True)
    uidvalidity = models.BigIntegerField()
    first_polled_at = models.DateTimeField(default=timezone.now)
    last_polled_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.mailbox} (UIDVALIDITY {self.uidvalidity})"
