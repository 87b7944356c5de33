"""Signing in, throttling, password reset and session security."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_local_expert_signs_in_and_lands_on_their_home_page(client, world):
    response = _sign_in(client, "pat", world.password)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert "Hello, Pat" in home.content.decode()
    assert "Your offices" in home.content.decode()


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, world):
    response = _sign_in(client, "pat", "not the password")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Please enter a correct username and password" in body
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_login_even_with_the_right_password(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "pat", "guess")
    response = _sign_in(client, "pat", world.password)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_of_one_username_does_not_lock_another(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "pat", "guess")
    assert _sign_in(client, "alex", world.password).status_code == 302


def test_a_successful_sign_in_resets_the_failure_count(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, "pat", "guess")
    assert _sign_in(client, "pat", world.password).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, "pat", "guess")
    assert _sign_in(client, "pat", world.password).status_code == 302


def test_signing_out_needs_a_post(client, world):
    client.force_login(world.pat.user)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email_end_to_end(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the email leaves after the commit
        response = client.post(reverse("password_reset"), {"email": "pat@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pat@example.org"]
    assert "reset your password" in message.subject.lower()
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new_password = "a brand new passphrase 42"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    client.logout()
    assert _sign_in(client, "pat", new_password).status_code == 302


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302  # same answer as for a known address
    assert mail.outbox == []


def test_session_cookie_is_http_only_and_expires_with_the_browser(client, world):
    _sign_in(client, "pat", world.password)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_a_signed_in_user_visiting_the_login_page_goes_home(client, world):
    client.force_login(world.pat.user)
    response = client.get(reverse("login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_pages_are_refused_to_anonymous_visitors(client, world):
    for name in ["home", "directory", "absence_list"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
