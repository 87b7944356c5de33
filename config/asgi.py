"""ASGI entry point: HTTP through Django, websockets through Channels (authenticated sessions
past their second factor, same-origin only). Apps add their websocket routes to
``helpdesk.routing``."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()  # before importing anything that touches models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from helpdesk.auth.sockets import SecondFactorSocketMiddleware  # noqa: E402
from helpdesk.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(SecondFactorSocketMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
