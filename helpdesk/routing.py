"""Websocket routes, served by ``config.asgi`` behind session authentication and an origin check.
Each consumer checks permissions itself through ``helpdesk.permissions``."""

websocket_urlpatterns: list = []
