"""The admin site: administrators only, signing in through the application's own login page."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from helpdesk.directory.permissions import can_use_admin


class CcapAdminSite(admin.AdminSite):
    site_header = "CCAP Help Desk administration"
    site_title = "CCAP Help Desk admin"
    index_title = "Directory, logins and settings"

    def has_permission(self, request: HttpRequest) -> bool:
        return can_use_admin(request.user)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # One login page for everyone (with its throttling); signed-in non-administrators
        # are refused rather than asked to sign in again.
        if request.user.is_authenticated:
            raise PermissionDenied("The administration pages are for administrators.")
        return redirect_to_login(request.GET.get("next", request.get_full_path()))
