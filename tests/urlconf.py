"""The site's URL configuration as tests walk it."""

from django.urls import URLPattern, URLResolver, get_resolver


def static_routes(patterns=None, prefix: str = "") -> list[str]:
    """Every URL of the site that takes no parameter."""
    routes: list[str] = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if "<" in route or "(?P" in route or "^" in route.lstrip("^") or "$" in route:
            continue
        if isinstance(entry, URLResolver):
            routes += static_routes(entry.url_patterns, route.lstrip("^"))
        elif isinstance(entry, URLPattern):
            routes.append("/" + route.lstrip("^"))
    return sorted(set(routes))
