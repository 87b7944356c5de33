"""Forms of the access pages: they validate input only; the services change things."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from access.dashboard import STATUSES
from access.models import AccessRequest, Departure, RequestKind, TargetSystem
from helpdesk.lib.inputs import LimitedTextField, check_in_window
from helpdesk.models import Agency

# A departure is reported soon after it happens, or ahead of a known last day.
DEPARTURE_BACK = timedelta(days=365)
DEPARTURE_AHEAD = timedelta(days=90)


def _departure_window(value: date | None) -> None:
    check_in_window(value, back=DEPARTURE_BACK, ahead=DEPARTURE_AHEAD)


class RequestForm(forms.Form):
    system = forms.ModelChoiceField(queryset=TargetSystem.objects.filter(active=True))
    kind = forms.ChoiceField(choices=RequestKind.choices, label="Request")
    ccms_role = forms.CharField(
        max_length=100, required=False, label="CCMS security role (new or changed access)"
    )
    reason = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DepartureForm(forms.Form):
    kind = forms.ChoiceField(choices=Departure.Kind.choices, label="What happened")
    effective_on = forms.DateField(
        label=_("Effective on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[_departure_window],
        error_messages={"required": _("Enter the day the person left or changed job.")},
    )
    note = LimitedTextField(500, rows=2, required=False, label=_("Note"))


class CompleteForm(forms.Form):
    identifier = forms.CharField(max_length=100, required=False, label="ID created")
    note = forms.CharField(
        max_length=500, required=False, label="Confirmation (who confirmed, their reference)"
    )

    def __init__(self, *args: Any, access_request: AccessRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if access_request.kind == RequestKind.NEW:
            group = access_request.system.credential_group
            self.fields["identifier"].label = f"{group.id_label} created"
            self.fields["identifier"].help_text = group.id_hint
        else:  # only a new account gets an ID
            del self.fields["identifier"]


class RevocationFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any"), *STATUSES.items()], required=False)
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), required=False)


class ReasonForm(forms.Form):
    reason = LimitedTextField(
        500, rows=2, label=_("Reason"), error_messages={"required": _("Give the reason.")}
    )


class CampaignForm(forms.Form):
    # A callable: the year of the day the form is shown, not of the day the worker started.
    name = forms.CharField(
        max_length=150, initial=lambda: f"Access review {timezone.localdate().year}"
    )
    deadline = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
