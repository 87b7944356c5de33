"""The second-factor pages: set one up, pass it at sign-in, recovery codes, and the
administrators' reset. Thin: forms validate, ``helpdesk.auth.services`` writes."""

import json
from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import CompleteCredentialRegistrationView

from helpdesk.actor import Actor
from helpdesk.auth.forms import CodeForm, ResetForm, TotpConfirmForm
from helpdesk.auth.mfa import factors_of, has_second_factor, held_back, passed_second_factor
from helpdesk.auth.services import (
    confirm_totp_device,
    issue_recovery_codes,
    pending_totp_device,
    record_passkey_added,
    reset_second_factors,
    verify_code,
)
from helpdesk.directory.permissions import can_reset_second_factors
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.models import RecoveryCodeDevice, User


def _may_change_factors(request: AuthenticatedHttpRequest) -> bool:
    """Adding a factor needs the ones already held: else a stolen password would add its own."""
    return not has_second_factor(request.user) or passed_second_factor(request)


def _require_may_change_factors(request: AuthenticatedHttpRequest) -> None:
    if not _may_change_factors(request):
        raise PermissionDenied(_("Pass your second factor first."))


@login_required
@never_cache
def security(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own factors, and the ways to add one."""
    _require_may_change_factors(request)
    return render(
        request,
        "auth/security.html",
        {
            "factors": factors_of(request.user),
            "held_back": held_back(request),
            "next": _next_url(request),
        },
    )


@login_required
@never_cache
def totp_enrol(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), then confirm a code."""
    _require_may_change_factors(request)
    device = pending_totp_device(request.user)
    form = TotpConfirmForm(request.POST or None)
    if form.is_valid():
        if confirm_totp_device(
            device, form.cleaned_data["code"].strip(), by=Actor.of(request.user)
        ):
            if not passed_second_factor(request):
                otp_login(request, device)
            messages.success(request, _("The authenticator app is set up."))
            return redirect("mfa_security")
        form.add_error("code", _("That code is not the one the app shows now. Try the next one."))
    return render(request, "auth/totp.html", {"form": form, **_provisioning(device)})


def _provisioning(device: TOTPDevice) -> dict[str, Any]:
    """The QR code (an inline SVG: no script, no style) and the same key to type by hand."""
    manual = b32encode(device.bin_key).decode().rstrip("=")
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=4, light="#fff", title=_("QR code for the authenticator app")
    )
    # segno writes the SVG from the otpauth URI alone: no markup of anyone's choosing in it.
    return {
        "qr_svg": mark_safe(qr),  # noqa: S308
        "manual_key": " ".join(manual[i : i + 4] for i in range(0, len(manual), 4)),
    }


@login_required
@require_POST
@never_cache
def recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """New recovery codes, shown this once (only their digests are kept)."""
    if not has_second_factor(request.user) or not passed_second_factor(request):
        raise PermissionDenied(_("Set up and pass a second factor before recovery codes."))
    codes = issue_recovery_codes(request.user, by=Actor.of(request.user))
    return render(request, "auth/recovery_codes.html", {"codes": codes})


@login_required
@never_cache
def verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, a recovery code, or a passkey."""
    next_url = _next_url(request)
    if not held_back(request):
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        device = verify_code(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if isinstance(device, RecoveryCodeDevice):
                _after_recovery_code(request, device)
            return redirect(next_url)
        form.add_error("code", _("That code is not right, or it was already used."))
    has_passkey = WebAuthnCredential.objects.filter(user=request.user, confirmed=True).exists()
    return render(
        request, "auth/verify.html", {"form": form, "next": next_url, "has_passkey": has_passkey}
    )


def _after_recovery_code(request: HttpRequest, device: RecoveryCodeDevice) -> None:
    left = device.codes.count()
    messages.warning(
        request,
        _("You signed in with a recovery code; %(left)d remain. Issue new ones if that is few.")
        % {"left": left},
    )


@login_required
@never_cache
def reset_factors(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """An administrator clears someone's second factors; they must enrol again."""
    if not can_reset_second_factors(request.user):
        raise PermissionDenied(_("Only administrators may reset second factors."))
    person_user = get_object_or_404(User, pk=pk)
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reset_second_factors(
            person_user, by=Actor.of(request.user), reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            _("%(user)s's second factors were reset; they set one up at their next sign-in.")
            % {"user": person_user.get_username()},
        )
        return redirect("mfa_reset", pk=person_user.pk)
    return render(
        request,
        "auth/reset.html",
        {"form": form, "person_user": person_user, "factors": factors_of(person_user)},
    )


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


class RegisterPasskeyComplete(CompleteCredentialRegistrationView):
    """django-otp-webauthn's registration, with the new passkey written to the audit trail."""

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().post(*args, **kwargs)
        if isinstance(response, JsonResponse) and response.status_code == 200:
            credential = WebAuthnCredential.objects.get(pk=json.loads(response.content)["id"])
            record_passkey_added(credential, by=Actor.of(self.request.user))
        return response


class SignInView(LoginView):
    """Django's login page, offering single sign-on too when it is configured."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = getattr(settings, "OIDC_ENABLED", False)
        context["oidc_provider_name"] = getattr(settings, "OIDC_PROVIDER_NAME", "")
        return context
