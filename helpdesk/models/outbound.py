"""Outgoing mail: every email the system sends, recorded before it leaves (``helpdesk.emails``
writes these rows; nothing else does). A row holds the whole message as rendered, so a retry
sends exactly what was queued, and a message that could not be sent stays here, never lost."""

from django.db import models
from django.utils import timezone

from helpdesk.models.tickets import Ticket

KEY_LENGTH = 200


class OutboundStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (no more attempts)"


class OutboundEmail(models.Model):
    """One email (about a ticket, a notice, a form, an access request, or in answer to an
    inbound message), with the Message-ID replies will quote."""

    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    kind = models.CharField(max_length=40)  # the template: emails/<kind>-subject.txt, -body.txt
    # What this one message is, e.g. "ticket:42:assigned:v7:<recipients digest>": the same
    # email queued twice (a retried task, a retried batch) is one row, sent once.
    key = models.CharField(max_length=KEY_LENGTH, unique=True)
    message_id = models.CharField(max_length=255, unique=True)
    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=998)  # the longest line RFC 5322 allows
    body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # Files sent with it: [{"filename", "storage_name", "mimetype"}], read from the default
    # storage when the message leaves.
    attachments = models.JSONField(default=list, blank=True)
    # Secrets the message carries that are never stored (a one-time link): {marker: [maker,
    # object id]}; the body holds only the random marker, replaced when the message leaves.
    secrets = models.JSONField(default=dict, blank=True)
    # Set when the email answered an inbound message automatically (RFC 3834): the address it
    # went to, lower-cased, so the per-sender daily limit is one indexed count.
    auto_reply_to = models.CharField(max_length=254, blank=True, db_index=True)
    status = models.CharField(
        max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # While pending: when the next attempt is due (the sweep re-queues what is long overdue).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbound_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


class OutboundRecipient(models.Model):
    """One address an email goes to, with the Message-ID of the copy sent to that address
    alone. The Message-ID is unguessable, so a reply quoting it (In-Reply-To, References)
    proves that its sender read that copy: the way a reply proves its sender
    (``helpdesk.emails.was_sent_to``)."""

    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="copies")
    address = models.CharField(max_length=254)  # lower-cased
    message_id = models.CharField(max_length=255, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["email", "address"], name="outbound_one_copy_each")
        ]

    def __str__(self) -> str:
        return self.address  # never the Message-ID: it is this address's proof
