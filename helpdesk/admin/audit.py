"""Every change made in the admin is written to the audit trail; the trail itself is read-only."""

from __future__ import annotations  # the stubs' generic forms, not subscriptable at run time

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms import BaseModelFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.actor import Actor
from helpdesk.audit import record, snapshot, snapshot_from_db
from helpdesk.audit_export import ExportFilter, export
from helpdesk.directory.roles import Role
from helpdesk.models import Agency, AuditEvent, AuditKind, Person, User

ADMIN_NOTE = "Changed in the administration pages."

if TYPE_CHECKING:  # a mixin of model admins: what it extends, for mypy
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


def admin_actor(request: HttpRequest) -> Actor:
    """The staff member acting in the admin, which lets only signed-in staff in."""
    user = request.user
    if not isinstance(user, User):
        raise TypeError("The admin acts for a signed-in user.")
    return Actor.of(user)


class AuditedAdminMixin(_ModelAdmin):
    """Records who created, changed or deleted what in the admin, with before and after values,
    for the object and for every inline row."""

    def save_model(
        self, request: HttpRequest, obj: Model, form: ModelForm[Any], change: bool
    ) -> None:
        # The stored state rides on the instance until save_related has saved its relations.
        obj._audit_before = snapshot_from_db(obj) if change else None  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[Any],
        formsets: list[BaseModelFormSet[Any, Any]],
        change: bool,
    ) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before, after = getattr(obj, "_audit_before", None), snapshot(obj)
        if before != after:
            kind = AuditKind.CHANGED if change else AuditKind.CREATED
            record(
                kind,
                actor=admin_actor(request),
                target=obj,
                before=before,
                after=after,
                note=ADMIN_NOTE,
            )

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm[Any],
        formset: BaseModelFormSet[Any, Any],
        change: bool,
    ) -> None:
        befores = {f.instance.pk: snapshot_from_db(f.instance) for f in formset.initial_forms}
        # Deletions are recorded first: a deleted row loses its id. The admin saves inside one
        # transaction, so a failed save takes these events back with it.
        for deleted in formset.deleted_forms:
            if deleted.instance.pk is not None:
                record(
                    AuditKind.DELETED,
                    actor=admin_actor(request),
                    target=deleted.instance,
                    before=befores.get(deleted.instance.pk),
                    note=ADMIN_NOTE,
                )
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            record(
                AuditKind.CREATED,
                actor=admin_actor(request),
                target=obj,
                after=snapshot(obj),
                note=ADMIN_NOTE,
            )
        for obj, _fields in formset.changed_objects:
            record(
                AuditKind.CHANGED,
                actor=admin_actor(request),
                target=obj,
                before=befores.get(obj.pk),
                after=snapshot(obj),
                note=ADMIN_NOTE,
            )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        before = snapshot(obj)
        record(
            AuditKind.DELETED,
            actor=admin_actor(request),
            target=obj,
            before=before,
            note=ADMIN_NOTE,
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            record(
                AuditKind.DELETED,
                actor=admin_actor(request),
                target=obj,
                before=snapshot(obj),
                note=ADMIN_NOTE,
            )
        super().delete_queryset(request, queryset)


_DATE = forms.DateInput({"type": "date"})


class ExportForm(forms.Form):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.order_by("name"), required=False, label=_("Agency")
    )
    person = forms.EmailField(
        required=False, label=_("Person"), help_text=_("Any of the person's email addresses.")
    )
    system = forms.SlugField(
        required=False, label=_("System"), help_text=_('A system\'s code, e.g. "ccts".')
    )
    since = forms.DateField(required=False, label=_("From"), widget=_DATE)
    until = forms.DateField(required=False, label=_("To"), widget=_DATE)

    def clean_person(self) -> Person | None:
        address = self.cleaned_data["person"]
        if not address:
            return None
        person = Person.objects.with_email(address).first()
        if person is None:
            raise forms.ValidationError(_("No one in the directory has that address."))
        return person

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    change_list_template = "admin/helpdesk/auditevent/change_list.html"
    list_display = ["at", "actor_label", "kind", "target_type", "target_repr", "note"]
    list_filter = ["kind", "target_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_label", "target_repr", "note", "target_id"]
    date_hierarchy = "at"
    list_select_related = ["target_type"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        export = self.admin_site.admin_view(self.export_view)
        return [path("export/", export, name="helpdesk_auditevent_export"), *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """Administrators take the trail, or part of it, for a monitor: a zip of the CSV, the
        JSON Lines and the manifest (``helpdesk.audit_export``); the export is audited."""
        by = admin_actor(request)
        if not by.has_role(Role.ADMINISTRATOR):
            raise PermissionDenied(_("Only administrators export the audit trail."))
        form = ExportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            made = export(ExportFilter(**form.cleaned_data), by=by)
            response = HttpResponse(made.zip_bytes(), content_type="application/zip")
            name = f"audit-export-{timezone.localdate().isoformat()}.zip"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": _("Export the audit trail for monitoring"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/helpdesk/auditevent/export.html", context)
