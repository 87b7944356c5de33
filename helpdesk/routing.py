"""Websocket routes, served by ``config.asgi`` behind session authentication and an origin check.
Each consumer checks permissions itself through ``helpdesk.directory.permissions``."""

from django.urls import path

from helpdesk.tickets import consumers

websocket_urlpatterns = [
    path("ws/tickets/<int:pk>/", consumers.TicketConsumer.as_asgi()),
    path("ws/queues/<slug:name>/", consumers.QueueConsumer.as_asgi()),
]
