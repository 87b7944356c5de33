"""Response headers every page needs, set once for the whole site."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers

Handler = Callable[[HttpRequest], HttpResponseBase]


def no_store_for_signed_in(get_response: Handler) -> Handler:
    """``Cache-Control: no-store`` on every response to a signed-in user: tickets, people and
    attachments must not stay in a shared computer's browser cache or a proxy after sign-out.
    Static files never get here (WhiteNoise answers them earlier) and keep their long caching."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        user = getattr(request, "user", None)
        # A view that chose its own no-store (the private downloads) keeps its header as is.
        already = "no-store" in response.get("Cache-Control", "")
        if user is not None and user.is_authenticated and not already:
            add_never_cache_headers(response)
        return response

    return middleware
