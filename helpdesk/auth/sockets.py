"""Websockets follow the door's second step: a session that signed in with a password but
still owes its second factor opens sockets as nobody (the consumers then refuse them), as its
pages are closed to it (``helpdesk.auth.middleware``)."""

from typing import Any

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

from helpdesk.auth.mfa import needs_second_factor, session_passed_second_factor


class SecondFactorSocketMiddleware(BaseMiddleware):
    """Inside ``AuthMiddlewareStack`` (it reads the scope's user and session)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if await database_sync_to_async(_owes_second_factor)(scope):
            scope = {**scope, "user": AnonymousUser()}
        return await super().__call__(scope, receive, send)


def _owes_second_factor(scope: Any) -> bool:
    user = scope.get("user")
    session = scope.get("session")
    if not getattr(user, "is_authenticated", False) or session is None:
        return False
    return needs_second_factor(user) and not session_passed_second_factor(user, session)
