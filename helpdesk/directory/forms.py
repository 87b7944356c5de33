from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from helpdesk.lib.inputs import NOTE_MAX, LimitedTextField, PhoneField, check_in_window
from helpdesk.models import Agency, AgencyKind, DesignationRole, Office, Person, Region


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's own date and time picker; plain text entry still works without it."""

    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class AbsenceForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.none(), label="Local expert")
    starts_at = forms.DateTimeField(label="Away from", widget=DateTimeLocalInput())
    ends_at = forms.DateTimeField(label="Back on", widget=DateTimeLocalInput())
    reason = forms.CharField(
        max_length=200, required=False, help_text="Optional, e.g. 'Vacation' or 'Training'."
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Person]", self.fields["person"]).queryset = people
        if people.count() == 1:
            self.fields["person"].initial = people.first()
            self.fields["person"].widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            raise ValidationError("The absence must end after it starts.")
        return cleaned


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=100)
    region = forms.ModelChoiceField(
        queryset=Region.objects.all(), required=False, empty_label="All regions"
    )
    kind = forms.ChoiceField(
        choices=[("", "All agency types"), *AgencyKind.choices], required=False, label="Type"
    )


def agency_choice_label(agency: Agency) -> str:
    """How an agency reads in a filter's list; closed agencies stay findable, marked."""
    return agency.name if agency.active else f"{agency.name} (inactive)"


class AgencyChoiceField(forms.ModelChoiceField):
    """An agency picked in a filter, labelled by ``agency_choice_label``."""

    def label_from_instance(self, obj: Agency) -> str:
        return agency_choice_label(obj)


class ReactivationForm(forms.Form):
    """The help desk restores someone who had left; the reason goes to the audit trail."""

    reason = forms.CharField(
        label=gettext_lazy("Why they are back"),
        max_length=500,
        help_text=gettext_lazy("Recorded in the audit trail, e.g. 'Rehired on 2026-03-02'."),
    )


# --- The agency's staff list --------------------------------------------------------------------


class StaffPersonForm(forms.Form):
    """A person of the office, as their local expert adds or corrects them."""

    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100)
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = PhoneField(label=gettext_lazy("Phone"), required=False)
    job_title = forms.CharField(
        label=gettext_lazy("Role in the office"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("For example 'Caseworker' or 'Office manager'."),
    )


def _designation_window(value: date) -> None:
    check_in_window(value, back=timedelta(days=30), ahead=timedelta(days=365))


class DesignationRequestForm(forms.Form):
    """The agency asks the help desk to change who is the office's primary or alternate."""

    person = forms.ModelChoiceField(queryset=Person.objects.none(), label=gettext_lazy("Person"))
    role = forms.ChoiceField(choices=DesignationRole.choices, label=gettext_lazy("As the office's"))
    effective_on = forms.DateField(
        label=gettext_lazy("Effective on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[_designation_window],
    )
    reason = LimitedTextField(NOTE_MAX, rows=2, label=gettext_lazy("Reason"))

    def __init__(self, *args: Any, office: Office, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = Person.objects.active().filter(office__agency_id=office.agency_id)
        cast("forms.ModelChoiceField[Person]", self.fields["person"]).queryset = people


class ReasonForm(forms.Form):
    """A reason the help desk gives: for an undo, for declining a request."""

    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class DecisionNoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note (optional)"), max_length=500, required=False)


class StaffChangeFilterForm(forms.Form):
    agency = AgencyChoiceField(
        queryset=Agency.objects.all(),
        required=False,
        label=gettext_lazy("Agency"),
        empty_label=gettext_lazy("All agencies"),
    )
    office = forms.ModelChoiceField(
        queryset=Office.objects.select_related("agency"),
        required=False,
        label=gettext_lazy("Office"),
        empty_label=gettext_lazy("All offices"),
    )
