"""The admin site: administrators only, signing in through the application's own login page."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from helpdesk.auth.mfa import held_back, passed_second_factor
from helpdesk.directory.permissions import can_use_admin


class CcapAdminSite(admin.AdminSite):
    site_header = "CCAP Help Desk administration"
    site_title = "CCAP Help Desk admin"
    index_title = "Directory, logins and settings"

    def has_permission(self, request: HttpRequest) -> bool:
        # Like django-otp's OTPAdminSite: administrators, and only once past a second factor
        # (the middleware sends them to it first; this holds even without the middleware).
        return can_use_admin(request.user) and passed_second_factor(request)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # One login page for everyone (with its throttling); signed-in non-administrators
        # are refused rather than asked to sign in again; staff owing their second factor
        # are sent to pass it.
        if held_back(request):
            return redirect_to_login(
                request.get_full_path(), login_url=reverse("mfa_verify"), redirect_field_name="next"
            )
        if request.user.is_authenticated:
            raise PermissionDenied("The administration pages are for administrators.")
        return redirect_to_login(request.GET.get("next", request.get_full_path()))
