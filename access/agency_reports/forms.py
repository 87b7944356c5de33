"""The pickers of the agency reports' page: an agency (those the reader may read) and a month,
or a quarter and which quarterly report. They validate only; the page redirects to the report."""

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from access.agency_reports import periods
from helpdesk.directory.forms import AgencyChoiceField
from helpdesk.models.directory import AgencyQuerySet

QUARTERLY = {"reviews": _("Access reviews"), "departures": _("Departures")}
QUARTERS_OFFERED = 8


class MonthlyPicker(forms.Form):
    agency = AgencyChoiceField(queryset=None, label=_("Agency"), empty_label=None)
    month = forms.CharField(
        label=_("Month"), widget=forms.DateInput(attrs={"type": "month"}), max_length=7
    )

    prefix = "monthly"

    def __init__(self, *args: Any, agencies: AgencyQuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]

    def clean_month(self) -> periods.Period:
        try:
            return periods.parse_month(self.cleaned_data["month"])
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from None


class QuarterlyPicker(forms.Form):
    agency = AgencyChoiceField(queryset=None, label=_("Agency"), empty_label=None)
    quarter = forms.ChoiceField(label=_("Quarter"))
    report = forms.ChoiceField(label=_("Report"), choices=list(QUARTERLY.items()))

    prefix = "quarterly"

    def __init__(self, *args: Any, agencies: AgencyQuerySet, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]
        offered, quarter = [], periods.quarter_of(today)
        for _n in range(QUARTERS_OFFERED):
            offered.append((quarter.slug, quarter.label))
            quarter = quarter.previous()
        self.fields["quarter"].choices = offered  # type: ignore[attr-defined]

    def clean_quarter(self) -> periods.Period:
        return periods.parse_quarter(self.cleaned_data["quarter"])
