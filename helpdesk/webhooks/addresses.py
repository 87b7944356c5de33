"""Where a delivery may go: the URL rule (https, unless settings allow http) and the address
rule, checked when the message is sent (the name is resolved then, and the connection made to
the addresses checked, so a name that changes between the check and the connection cannot
lead elsewhere).

A host resolving to any private, loopback, link-local, multicast, reserved, unspecified or
otherwise non-global address (IPv4 or IPv6, an IPv4-mapped IPv6 address judged as the IPv4 it
carries) is refused, unless ``settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` is on.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class RefusedAddressError(Exception):
    """The URL's host is, or resolves to, an address deliveries may not go to."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_url(url: str) -> None:
    """The rule of a subscribed URL: https (http only when settings allow it), a host, no
    user name or password in it. A ``ValidationError`` says what is wrong."""
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise ValidationError(_("The address must start with https://."))
    if not parts.hostname:
        raise ValidationError(_("The address needs a host name."))
    if parts.username or parts.password:
        raise ValidationError(_("Leave the user name and password out of the address."))
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return
    if not (settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES or is_public(literal)):
        raise ValidationError(_("Deliveries go to public addresses only."))


def resolve(host: str, port: int) -> list[str]:
    """The addresses to connect to for ``host``, in the resolver's order: every address it
    resolves to must pass the rule (else ``RefusedAddressError``)."""
    # A name that does not resolve now (socket.gaierror) is an ordinary failure, tried again.
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise OSError(f"{host} does not resolve")
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        for text in addresses:
            if not is_public(ipaddress.ip_address(text.split("%", 1)[0])):
                refusal = f"{host} resolves to {text}, which is not a public address"
                raise RefusedAddressError(refusal)
    return addresses
