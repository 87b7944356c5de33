"""Admin for the escalation app's data, registered here so that changes are audited
(escalation knows no other app, so it cannot use the audit mixin itself)."""

from __future__ import annotations  # the stubs' generic forms, not subscriptable at run time

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest

from escalation.models import BusinessClosure, SlaPolicy
from helpdesk.admin.audit import AuditedAdminMixin, admin_actor
from helpdesk.admin.read_only import ReadOnlyAdminMixin
from helpdesk.models import SavedReply, Ticket


@admin.register(BusinessClosure)
class BusinessClosureAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Snow days and early closings: business time inside them does not count."""

    list_display = ["starts_at", "ends_at", "reason", "created_at"]
    ordering = ["-starts_at"]
    search_fields = ["reason"]
    date_hierarchy = "starts_at"
    readonly_fields = ["created_at"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "tier",
        "priority",
        "first_response_hours",
        "resolve_hours",
        "update_interval_hours",
    ]
    list_filter = ["tier"]
    ordering = ["tier", "priority"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: tickets change through the workflow, on the ticket pages."""

    list_display = ["reference", "summary", "office", "state", "priority", "assignee", "created_at"]
    list_filter = ["state", "priority", "system", "office__agency__kind"]
    search_fields = ["tracking_number", "summary", "office__agency__name", "mis_reference"]
    list_select_related = ["office__agency", "assignee"]
    date_hierarchy = "created_at"


@admin.register(SavedReply)
class SavedReplyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Each role's staff keep their saved replies on their own page; here an administrator may
    also move one between roles or retire it (audited like every admin change)."""

    list_display = ["title", "owner", "action", "active", "updated_at"]
    list_filter = ["owner", "active", "action"]
    search_fields = ["title", "body"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(
        self, request: HttpRequest, obj: Model, form: ModelForm[Any], change: bool
    ) -> None:
        if not change and isinstance(obj, SavedReply):
            obj.created_by = admin_actor(request).user
        super().save_model(request, obj, form, change)
