"""The dashboard's filters: a date range (by default the last 12 weeks), an agency and a
system, validated by a form. Bad input is reported on the page and the defaults are used."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone

from escalation.calendar import BUSINESS_TZ
from helpdesk.directory.forms import AgencyChoiceField
from helpdesk.models import Agency
from helpdesk.models.tickets import System
from helpdesk.tickets.aging import AgeBoundaries

DEFAULT_WEEKS = 12
# Enough for two years of weekly bars; longer ranges belong in a report, not a dashboard.
MAX_DAYS = 731


def week_start(day: date) -> date:
    """The Monday of ``day``'s week (weeks run Monday to Sunday, as ``TruncWeek``'s do)."""
    return day - timedelta(days=day.weekday())


def default_range(today: date) -> tuple[date, date]:
    """The current week and the 11 before it, up to today."""
    return week_start(today) - timedelta(weeks=DEFAULT_WEEKS - 1), today


@dataclass(frozen=True)
class DashboardFilters:
    start: date
    end: date
    agency: Agency | None
    system: str
    now: datetime

    @property
    def today(self) -> date:
        return self.now.astimezone(BUSINESS_TZ).date()

    @cached_property
    def ages(self) -> AgeBoundaries:
        """The age buckets' boundaries today, computed once for every figure of the page."""
        return AgeBoundaries.on(self.today)

    def scope_params(self) -> dict[str, str]:
        """The agency and system, as the list pages' query parameters."""
        params = {}
        if self.agency is not None:
            params["agency"] = str(self.agency.pk)
        if self.system:
            params["system"] = self.system
        return params

    def as_query(self) -> dict[str, str]:
        """The filters as this page's own query parameters (for the CSV link)."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), **self.scope_params()}


class DashboardFilterForm(forms.Form):
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    agency = AgencyChoiceField(
        queryset=Agency.objects.order_by("-active", "name"),
        required=False,
        empty_label="Any agency",
    )
    system = forms.ChoiceField(choices=[("", "Any system"), *System.choices], required=False)

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        default_start, default_end = default_range(self.today)
        start = data.get("start") or default_start
        end = data.get("end") or default_end
        if start > end:
            raise forms.ValidationError("The start date must be on or before the end date.")
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(f"Choose a range of at most {MAX_DAYS} days.")
        data["start"], data["end"] = start, end
        return data


def dashboard_filters(
    query: QueryDict, now: datetime | None = None
) -> tuple[DashboardFilterForm, DashboardFilters]:
    """The bound form (with its errors, if any) and the filters to use: the valid ones, else
    the defaults."""
    now = now or timezone.now()
    today = now.astimezone(BUSINESS_TZ).date()
    start, end = default_range(today)
    form = DashboardFilterForm(query or None, today=today, initial={"start": start, "end": end})
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = DashboardFilters(
        start=data.get("start", start),
        end=data.get("end", end),
        agency=data.get("agency"),
        system=data.get("system", ""),
        now=now,
    )
    return form, filters
