"""Legal holds in the administration: placed and released through
``helpdesk.retention.services`` (administrators only, audited); a hold is never edited or
deleted, so its history stays on the row."""

from __future__ import annotations  # the stubs' generic admin types, not subscriptable at run time

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy

from helpdesk.admin.audit import admin_actor
from helpdesk.models import LegalHold
from helpdesk.retention.permissions import may_manage_holds
from helpdesk.retention.services import place_hold, release_hold

RELEASE_NOTE = "Released in the administration pages."
ENTRY = ["person", "agency", "ticket", "reason"]
HISTORY = ["placed_by", "placed_at", "released_by", "released_at", "release_note"]


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ["__str__", "reason", "placed_by", "placed_at", "released_at"]
    list_filter = [("released_at", admin.EmptyFieldListFilter)]
    search_fields = ["reason"]
    autocomplete_fields = ["person", "agency", "ticket"]
    list_select_related = ["placed_by"]
    actions = ["release"]

    def get_fields(self, request: HttpRequest, obj: LegalHold | None = None) -> Any:
        return ENTRY if obj is None else [*ENTRY, *HISTORY]

    def get_readonly_fields(self, request: HttpRequest, obj: LegalHold | None = None) -> Any:
        return HISTORY if obj is None else [*ENTRY, *HISTORY]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_manage_holds(request.user)

    def has_view_permission(self, request: HttpRequest, obj: LegalHold | None = None) -> bool:
        return may_manage_holds(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_manage_holds(request.user)

    def has_change_permission(self, request: HttpRequest, obj: LegalHold | None = None) -> bool:
        # Seen, never edited: the only change is a release (the action).
        return obj is None and may_manage_holds(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: LegalHold | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: LegalHold, form: ModelForm[Any], change: bool
    ) -> None:
        placed = place_hold(
            by=admin_actor(request),
            reason=obj.reason,
            person=obj.person,
            agency=obj.agency,
            ticket=obj.ticket,
        )
        obj.pk = placed.pk

    @admin.action(description=gettext_lazy("Release the selected holds"))
    def release(self, request: HttpRequest, queryset: QuerySet[LegalHold]) -> None:
        released = 0
        for hold in queryset.filter(released_at__isnull=True):
            release_hold(hold, by=admin_actor(request), note=RELEASE_NOTE)
            released += 1
        self.message_user(
            request, gettext("%(count)d holds released.") % {"count": released}, messages.SUCCESS
        )
