"""Websocket routes, served by ``config.asgi`` behind session authentication and an origin check.
Each consumer checks permissions itself through ``helpdesk.directory.permissions``."""

from typing import TYPE_CHECKING

from django.urls import path

from helpdesk.tickets import consumers

if TYPE_CHECKING:  # the channels stubs' names for a consumer's app and its route
    from channels.consumer import _ASGIApplicationProtocol
    from channels.routing import URLRouter, _ExtendedURLPattern


def _socket(route: str, app: "_ASGIApplicationProtocol") -> "_ExtendedURLPattern":
    # Django's path() routes an ASGI app as well as a view (channels relies on it), but
    # django-stubs types it for views only.
    return path(route, app)  # type: ignore[arg-type,return-value]


websocket_urlpatterns: "list[_ExtendedURLPattern | URLRouter]" = [
    _socket("ws/tickets/<int:pk>/", consumers.TicketConsumer.as_asgi()),
    _socket("ws/queues/<slug:name>/", consumers.QueueConsumer.as_asgi()),
]
