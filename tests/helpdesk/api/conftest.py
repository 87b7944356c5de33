"""The API's test helpers: a personal access token per persona, and a client that sends it."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from helpdesk.actor import Actor
from helpdesk.api import tokens
from helpdesk.models import TokenScope


class ApiClient:
    """A Django test client that speaks JSON with a Bearer token."""

    def __init__(self, secret: str | None) -> None:
        self.client = Client()
        self.secret = secret

    def _headers(self, headers: dict) -> dict:
        sent = {"HTTP_ACCEPT": "application/json"}
        if self.secret:
            sent["HTTP_AUTHORIZATION"] = f"Bearer {self.secret}"
        for name, value in headers.items():
            sent["HTTP_" + name.upper().replace("-", "_")] = value
        return sent

    def get(self, path: str, data: dict | None = None, **headers):
        return self.client.get(path, data or {}, **self._headers(headers))

    def post(self, path: str, body=None, *, raw: bytes | None = None, **headers):
        payload = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            path, payload, content_type="application/json", **self._headers(headers)
        )

    def post_multipart(self, path: str, data: dict, **headers):
        return self.client.post(path, data, **self._headers(headers))

    def method(self, verb: str, path: str, **headers):
        return getattr(self.client, verb)(path, **self._headers(headers))


def make_token(user, scope: str = TokenScope.WRITE, days: int = 30):
    token, secret = tokens.create_token(
        by=Actor.of(user),
        name=f"{user.username} tests",
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days),
        second_factor_passed=True,
    )
    return token, secret


@pytest.fixture
def api(world):
    """``api("hannah")``: a client holding a write token of that persona."""

    def client_for(persona: str, scope: str = TokenScope.WRITE) -> ApiClient:
        _token, secret = make_token(world.user(persona), scope)
        return ApiClient(secret)

    return client_for


@pytest.fixture
def wsgi_app():
    """The site's WSGI application for a client that calls it in-process (schemathesis, httpx's
    WSGI transport), as Django's test client calls it: without the request signals closing the
    database connection, which holds the test's transaction. (Django's own test client
    connects them again after each of its requests, so each call takes them off again.)"""
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    handler = get_wsgi_application()

    def app(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        return handler(environ, start_response)

    try:
        yield app
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
