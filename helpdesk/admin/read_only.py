"""Admin pages that only show: for records that change through their own pages and services
(the workflow, notices, procedures), where an edit in the admin would skip the history, the
emails and the audit trail."""

from django.db.models import Model
from django.http import HttpRequest


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
