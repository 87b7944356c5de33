"""Websockets for live updates. A socket joins one ticket or one queue, only after the same
permission checks the pages use; what it receives is "ticket N changed" and nothing more.

A socket outlives the checks made when it opened, so before each message it sends it checks
again, against the database, that the login is still active, still in the same session
generation (no deactivation since) and still allowed to follow that ticket or queue; when not,
it closes. Each socket also joins its login's group, so a deactivation closes it at once."""

from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import JsonWebsocketConsumer

from helpdesk.models import User
from helpdesk.tickets import relay, selectors
from helpdesk.tickets.live import ticket_group, user_group
from helpdesk.tickets.permissions import tickets_visible_to

NOT_SIGNED_IN, FORBIDDEN = 4401, 4403


class _LiveConsumer(JsonWebsocketConsumer):
    group: str | None = None
    user_id: int | None = None
    session_generation: int = 0

    def connect(self) -> None:
        user = self.scope.get("user")
        if not isinstance(user, User) or not user.is_active:  # nobody, anonymous, or disabled
            self.close(code=NOT_SIGNED_IN)
            return
        self.group = self.group_for(user)
        if self.group is None:
            self.close(code=FORBIDDEN)
            return
        self.user_id, self.session_generation = user.pk, user.session_generation
        for group in (self.group, user_group(user.pk)):
            async_to_sync(self.channel_layer.group_add)(group, self.channel_name)
        async_to_sync(relay.ensure_listening)()  # changes made by the other processes
        self.accept()

    def disconnect(self, code: int) -> None:
        for group in (self.group, self.user_id and user_group(self.user_id)):
            if group:
                async_to_sync(self.channel_layer.group_discard)(group, self.channel_name)

    def ticket_changed(self, event: dict[str, Any]) -> None:
        if not self.still_allowed():
            self.close(code=FORBIDDEN)
            return
        self.send_json({"ticket": event["ticket"], "version": event["version"]})

    def session_ended(self, event: dict[str, Any]) -> None:
        """The login was disabled (helpdesk.directory.services.deactivate_person)."""
        self.close(code=NOT_SIGNED_IN)

    def still_allowed(self) -> bool:
        """The login as the database has it now: active, not signed out by a deactivation
        since the socket opened, and still allowed to follow this ticket or queue."""
        if self.user_id is None:
            return False
        user = User.objects.filter(pk=self.user_id, is_active=True).first()
        if user is None or user.session_generation != self.session_generation:
            return False
        return self.group_for(user) == self.group

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
