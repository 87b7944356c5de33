"""Dashboard pages and their CSV: check the role, read the filters, render the sections."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from helpdesk.dashboards import page as dash
from helpdesk.dashboards.filters import dashboard_filters
from helpdesk.dashboards.registry import FULL, MIS
from helpdesk.lib.csv_export import csv_response
from helpdesk.lib.http import AuthenticatedHttpRequest


def _render(request: AuthenticatedHttpRequest, page: str) -> HttpResponse:
    dash.require_page(request.user, page)
    form, filters = dashboard_filters(request.GET)
    context = {
        "title": dash.TITLES[page],
        "page": page,
        "form": form,
        "filters": filters,
        "sections": dash.build(request.user, page, filters),
        "csv_query": urlencode(filters.as_query()),
    }
    return render(request, "dashboards/dashboard.html", context)


def _csv(request: AuthenticatedHttpRequest, page: str) -> HttpResponse:
    dash.require_page(request.user, page)
    _, filters = dashboard_filters(request.GET)
    shown = dash.build(request.user, page, filters)
    name = f"ccap-{page}-dashboard-{filters.start}-{filters.end}.csv"
    return csv_response(name, dash.CSV_HEADER, dash.csv_rows(shown))


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _render(request, FULL)


@login_required
def mis_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _render(request, MIS)


@login_required
def dashboard_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _csv(request, FULL)


@login_required
def mis_dashboard_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _csv(request, MIS)
