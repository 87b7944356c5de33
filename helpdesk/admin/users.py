from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from helpdesk.admin.audit import AuditedAdminMixin, admin_actor
from helpdesk.auth.mfa import factors_of
from helpdesk.directory.services import deactivate_user, reactivate_user
from helpdesk.models import User

ADMIN_DEACTIVATION = "Deactivated in the administration pages."
ADMIN_REACTIVATION = "Reactivated in the administration pages."


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
        ("Roles", {"fields": ("is_active", "sign_in_source", "groups")}),
        ("Superuser", {"classes": ("collapse",), "fields": ("is_superuser",)}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
        ("Second factor", {"fields": ("second_factors",)}),
    )
    # Active is never ticked here: a login is disabled by the deactivation service (sessions,
    # sockets, tokens and designations end with it) and restored only by the help desk.
    readonly_fields = ["last_login", "date_joined", "is_active", "sign_in_source", "second_factors"]
    filter_horizontal = ["groups"]
    actions = ["deactivate", "reactivate"]

    @admin.action(description=gettext_lazy("Deactivate: they left (sign-in, sessions, tokens)"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            deactivate_user(user, by=admin_actor(request), reason=ADMIN_DEACTIVATION)
        self.message_user(request, gettext("Deactivated %d login(s).") % queryset.count())

    @admin.action(description=gettext_lazy("Reactivate (help desk staff only)"))
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        try:
            for user in queryset:
                reactivate_user(user, by=admin_actor(request), reason=ADMIN_REACTIVATION)
        except PermissionDenied:
            self.message_user(
                request, gettext("Only help desk staff reactivate logins."), messages.ERROR
            )
            return
        self.message_user(request, gettext("Reactivated %d login(s).") % queryset.count())

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
