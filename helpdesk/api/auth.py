"""Who calls the API and how much: a personal access token (``Authorization: Bearer ccap_...``)
or the browser's session (with its CSRF token on writes, as DRF checks it); the token's scope
(``read`` for GET, ``write`` for the rest); the request limit per token, or per user for a
session (``helpdesk.lib.throttle``: 429 with Retry-After). What a caller may do with a record
is the feature's own permission rule, asked by the views: a token never widens it."""

from typing import Any

from django.http import HttpRequest
from drf_spectacular.authentication import SessionScheme as SpectacularSessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from helpdesk.actor import Actor
from helpdesk.api import tokens
from helpdesk.lib.throttle import Limit
from helpdesk.models import ApiToken, TokenScope, User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send one token after 'Bearer'.")
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("This token is not valid.") from None
        token = tokens.authenticate(secret)
        if token is None:
            raise exceptions.AuthenticationFailed("This token is not valid, expired or revoked.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's session, CSRF-checked on writes; a session that still owes its second
    factor never gets this far (``helpdesk.auth.middleware`` sends it to the second step)."""


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "ccap_..."}


class SessionScheme(SpectacularSessionScheme):
    target_class = "helpdesk.api.auth.SessionAuthentication"


def api_actor(request: Request) -> Actor:
    """The Actor of an API request: the user, and the token they act through, if any (every
    audit row the request writes names it)."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    actor = Actor.of(user)
    token = request.auth
    return actor.through_token(token.pk) if isinstance(token, ApiToken) else actor


def needed_scope(request: Request, view: Any) -> TokenScope:
    declared = getattr(view, "scope", None)
    if declared is not None:
        return TokenScope(declared)
    return TokenScope.READ if request.method in SAFE_METHODS else TokenScope.WRITE


class ScopedAccess(permissions.BasePermission):
    """Signed in, and (with a token) the token's scope covers the request."""

    message = "This token's scope does not allow this request."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        token = request.auth
        if isinstance(token, ApiToken):
            return token.grants(needed_scope(request, view))
        return True


def _limit_key(_group: str, request: HttpRequest) -> str:
    return str(getattr(request, "ccap_api_limit_key", ""))


PER_TOKEN = Limit("api_requests_per_token", key=_limit_key)
PER_USER = Limit("api_requests_per_user", key=_limit_key)


class PerTokenThrottle(throttling.BaseThrottle):
    """Every request counts against its token (or, for a session, its user); over the limit,
    429 with the seconds left in the window."""

    def allow_request(self, request: Request, view: Any) -> bool:
        django_request = request._request
        token = request.auth
        if isinstance(token, ApiToken):
            limit, key = PER_TOKEN, f"token:{token.pk}"
        elif request.user and request.user.is_authenticated:
            limit, key = PER_USER, f"user:{request.user.pk}"
        else:
            return True  # refused anyway: not signed in
        django_request.ccap_api_limit_key = key
        self._limit, self._request = limit, django_request
        return not limit.reached(django_request, count=True)

    def wait(self) -> float | None:
        return float(self._limit.seconds_left(self._request))
