"""Websockets for live updates. A socket joins one ticket or one queue, only after the same
permission checks the pages use; what it receives is "ticket N changed" and nothing more."""

from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import JsonWebsocketConsumer

from helpdesk.models import User
from helpdesk.tickets import selectors
from helpdesk.tickets.live import ticket_group
from helpdesk.tickets.permissions import tickets_visible_to

NOT_SIGNED_IN, FORBIDDEN = 4401, 4403


class _LiveConsumer(JsonWebsocketConsumer):
    group: str | None = None

    def connect(self) -> None:
        user = self.scope.get("user")
        if not isinstance(user, User):  # nobody, or the anonymous user: not signed in
            self.close(code=NOT_SIGNED_IN)
            return
        self.group = self.group_for(user)
        if self.group is None:
            self.close(code=FORBIDDEN)
            return
        async_to_sync(self.channel_layer.group_add)(self.group, self.channel_name)
        self.accept()

    def disconnect(self, code: int) -> None:
        if self.group:
            async_to_sync(self.channel_layer.group_discard)(self.group, self.channel_name)

    def ticket_changed(self, event: dict[str, Any]) -> None:
        self.send_json({"ticket": event["ticket"], "version": event["version"]})

    def group_for(self, user: User) -> str | None:
        raise NotImplementedError


class TicketConsumer(_LiveConsumer):
    def group_for(self, user: User) -> str | None:
        pk = self.scope["url_route"]["kwargs"]["pk"]
        if not tickets_visible_to(user).filter(pk=pk).exists():
            return None
        return ticket_group(pk)


class QueueConsumer(_LiveConsumer):
    def group_for(self, user: User) -> str | None:
        return selectors.live_group(user, self.scope["url_route"]["kwargs"]["name"])
