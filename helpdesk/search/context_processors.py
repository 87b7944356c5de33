"""Whether the page header shows the search box."""

from typing import Any

from django.http import HttpRequest

from helpdesk.search.selectors import shows_search_box


def search_box(request: HttpRequest) -> dict[str, Any]:
    return {"search_box": shows_search_box(getattr(request, "user", None))}
