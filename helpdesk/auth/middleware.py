"""The door's second step: staff who have signed in with a password but not yet passed their
second factor reach only the second-factor pages, sign-out and static files."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve, reverse

from helpdesk.auth.mfa import has_second_factor, held_back

# Pages open to someone who owes a second factor: to pass it (verify, passkey check) or, with
# none yet, to set one up (enrolment, passkey registration). Sign-out is always open.
_TO_VERIFY = frozenset(
    {
        "logout",
        "mfa_verify",
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
        "otp_webauthn:js-i18n-catalog",
    }
)
_TO_ENROL = frozenset(
    {
        "logout",
        "mfa_security",
        "mfa_totp",
        "otp_webauthn:credential-registration-begin",
        "otp_webauthn:credential-registration-complete",
        "otp_webauthn:js-i18n-catalog",
    }
)


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if held_back(request) and not request.path.startswith(
            "/" + settings.STATIC_URL.lstrip("/")
        ):
            enrolled = has_second_factor(request.user)
            if _url_name(request) not in (_TO_VERIFY if enrolled else _TO_ENROL):
                page = "mfa_verify" if enrolled else "mfa_security"
                return redirect_to_login(request.get_full_path(), login_url=reverse(page))
        return self.get_response(request)


def _url_name(request: HttpRequest) -> str:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return ""
