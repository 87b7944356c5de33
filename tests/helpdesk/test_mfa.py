"""Second factors: who must pass one, enrolment, the sign-in's second step, recovery codes and
the administrators' reset. These tests sign in with a plain ``django.test.Client`` (not the
suite's ``client``, whose ``force_login`` passes the second factor) to see the door itself."""

import re

import pytest
from asgiref.sync import async_to_sync
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.admin_site import CcapAdminSite
from helpdesk.actor import Actor
from helpdesk.auth.mfa import PROVIDER_SECOND_FACTOR_SESSION_KEY, needs_second_factor
from helpdesk.auth.services import issue_recovery_codes, reset_second_factors
from helpdesk.auth.sockets import SecondFactorSocketMiddleware
from helpdesk.models import AuditEvent, AuditKind, RecoveryCode, User
from helpdesk.routing import websocket_urlpatterns
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _signed_in(user: User, password: str) -> Client:
    """A browser that has typed the password, and nothing more."""
    browser = Client()
    response = browser.post(reverse("login"), {"username": user.username, "password": password})
    assert response.status_code == 302, "the password step should pass"
    return browser


def _app_for(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


# --- Who must ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["hannah", "mike", "ada"])
def test_finding_staff_signed_in_with_a_password_alone_are_sent_to_set_up_a_second_factor(
    world, persona
):
    browser = _signed_in(world.user(persona), world.password)
    response = browser.get(reverse("queue", args=["help_desk"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_security"))
    assert "next=" in response["Location"]


def test_finding_staff_with_a_factor_are_sent_to_pass_it_on_every_page(world):
    _app_for(world.hannah)
    browser = _signed_in(world.hannah, world.password)
    for url in (reverse("home"), reverse("inbound_list"), reverse("dashboard"), "/admin/"):
        response = browser.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("mfa_verify")), url
    # Nor may they add a factor of their own choosing with the password alone.
    assert browser.get(reverse("mfa_totp"))["Location"].startswith(reverse("mfa_verify"))
    assert browser.get(reverse("mfa_security"))["Location"].startswith(reverse("mfa_verify"))


def test_finding_a_superuser_or_staff_flag_needs_a_second_factor_whatever_the_roles():
    superuser = UserFactory(is_superuser=True)
    staff = UserFactory(is_staff=True)
    plain = UserFactory()
    assert needs_second_factor(superuser)
    assert needs_second_factor(staff)
    assert not needs_second_factor(plain)


@pytest.mark.parametrize("persona", ["pat", "alice"])
def test_local_experts_and_agency_users_may_sign_in_without_a_second_factor(world, persona):
    browser = _signed_in(world.user(persona), world.password)
    assert browser.get(reverse("home")).status_code == 200


def test_a_local_expert_who_enrolled_a_factor_must_pass_it(world):
    _app_for(world.pat.user)
    browser = _signed_in(world.pat.user, world.password)
    assert browser.get(reverse("home"))["Location"].startswith(reverse("mfa_verify"))


def test_sign_out_and_static_files_stay_open_to_staff_owing_a_second_factor(world):
    browser = _signed_in(world.hannah, world.password)
    assert browser.get("/static/css/app.css").status_code == 200
    response = browser.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in browser.session


def test_finding_the_admin_site_refuses_an_administrator_who_has_not_passed_a_second_factor(
    world,
):
    """Even without the middleware, the admin site asks the same rule (as OTPAdminSite does)."""
    request = RequestFactory().get("/admin/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = world.ada
    site = CcapAdminSite()
    assert not site.has_permission(request)
    request.session[PROVIDER_SECOND_FACTOR_SESSION_KEY] = True
    assert site.has_permission(request)
    request.user = AnonymousUser()
    assert not site.has_permission(request)


# --- Enrolment ------------------------------------------------------------------------------


def test_staff_set_up_an_authenticator_app_with_a_qr_code_and_a_confirmed_code(world):
    browser = _signed_in(world.hannah, world.password)
    page = browser.get(reverse("mfa_totp"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body
    assert "Or type this key" in body
    device = TOTPDevice.objects.get(user=world.hannah)
    assert not device.confirmed, "a factor counts only once it has produced a code"
    response = browser.post(reverse("mfa_totp"), {"code": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert browser.get(reverse("queue", args=["help_desk"])).status_code == 200
    event = AuditEvent.objects.get(kind=AuditKind.SECOND_FACTOR_ADDED)
    assert event.actor == world.hannah
    assert event.after == {"factor": "totp"}


def test_a_wrong_code_does_not_confirm_the_app(world):
    browser = _signed_in(world.hannah, world.password)
    browser.get(reverse("mfa_totp"))
    device = TOTPDevice.objects.get(user=world.hannah)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = browser.post(reverse("mfa_totp"), {"code": wrong})
    assert response.status_code == 200
    assert "not the one the app shows" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert browser.get(reverse("home")).status_code == 302


def test_finding_the_totp_key_is_not_shown_in_the_admin(world, client):
    device = _app_for(world.hannah)
    client.force_login(world.ada)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "totpdevice" not in response.content.decode().lower()
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").status_code == 404


# --- The second step ----------------------------------------------------------------------


def test_staff_pass_the_second_step_with_a_code_from_their_app_and_go_where_they_were_going(
    world,
):
    device = _app_for(world.hannah)
    browser = _signed_in(world.hannah, world.password)
    queue = reverse("queue", args=["help_desk"])
    verify = browser.get(queue)["Location"]
    assert browser.get(verify).status_code == 200
    response = browser.post(verify, {"code": _code(device), "next": queue})
    assert response.status_code == 302
    assert response["Location"] == queue
    assert browser.get(queue).status_code == 200
    assert browser.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_wrong_code_keeps_staff_at_the_second_step(world):
    device = _app_for(world.hannah)
    browser = _signed_in(world.hannah, world.password)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = browser.post(reverse("mfa_verify"), {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert browser.get(reverse("home")).status_code == 302


def test_finding_the_second_step_does_not_send_anyone_to_another_site(world):
    device = _app_for(world.hannah)
    browser = _signed_in(world.hannah, world.password)
    response = browser.post(
        reverse("mfa_verify"), {"code": _code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_a_provider_second_factor_counts_for_the_session(world):
    browser = _signed_in(world.hannah, world.password)
    session = browser.session
    session[PROVIDER_SECOND_FACTOR_SESSION_KEY] = True
    session.save()
    assert browser.get(reverse("home")).status_code == 200


# --- Recovery codes ---------------------------------------------------------------------------


def test_finding_recovery_codes_are_stored_only_as_digests_and_shown_once(world, client):
    _app_for(world.hannah)
    client.force_login(world.hannah)
    response = client.post(reverse("mfa_recovery_codes"))
    assert response.status_code == 200
    codes = re.findall(r"<code>([a-z2-7-]{19})</code>", response.content.decode())
    assert len(codes) == 10
    stored = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(stored) == 10
    for code in codes:
        assert code not in stored
        assert code.replace("-", "") not in stored
    event = AuditEvent.objects.get(kind=AuditKind.RECOVERY_CODES_ISSUED)
    assert event.after == {"recovery_codes": 10}
    assert not any(code in str(event.after) + event.note for code in codes)


def test_a_recovery_code_passes_the_second_step_once(world):
    _app_for(world.hannah)
    codes = issue_recovery_codes(world.hannah, by=Actor.of(world.hannah))
    browser = _signed_in(world.hannah, world.password)
    response = browser.post(reverse("mfa_verify"), {"code": codes[0].upper()})
    assert response.status_code == 302
    assert browser.get(reverse("home")).status_code == 200
    again = _signed_in(world.hannah, world.password)
    assert again.post(reverse("mfa_verify"), {"code": codes[0]}).status_code == 200
    assert again.get(reverse("home")).status_code == 302
    assert RecoveryCode.objects.count() == 9


def test_recovery_codes_need_a_passed_second_factor(world):
    _app_for(world.hannah)
    browser = _signed_in(world.hannah, world.password)
    response = browser.post(reverse("mfa_recovery_codes"))
    assert response.status_code == 302
    assert reverse("mfa_verify") in response["Location"]
    assert not RecoveryCode.objects.exists()


# --- Reset by an administrator ------------------------------------------------------------------


def test_an_administrator_resets_someones_factors_audited_and_they_must_enrol_again(world, client):
    device = _app_for(world.hannah)
    issue_recovery_codes(world.hannah, by=Actor.of(world.hannah))
    hannah = Client()
    hannah.force_login(world.hannah)
    session = hannah.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert hannah.get(reverse("home")).status_code == 200

    client.force_login(world.ada)
    url = reverse("mfa_reset", args=[world.hannah.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "Lost her phone (ticket CCAP-2026-000042)"})
    assert response.status_code == 302

    assert not TOTPDevice.objects.filter(user=world.hannah).exists()
    assert not RecoveryCode.objects.exists()
    event = AuditEvent.objects.get(kind=AuditKind.SECOND_FACTORS_RESET)
    assert event.actor == world.ada
    assert event.note == "Lost her phone (ticket CCAP-2026-000042)"
    assert event.before == {"totp": 1, "passkeys": 0, "recovery_codes": 10}
    assert event.after == {"totp": 0, "passkeys": 0, "recovery_codes": 0}
    # Her old session ended with the reset: nobody holding it can enrol a factor of their own.
    assert hannah.get(reverse("mfa_security"))["Location"].startswith(reverse("login"))
    assert AuditEvent.objects.filter(kind=AuditKind.SESSIONS_ENDED, actor=world.ada).exists()
    fresh = _signed_in(world.hannah, world.password)
    assert fresh.get(reverse("home"))["Location"].startswith(reverse("mfa_security"))


@pytest.mark.parametrize("persona", ["hannah", "mike", "pat"])
def test_finding_only_administrators_may_reset_second_factors(world, client, persona):
    _app_for(world.alex.user)
    client.force_login(world.user(persona))
    url = reverse("mfa_reset", args=[world.alex.user.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "because"}).status_code == 403
    assert TOTPDevice.objects.filter(user=world.alex.user).exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.SECOND_FACTORS_RESET).exists()


def test_the_reset_service_checks_the_actor_itself(world):
    with pytest.raises(PermissionDenied):
        reset_second_factors(world.alex.user, by=Actor.of(world.hannah), reason="x")


def test_a_reset_needs_a_reason(world, client):
    client.force_login(world.ada)
    url = reverse("mfa_reset", args=[world.hannah.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(kind=AuditKind.SECOND_FACTORS_RESET).exists()


# --- Websockets --------------------------------------------------------------------------------


def _socket_opens(browser: Client, path: str) -> bool:
    application = AuthMiddlewareStack(
        SecondFactorSocketMiddleware(URLRouter(websocket_urlpatterns))
    )
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def attempt() -> bool:
        communicator = WebsocketCommunicator(
            application, path, headers=[(b"cookie", cookie.encode())]
        )
        connected, _code = await communicator.connect()
        await communicator.disconnect()
        return connected

    return async_to_sync(attempt)()


@pytest.mark.django_db(transaction=True)
def test_finding_a_websocket_of_staff_owing_their_second_factor_opens_as_nobody(world):
    device = _app_for(world.hannah)
    browser = _signed_in(world.hannah, world.password)
    assert not _socket_opens(browser, "/ws/queues/help_desk/")
    browser.post(reverse("mfa_verify"), {"code": _code(device)})
    assert _socket_opens(browser, "/ws/queues/help_desk/")


def test_the_admin_shows_how_many_factors_someone_has_and_links_the_reset(world, client):
    _app_for(world.hannah)
    client.force_login(world.ada)
    page = client.get(f"/admin/helpdesk/user/{world.hannah.pk}/change/").content.decode()
    assert "1 authenticator app(s), 0 passkey(s), 0 recovery code(s)" in page
    assert reverse("mfa_reset", args=[world.hannah.pk]) in page


def test_finding_guessed_codes_slow_further_tries_down(world):
    """django-otp's throttling: after a wrong code even the right one waits (1 s, 2 s, 4 s...)."""
    device = _app_for(world.hannah)
    browser = _signed_in(world.hannah, world.password)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    browser.post(reverse("mfa_verify"), {"code": wrong})
    assert browser.post(reverse("mfa_verify"), {"code": _code(device)}).status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert browser.get(reverse("home")).status_code == 302
