"""Outgoing mail in the admin, read-only: what was sent, what waits for a retry (with the last
error), and what failed after the last attempt, kept with its whole message."""

from django.contrib import admin

from helpdesk.admin.read_only import ReadOnlyAdminMixin
from helpdesk.models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["subject", "kind", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["subject", "key", "message_id", "recipients"]
    date_hierarchy = "created_at"
    fields = [
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "kind",
        "key",
        "ticket",
        "message_id",
        "recipients",
        "subject",
        "headers",
        "body",
        "attachments",
        "auto_reply_to",
    ]
