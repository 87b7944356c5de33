"""Form types are data: an administrator adds one when the state changes its forms. Issued
forms change only through their workflow, on the forms pages; here they are read-only."""

from django.contrib import admin
from django.http import HttpRequest

from forms_4052_4055.models import FormType, SecurityForm
from helpdesk.admin.audit import AuditedAdminMixin


@admin.register(FormType)
class FormTypeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "title", "systems", "return_days", "valid_days", "active"]
    list_filter = ["active"]
    search_fields = ["code", "title"]


@admin.register(SecurityForm)
class SecurityFormAdmin(admin.ModelAdmin):
    list_display = ["reference", "form_type", "person", "state", "issued_at", "due_at"]
    list_filter = ["state", "form_type"]
    search_fields = ["reference", "person__last_name", "person__first_name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SecurityForm | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SecurityForm | None = None) -> bool:
        return False
