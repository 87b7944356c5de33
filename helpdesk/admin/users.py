from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from helpdesk.admin.audit import AuditedAdminMixin
from helpdesk.auth.mfa import factors_of
from helpdesk.models import User


@admin.register(User)
class CcapUserAdmin(AuditedAdminMixin, UserAdmin):
    list_display = [
        "username",
        "first_name",
        "last_name",
        "email",
        "role_names",
        "is_active",
        "last_login",
    ]
    list_filter = ["groups", "is_active", "is_superuser"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Roles", {"fields": ("is_active", "groups")}),
        ("Superuser", {"classes": ("collapse",), "fields": ("is_superuser",)}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
        ("Second factor", {"fields": ("second_factors",)}),
    )
    readonly_fields = ["last_login", "date_joined", "second_factors"]
    filter_horizontal = ["groups"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Second factors")
    def second_factors(self, obj: User) -> str:
        """How many, never what (no key), and the audited way to reset them."""
        if obj.pk is None:
            return "-"
        counts = factors_of(obj)
        return format_html(
            '{} authenticator app(s), {} passkey(s), {} recovery code(s). <a href="{}">Reset</a>',
            counts["totp"],
            counts["passkeys"],
            counts["recovery_codes"],
            reverse("mfa_reset", args=[obj.pk]),
        )

    @admin.display(description="Roles")
    def role_names(self, obj: User) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all()))


admin.site.unregister(Group)


@admin.register(Group)
class CcapGroupAdmin(AuditedAdminMixin, GroupAdmin):
    pass
