"""The search page: parse the box's text, ask the selectors, render the results by kind."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.search.selectors import LIMIT, may_search, search


@login_required
def search_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not may_search(request.user):
        raise PermissionDenied(gettext("Your login has no role yet; ask an administrator."))
    text = request.GET.get("q", "")
    results = search(request.user, text) if text.strip() else None
    return render(
        request,
        "search/results.html",
        {"query": text.strip(), "results": results, "limit": LIMIT, "search_query": text},
    )
