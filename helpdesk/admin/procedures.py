"""The procedures library in the administration: read-only. Writing a procedure makes a new
version, archives it or sends it, with an audit event each time; only the procedures pages (and
their services) do that, so the admin cannot bypass the history."""

from django.contrib import admin

from helpdesk.admin.read_only import ReadOnlyAdminMixin
from helpdesk.models import Procedure, ProcedureAcknowledgement, ProcedureVersion


class VersionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ProcedureVersion
    fields = readonly_fields = ("number", "title", "change_note", "created_by", "created_at")
    extra = 0
    show_change_link = False


@admin.register(Procedure)
class ProcedureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "audience", "version_number", "archived_at"]
    list_filter = ["audience", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["current_version__title", "current_version__body"]
    inlines = [VersionInline]
    list_select_related = ["current_version"]

    @admin.display(description="version")
    def version_number(self, obj: Procedure) -> int:
        return obj.current.number


@admin.register(ProcedureAcknowledgement)
class ProcedureAcknowledgementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["person", "version", "sent_at", "acknowledged_at", "how"]
    list_filter = ["how", ("acknowledged_at", admin.EmptyFieldListFilter)]
    search_fields = ["person__last_name", "person__first_name", "version__title"]
    list_select_related = ["person", "version"]
    exclude = ["link"]  # holds only a hash, but there is nothing to see in it
