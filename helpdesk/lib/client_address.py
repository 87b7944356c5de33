"""The address a request really came from, the one definition the sign-in lockout (django-axes)
and the request limits (django-ratelimit) both use.

``settings.PROXY_COUNT`` is how many reverse proxies stand in front of the app, each appending
the address it received the request from to ``X-Forwarded-For``. The client is then the
PROXY_COUNT-th entry from the right: what the outermost proxy saw. Everything to its left was
written by the client and is ignored, so a forged left-most entry changes nothing. With no
proxy (PROXY_COUNT=0) the header is not read at all: the socket's address is the client.

django-ipware counts differently (its ``proxy_count`` is the number of proxy addresses in the
header, which does not list the client's own proxy), hence ``PROXY_COUNT - 1``; it runs
non-strict, so a longer, forged header is still read from the right instead of being dropped
(a dropped header would make every client look like the proxy and lock them out together).
"""

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def client_address(request: HttpRequest) -> str:
    """The client's IP address as text, or the socket's when the proxies' header is missing."""
    proxies = settings.PROXY_COUNT
    socket_address = str(request.META.get("REMOTE_ADDR") or "")
    if proxies <= 0:
        return socket_address
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=[FORWARDED_FOR],
        strict=False,
    )
    return address or socket_address
