"""Every change made in the admin is written to the audit trail; the trail itself is read-only."""

from django.contrib import admin

from helpdesk.actor import Actor
from helpdesk.audit import record, snapshot, snapshot_from_db
from helpdesk.models import AuditEvent, AuditKind

ADMIN_NOTE = "Changed in the administration pages."


class AuditedAdminMixin:
    """Records who created, changed or deleted what in the admin, with before and after values,
    for the object and for every inline row."""

    def save_model(self, request, obj, form, change) -> None:
        obj._audit_before = snapshot_from_db(obj) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before, after = getattr(obj, "_audit_before", None), snapshot(obj)
        if before != after:
            kind = AuditKind.CHANGED if change else AuditKind.CREATED
            record(
                kind,
                actor=Actor.of(request.user),
                target=obj,
                before=before,
                after=after,
                note=ADMIN_NOTE,
            )

    def save_formset(self, request, form, formset, change) -> None:
        befores = {f.instance.pk: snapshot_from_db(f.instance) for f in formset.initial_forms}
        # Deletions are recorded first: a deleted row loses its id. The admin saves inside one
        # transaction, so a failed save takes these events back with it.
        for deleted in formset.deleted_forms:
            if deleted.instance.pk is not None:
                record(
                    AuditKind.DELETED,
                    actor=Actor.of(request.user),
                    target=deleted.instance,
                    before=befores.get(deleted.instance.pk),
                    note=ADMIN_NOTE,
                )
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            record(
                AuditKind.CREATED,
                actor=Actor.of(request.user),
                target=obj,
                after=snapshot(obj),
                note=ADMIN_NOTE,
            )
        for obj, _fields in formset.changed_objects:
            record(
                AuditKind.CHANGED,
                actor=Actor.of(request.user),
                target=obj,
                before=befores.get(obj.pk),
                after=snapshot(obj),
                note=ADMIN_NOTE,
            )

    def delete_model(self, request, obj) -> None:
        before = snapshot(obj)
        record(
            AuditKind.DELETED,
            actor=Actor.of(request.user),
            target=obj,
            before=before,
            note=ADMIN_NOTE,
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            record(
                AuditKind.DELETED,
                actor=Actor.of(request.user),
                target=obj,
                before=snapshot(obj),
                note=ADMIN_NOTE,
            )
        super().delete_queryset(request, queryset)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "kind", "target_type", "target_repr", "note"]
    list_filter = ["kind", "target_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_label", "target_repr", "note", "target_id"]
    date_hierarchy = "at"
    list_select_related = ["target_type"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
