"""mozilla-django-oidc's two views, off (404) unless single sign-on is configured, and the
callback counting the provider's second factor when its ID token says one was used."""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from helpdesk.auth.mfa import PROVIDER_SECOND_FACTOR_SESSION_KEY
from helpdesk.auth.oidc import PROVIDER_SECOND_FACTOR_ATTR


def _require_enabled() -> None:
    if not getattr(settings, "OIDC_ENABLED", False):
        raise Http404("Single sign-on is not configured.")


class SingleSignOnStart(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and the PKCE challenge."""

    def __init__(self, **kwargs: Any) -> None:
        # The library reads its endpoints here; with single sign-on off there are none.
        if getattr(settings, "OIDC_ENABLED", False):
            super().__init__(**kwargs)
        else:
            View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_enabled()
        response: HttpResponse = super().get(request)
        return response


class SingleSignOnCallback(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: the code is exchanged (with the PKCE
    verifier) and the ID token checked by the backend."""

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_enabled()
        response: HttpResponse = super().get(request)
        return response

    def login_success(self) -> HttpResponse:
        response: HttpResponse = super().login_success()
        if getattr(self.user, PROVIDER_SECOND_FACTOR_ATTR, False):
            self.request.session[PROVIDER_SECOND_FACTOR_SESSION_KEY] = True
        return response
