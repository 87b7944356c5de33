"""Request limits: per client address, per account and per typed email address, counted by
django-ratelimit in the default cache, with rates from ``settings.THROTTLE_RATES``. Over a
limit, a page answers 429 with a plain translated page (``429.html``); nothing is done.

A limit either counts every request (``limited``, for requests that cost something: a reset
email, a token check) or only those that failed (``counting_failures``, for sign-in: people
who type their password right are never slowed down by others' mistakes)."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django_ratelimit.core import get_usage

View = Callable[..., HttpResponseBase]
Key = Callable[[str, HttpRequest], str]


def posted(field: str) -> Key:
    """The key of a form field as typed, compared without case or surrounding spaces."""

    def key(_group: str, request: HttpRequest) -> str:
        return str(request.POST.get(field, "")).strip().casefold()

    return key


@dataclass(frozen=True)
class Limit:
    """One limit: its name in ``THROTTLE_RATES`` and what it counts by (``"ip"``: the client
    address of ``helpdesk.lib.client_address``, or a key function such as ``posted``)."""

    name: str
    key: str | Key = "ip"

    def reached(self, request: HttpRequest, *, count: bool) -> bool:
        """Whether the limit is reached, this request included when ``count`` (it is then
        counted); without ``count``, whether one more would be too many."""
        usage = get_usage(
            request,
            group=f"ccap:{self.name}",
            key=self.key,
            rate=settings.THROTTLE_RATES[self.name],
            increment=count,
        )
        if usage is None:  # RATELIMIT_ENABLE is off
            return False
        if count:
            return bool(usage["should_limit"])
        return bool(usage["should_limit"] or usage["count"] >= usage["limit"])

    def seconds_left(self, request: HttpRequest) -> int:
        """Seconds until the current window ends and the count starts again (Retry-After)."""
        usage = get_usage(
            request,
            group=f"ccap:{self.name}",
            key=self.key,
            rate=settings.THROTTLE_RATES[self.name],
            increment=False,
        )
        return max(1, int(usage["time_left"])) if usage else 1


def too_many_requests(request: HttpRequest) -> HttpResponse:
    return render(request, "429.html", status=429)


def limited(*limits: Limit, methods: tuple[str, ...] = ("POST",)) -> Callable[[View], View]:
    """Counts each request of ``methods``; refuses it once any limit is reached."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method in methods:
                # Every limit counts the request, so none can be dodged by tripping another.
                reached = [limit.reached(request, count=True) for limit in limits]
                if any(reached):
                    return too_many_requests(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def counting_failures(*limits: Limit) -> Callable[[View], View]:
    """For a form POST that redirects on success: refuses it once a limit is reached, and
    counts only the POSTs that did not succeed (the form shown again)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method != "POST":
                return view(request, *args, **kwargs)
            if any(limit.reached(request, count=False) for limit in limits):
                return too_many_requests(request)
            response = view(request, *args, **kwargs)
            if not 300 <= response.status_code < 400:
                for limit in limits:
                    limit.reached(request, count=True)
            return response

        return wrapped

    return decorator
