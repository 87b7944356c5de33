from __future__ import annotations  # the stubs' generic admin types, not subscriptable at run time

from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.forms import BaseModelFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy

from helpdesk.admin.audit import AuditedAdminMixin, admin_actor
from helpdesk.directory.services import (
    cancel_absence,
    deactivate_person,
    designate_local_expert,
    record_absence,
    remove_designation,
    welcome_newcomer,
)
from helpdesk.models import (
    Absence,
    Agency,
    DesignationRole,
    LocalExpertDesignation,
    Office,
    Person,
    PersonEmail,
    Region,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _OfficeCount(TypedDict):
    _office_count: int


@admin.register(Region)
class RegionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "name"]
    search_fields = ["name"]


class OfficeInline(admin.TabularInline):
    model = Office
    extra = 0
    fields = ["name", "city", "phone", "active"]
    show_change_link = True


@admin.register(Agency)
class AgencyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "region", "office_count", "active"]
    list_filter = ["kind", "region", "active"]
    search_fields = ["name", "code"]
    list_select_related = ["region"]
    inlines = [OfficeInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agency]:
        return super().get_queryset(request).annotate(_office_count=Count("offices"))

    @admin.display(description="Offices", ordering="_office_count")
    def office_count(self, obj: WithAnnotations[Agency, _OfficeCount]) -> int:
        return obj._office_count


class DesignationInline(admin.TabularInline):
    model = LocalExpertDesignation
    extra = 0
    max_num = 2
    fields = ["role", "person", "designated_at"]
    readonly_fields = ["designated_at"]
    autocomplete_fields = ["person"]


class MissingExpertFilter(admin.SimpleListFilter):
    title = "local experts"
    parameter_name = "experts"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("no_primary", "No primary"), ("no_alternate", "No alternate")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Office]) -> QuerySet[Office]:
        if self.value() in ("no_primary", "no_alternate"):
            role = DesignationRole.PRIMARY if self.value() == "no_primary" else "alternate"
            return queryset.exclude(designations__role=role)
        return queryset


@admin.register(Office)
class OfficeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "agency", "city", "primary_expert", "alternate_expert", "active"]
    list_filter = [MissingExpertFilter, "agency__kind", "agency__region", "active"]
    search_fields = ["name", "city", "agency__name", "agency__code"]
    autocomplete_fields = ["agency"]
    inlines = [DesignationInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Office]:
        return (
            super()
            .get_queryset(request)
            .select_related("agency")
            .prefetch_related("designations__person")
        )

    def _expert(self, obj: Office, role: str) -> str:
        found = [d.person for d in obj.designations.all() if d.role == role]
        return str(found[0]) if found else "-"

    @admin.display(description="Primary")
    def primary_expert(self, obj: Office) -> str:
        return self._expert(obj, DesignationRole.PRIMARY)

    @admin.display(description="Alternate")
    def alternate_expert(self, obj: Office) -> str:
        return self._expert(obj, DesignationRole.ALTERNATE)

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm[Any],
        formset: BaseModelFormSet[Any, Any],
        change: bool,
    ) -> None:
        if formset.model is not LocalExpertDesignation:
            return super().save_formset(request, form, formset, change)
        # Designations go through the directory service: one place for the rules, the audit
        # and the local expert role that follows a designation.
        for deleted in formset.deleted_forms:
            if deleted.instance.pk is not None:
                remove_designation(
                    deleted.instance, by=admin_actor(request), note="Removed in admin."
                )
        for row in formset.forms:
            if row in formset.deleted_forms or not row.has_changed() or not row.cleaned_data:
                continue
            designate_local_expert(
                form.instance,
                row.cleaned_data["person"],
                row.cleaned_data["role"],
                by=admin_actor(request),
                note="Designated in admin.",
            )
        # The admin's change message reads these; the audit trail has the full story.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return None


class PersonEmailInline(admin.TabularInline):
    model = PersonEmail
    extra = 1


class AbsenceInline(admin.TabularInline):
    """Shown, never written here: absences are recorded and cancelled through the directory's
    services (the Absences admin below, or the Absences page), which check and audit them."""

    model = Absence
    extra = 0
    fields = readonly_fields = ("starts_at", "ends_at", "reason", "recorded_by")

    def has_add_permission(self, request: HttpRequest, obj: Person | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Person | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Person | None = None) -> bool:
        return False


class DesignatedFilter(admin.SimpleListFilter):
    title = "local expert"
    parameter_name = "designated"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("yes", "Designated"), ("no", "Not designated")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Person]) -> QuerySet[Person]:
        if self.value() == "yes":
            return queryset.filter(designations__isnull=False).distinct()
        if self.value() == "no":
            return queryset.filter(designations__isnull=True)
        return queryset


@admin.register(Person)
class PersonAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["last_name", "first_name", "office", "job_title", "email", "user", "active"]
    list_filter = ["active", DesignatedFilter, "office__agency__kind", "office__agency__region"]
    search_fields = [
        "first_name",
        "last_name",
        "emails__address",
        "office__name",
        "office__agency__name",
        "user__username",
    ]
    autocomplete_fields = ["office", "user"]
    list_select_related = ["office__agency", "user"]
    inlines = [PersonEmailInline, AbsenceInline]
    # Leaving is the deactivation service's (the action below, or a departure report): it ends
    # the login, sessions, tokens and designations too. Only the help desk reactivates.
    readonly_fields = ["active", "left_on"]
    actions = ["deactivate"]

    @admin.action(description=gettext_lazy("Deactivate: they left (login, designations)"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        for person in queryset:
            deactivate_person(
                person, by=admin_actor(request), reason="Deactivated in the administration pages."
            )
        self.message_user(request, gettext("Deactivated %d person(s).") % queryset.count())

    def get_queryset(self, request: HttpRequest) -> QuerySet[Person]:
        return super().get_queryset(request).prefetch_related("emails")

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[Any],
        formsets: list[BaseModelFormSet[Any, Any]],
        change: bool,
    ) -> None:
        super().save_related(request, form, formsets, change)
        if not change:  # a newcomer, addresses saved: what the directory's services do next
            welcome_newcomer(form.instance)

    @admin.display(description="Email")
    def email(self, obj: Person) -> str:
        return obj.primary_email


@admin.register(LocalExpertDesignation)
class LocalExpertDesignationAdmin(admin.ModelAdmin):
    list_display = ["office", "role", "person", "designated_at"]
    list_filter = ["role", "office__agency__kind", "office__agency__region"]
    search_fields = [
        "person__first_name",
        "person__last_name",
        "office__name",
        "office__agency__name",
    ]
    autocomplete_fields = ["office", "person"]
    list_select_related = ["office__agency", "person"]
    readonly_fields = ["designated_at"]

    def has_change_permission(
        self, request: HttpRequest, obj: LocalExpertDesignation | None = None
    ) -> bool:
        # Change a designation by designating someone else: the service replaces and audits.
        return False

    def save_model(
        self,
        request: HttpRequest,
        obj: LocalExpertDesignation,
        form: ModelForm[Any],
        change: bool,
    ) -> None:
        designated = designate_local_expert(
            obj.office, obj.person, obj.role, by=admin_actor(request), note="Designated in admin."
        )
        obj.pk = designated.pk

    def delete_model(self, request: HttpRequest, obj: LocalExpertDesignation) -> None:
        remove_designation(obj, by=admin_actor(request), note="Removed in admin.")

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[LocalExpertDesignation]
    ) -> None:
        for designation in queryset:
            remove_designation(designation, by=admin_actor(request), note="Removed in admin.")


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    """Absences are recorded and cancelled through the directory's services, which check the
    dates and audit both; an absence is not edited (cancel it and record the right one)."""

    list_display = ["person", "starts_at", "ends_at", "reason", "recorded_by"]
    list_filter = [("ends_at", admin.DateFieldListFilter)]
    search_fields = ["person__first_name", "person__last_name", "reason"]
    autocomplete_fields = ["person"]
    list_select_related = ["person", "recorded_by"]
    readonly_fields = ["recorded_by"]
    date_hierarchy = "starts_at"

    def has_change_permission(self, request: HttpRequest, obj: Absence | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: Absence, form: ModelForm[Any], change: bool
    ) -> None:
        recorded = record_absence(
            obj.person,
            starts_at=obj.starts_at,
            ends_at=obj.ends_at,
            reason=obj.reason,
            by=admin_actor(request),
        )
        obj.pk = recorded.pk

    def delete_model(self, request: HttpRequest, obj: Absence) -> None:
        cancel_absence(obj, by=admin_actor(request), note="Cancelled in admin.")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Absence]) -> None:
        for absence in queryset:
            cancel_absence(absence, by=admin_actor(request), note="Cancelled in admin.")
