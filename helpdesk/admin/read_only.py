"""Admin pages that only show: for records that change through their own pages and services
(the workflow, notices, procedures), where an edit in the admin would skip the history, the
emails and the audit trail."""


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
