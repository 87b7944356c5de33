"""Data Sharing Agreements are recorded by the help desk in the admin (audited like every admin
change); saving one lets the access requests it held move on."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from access.models import DataSharingAgreement
from access.services import recheck_agency
from helpdesk.admin.audit import AuditedAdminMixin
from helpdesk.lib.uploads import sniff

SIGNED_COPY_TYPES = ("application/pdf", "image/png", "image/jpeg")


class AgreementForm(forms.ModelForm):
    class Meta:
        model = DataSharingAgreement
        fields = ["agency", "signed_on", "expires_on", "systems", "document", "note"]

    def clean_document(self) -> Any:
        document = self.cleaned_data.get("document")
        if document and hasattr(document, "read") and not getattr(document, "_committed", True):
            head = document.read(8192)
            document.seek(0)
            kind = sniff(head)
            if kind is None or kind.content_type not in SIGNED_COPY_TYPES:
                raise forms.ValidationError(_("Upload the signed agreement as a PDF or a scan."))
        return document


@admin.register(DataSharingAgreement)
class DataSharingAgreementAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = AgreementForm
    list_display = ["agency", "signed_on", "expires_on", "reminded_at"]
    list_filter = ["systems"]
    search_fields = ["agency__name", "agency__code"]
    date_hierarchy = "expires_on"

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        recheck_agency(form.instance.agency)  # requests waiting for it may be ready now
