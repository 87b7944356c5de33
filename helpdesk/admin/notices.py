"""Notices in the admin, read-only: publishing, updating and resolving email the field, so
they happen on the notice pages, through the services, never by editing a row."""

from django.contrib import admin

from helpdesk.admin.read_only import ReadOnlyAdminMixin
from helpdesk.models import Notice, NoticeUpdate


class NoticeUpdateInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = NoticeUpdate
    fields = ["at", "kind", "by", "recipients", "text"]
    extra = 0


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "severity", "audience", "starts_at", "published_at", "resolved_at"]
    list_filter = ["severity", "audience", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "text"]
    date_hierarchy = "published_at"
    inlines = [NoticeUpdateInline]
