"""Outgoing mail in the admin, read-only: what was sent, what waits for a retry (with the last
error), and what failed after the last attempt, kept with its whole message."""

from django.contrib import admin

from helpdesk.admin.read_only import ReadOnlyAdminMixin
from helpdesk.models import OutboundEmail, OutboundRecipient


class CopyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Who got a copy, and when. Not its Message-ID: quoting it proves a reply comes from that
    address (``helpdesk.emails.was_sent_to``), so it is shown to no one."""

    model = OutboundRecipient
    fields = ["address", "sent_at"]
    extra = 0


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    inlines = [CopyInline]
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
