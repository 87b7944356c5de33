"""The agency reports' pages: the pickers, the monthly report and the two quarterly reports,
each printable (the print stylesheet) and as CSV. Thin: the reads are the selectors', scoped
by who asks; an agency the reader may not read is not found (404)."""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from access.agency_reports import periods, selectors
from access.agency_reports.forms import MonthlyPicker, QuarterlyPicker
from helpdesk.lib.csv_export import csv_response
from helpdesk.lib.http import AuthenticatedHttpRequest


def _require_reader(request: AuthenticatedHttpRequest) -> None:
    if not selectors.may_read_reports(request.user):
        raise PermissionDenied("The agency reports are for local experts and help desk staff.")


def _scope(request: AuthenticatedHttpRequest, agency_pk: int) -> selectors.ReportScope:
    _require_reader(request)
    scope = selectors.scope_for(request.user, agency_pk)
    if scope is None:
        raise Http404  # another agency's: never a hint that it exists
    return scope


def _period(make: Callable[[int, int], periods.Period], year: int, number: int) -> periods.Period:
    try:
        return make(year, number)
    except ValueError:
        raise Http404 from None


def _quarter_picker(
    request: AuthenticatedHttpRequest,
    scope: selectors.ReportScope,
    period: periods.Period,
    report: str,
) -> QuarterlyPicker:
    """The index's quarterly picker, set to this page: another agency, quarter or report."""
    today = timezone.localdate()
    picker = QuarterlyPicker(
        agencies=selectors.agencies_for(request.user),
        today=max(today, period.last),
        initial={"agency": scope.agency, "quarter": period.slug, "report": report},
    )
    return picker


@login_required
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Pick an agency and a period; and, for each agency the reader may read, the latest ones."""
    _require_reader(request)
    agencies = selectors.agencies_for(request.user)
    today = timezone.localdate()
    monthly = MonthlyPicker(
        request.GET if "monthly-agency" in request.GET else None,
        agencies=agencies,
        initial={"month": periods.month(today.year, today.month).previous().slug},
    )
    quarterly = QuarterlyPicker(
        request.GET if "quarterly-agency" in request.GET else None,
        agencies=agencies,
        today=today,
        initial={"quarter": periods.quarter_of(today).previous().slug},
    )
    if monthly.is_bound and monthly.is_valid():
        month = monthly.cleaned_data["month"]
        return redirect(
            "agency_report_monthly", monthly.cleaned_data["agency"].pk, month.year, month.number
        )
    if quarterly.is_bound and quarterly.is_valid():
        data = quarterly.cleaned_data
        name = f"agency_report_{data['report']}"
        return redirect(name, data["agency"].pk, data["quarter"].year, data["quarter"].number)
    status = 400 if monthly.is_bound or quarterly.is_bound else 200
    last_month = periods.month(today.year, today.month).previous()
    return render(
        request,
        "access/agency_reports/index.html",
        {
            "monthly": monthly,
            "quarterly": quarterly,
            "agencies": agencies,
            "last_month": last_month,
            "last_quarter": periods.quarter_of(today).previous(),
        },
        status=status,
    )


@login_required
def monthly(
    request: AuthenticatedHttpRequest, agency_pk: int, year: int, month: int
) -> HttpResponse:
    scope = _scope(request, agency_pk)
    report = selectors.monthly_report(scope, _period(periods.month, year, month))
    picker = MonthlyPicker(
        agencies=selectors.agencies_for(request.user),
        initial={"agency": scope.agency, "month": report.period.slug},
    )
    context = {"report": report, "picker": picker}
    return render(request, "access/agency_reports/monthly.html", context)


@login_required
def monthly_csv(
    request: AuthenticatedHttpRequest, agency_pk: int, year: int, month: int
) -> HttpResponse:
    scope = _scope(request, agency_pk)
    report = selectors.monthly_report(scope, _period(periods.month, year, month))
    name = f"agency-{scope.agency.code}-{report.period.slug}-monthly.csv"
    return csv_response(name, selectors.MONTHLY_CSV_HEADER, selectors.monthly_csv_rows(report))


@login_required
def reviews(
    request: AuthenticatedHttpRequest, agency_pk: int, year: int, quarter: int
) -> HttpResponse:
    scope = _scope(request, agency_pk)
    report = selectors.review_report(scope, _period(periods.quarter, year, quarter))
    context = {
        "report": report,
        "picker": _quarter_picker(request, scope, report.period, "reviews"),
    }
    return render(request, "access/agency_reports/reviews.html", context)


@login_required
def reviews_csv(
    request: AuthenticatedHttpRequest, agency_pk: int, year: int, quarter: int
) -> HttpResponse:
    scope = _scope(request, agency_pk)
    report = selectors.review_report(scope, _period(periods.quarter, year, quarter))
    name = f"agency-{scope.agency.code}-{report.period.slug}-access-reviews.csv"
    return csv_response(name, selectors.REVIEWS_HEADER, selectors.review_rows(report))


@login_required
def departures(
    request: AuthenticatedHttpRequest, agency_pk: int, year: int, quarter: int
) -> HttpResponse:
    scope = _scope(request, agency_pk)
    period = _period(periods.quarter, year, quarter)
    lines = selectors.departures(scope, period)
    context = {
        "scope": scope,
        "period": period,
        "lines": lines,
        "totals": selectors.departure_totals(lines),
        "picker": _quarter_picker(request, scope, period, "departures"),
    }
    return render(request, "access/agency_reports/departures.html", context)


@login_required
def departures_csv(
    request: AuthenticatedHttpRequest, agency_pk: int, year: int, quarter: int
) -> HttpResponse:
    scope = _scope(request, agency_pk)
    period = _period(periods.quarter, year, quarter)
    rows = selectors.departure_rows(selectors.departures(scope, period))
    name = f"agency-{scope.agency.code}-{period.slug}-departures.csv"
    return csv_response(name, selectors.DEPARTURES_HEADER, rows)
