"""Forms of the procedures pages: they validate input only; the services change things."""

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict

from helpdesk.models import Agency, Office, Procedure, ProcedureAudience


class ProcedureSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Title or text")
    audience = forms.ChoiceField(
        choices=[("", "Any audience"), *ProcedureAudience.choices], required=False
    )
    archived = forms.BooleanField(required=False, label="Archived only")


class ProcedureForm(forms.Form):
    title = forms.CharField(max_length=200)
    audience = forms.ChoiceField(choices=ProcedureAudience.choices)
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text="Markdown: # headings, - lists, **bold**, [links](https://example.org).",
    )
    change_note = forms.CharField(
        max_length=300, label="What changed", help_text="Shown in the history."
    )

    @classmethod
    def for_procedure(cls, procedure: Procedure, data: QueryDict | None = None) -> "ProcedureForm":
        version = procedure.current
        initial = {"title": version.title, "audience": procedure.audience, "body": version.body}
        return cls(data, initial=initial)


class ArchiveForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 2}), label="Why archive it?"
    )


class AcknowledgementFilterForm(forms.Form):
    procedure = forms.ModelChoiceField(
        queryset=Procedure.objects.none(),
        required=False,
        empty_label="Every procedure",
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), required=False, empty_label="Every agency"
    )
    office = forms.ModelChoiceField(
        queryset=Office.objects.none(), required=False, empty_label="Every office"
    )
    outstanding = forms.BooleanField(required=False, label="Outstanding only")

    def __init__(
        self,
        *args: Any,
        procedures: QuerySet[Procedure],
        offices: QuerySet[Office],
        **kwargs: Any,
    ) -> None:
        """The procedures and offices the user may see; the choices are limited to them."""
        super().__init__(*args, **kwargs)
        _choices(self, "procedure").queryset = procedures
        _choices(self, "office").queryset = offices.order_by("agency__name", "name")
        _choices(self, "agency").queryset = Agency.objects.filter(
            pk__in=offices.values("agency_id")
        ).order_by("name")


def _choices(form: forms.Form, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])
