"""Findings: behind a proxy PROXY_COUNT had no effect, so five bad passwords from anyone locked
a user out for everyone; no per-address limit; password reset unlimited, and its timing told
whether an address has a login (48 ms known, 1 ms unknown)."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_q.models import OrmQ, Task

from helpdesk.lib.client_address import client_address
from helpdesk.passwords import services as passwords

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the reverse proxy: every request reaches the app from it
ATTACKER = "203.0.113.66"
PAT_AT_WORK = "198.51.100.7"


def _from(address: str, forged: str = "") -> dict[str, str]:
    """What the app receives through one proxy that appends the address it saw."""
    chain = f"{forged}, {address}" if forged else address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}


def _sign_in(client, username, password, **meta):
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


# --- The client's address -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded_for", "expected"),
    [
        (0, "192.0.2.9", "6.6.6.6", "192.0.2.9"),  # no proxy: the header is the client's word
        (1, PROXY, "198.51.100.7", "198.51.100.7"),
        (1, PROXY, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # forged left-most: ignored
        (1, PROXY, "6.6.6.6, not-an-address, 198.51.100.7", "198.51.100.7"),
        (1, PROXY, "10.1.2.3", "10.1.2.3"),  # an office's private address counts too
        (1, PROXY, "", PROXY),  # the proxy's header is missing: the socket's address
        (2, PROXY, "6.6.6.6, 198.51.100.7, 203.0.113.9", "198.51.100.7"),
        (2, PROXY, "198.51.100.7, 203.0.113.9", "198.51.100.7"),
    ],
)
def test_the_client_address_is_read_through_the_configured_proxies(
    settings, proxies, remote, forwarded_for, expected
):
    settings.PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_address(request) == expected


# --- Sign-in ----------------------------------------------------------------------------------


def test_finding_bad_passwords_behind_a_proxy_lock_the_user_out_for_everyone(
    client, world, settings
):
    settings.PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        # Forging the left-most X-Forwarded-For (a new one each time) does not help.
        _sign_in(client, "pat", "guess", **_from(ATTACKER, forged=f"192.0.2.{n}"))
    assert _sign_in(client, "pat", world.password, **_from(ATTACKER)).status_code == 429
    assert _sign_in(client, "pat", world.password, **_from(PAT_AT_WORK)).status_code == 302


def test_finding_no_per_address_limit_on_failed_sign_ins(client, world, settings):
    settings.PROXY_COUNT = 1
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "sign_in_failures_per_address": "3/h"}
    for username in ["pat", "alex", "alice"]:  # under each account's own lockout
        assert _sign_in(client, username, "guess", **_from(ATTACKER)).status_code == 200
    refused = _sign_in(client, "hannah", world.password, **_from(ATTACKER))
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert _sign_in(client, "hannah", world.password, **_from(PAT_AT_WORK)).status_code == 302


def test_successful_sign_ins_do_not_count_against_the_address(client, world, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "sign_in_failures_per_address": "2/h"}
    for _ in range(4):  # an office where several people sign in
        assert _sign_in(client, "pat", world.password).status_code == 302
        client.logout()


def test_failed_sign_ins_for_one_account_from_many_addresses_are_limited(client, world, settings):
    settings.PROXY_COUNT = 1
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "sign_in_failures_per_account": "3/h"}
    for n in range(3):
        assert _sign_in(client, "pat", "guess", **_from(f"203.0.113.{n}")).status_code == 200
    assert _sign_in(client, "PAT ", "guess", **_from("203.0.113.99")).status_code == 429
    assert _sign_in(client, "alex", world.password, **_from("203.0.113.99")).status_code == 302


# --- Password reset -------------------------------------------------------------------------


def test_finding_password_reset_is_not_limited_per_address(client, world, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "password_reset_per_email": "3/h"}
    for _ in range(3):
        assert (
            client.post(reverse("password_reset"), {"email": "pat@example.org"}).status_code == 302
        )
    refused = client.post(reverse("password_reset"), {"email": "Pat@Example.org"})
    assert refused.status_code == 429
    assert client.post(reverse("password_reset"), {"email": "alex@example.org"}).status_code == 302


def test_password_reset_requests_from_one_client_address_are_limited(client, world, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "password_reset_per_address": "2/h"}
    for n in range(2):
        client.post(reverse("password_reset"), {"email": f"someone{n}@example.org"})
    assert client.post(reverse("password_reset"), {"email": "x@example.org"}).status_code == 429


def test_finding_password_reset_timing_reveals_whether_an_address_has_a_login(
    client, world, monkeypatch
):
    """The page looks nobody up: it queues the typed address and answers. (The timing itself
    is measured by bench/password_reset.py.)"""
    queued = []
    monkeypatch.setattr(passwords, "enqueue", lambda task, *args: queued.append((task, *args)))
    answers = []
    for email in ["pat@example.org", "nobody@example.org"]:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse("password_reset"), {"email": email})
        assert not [q for q in queries.captured_queries if "helpdesk_user" in q["sql"]], email
        answers.append((response.status_code, response["Location"]))
    assert answers[0] == answers[1]
    assert [q[:2] for q in queued] == [
        (passwords.SEND_RESET_LINK, "pat@example.org"),
        (passwords.SEND_RESET_LINK, "nobody@example.org"),
    ]


def test_the_reset_token_is_in_no_task_argument_or_result(
    client, world, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "pat@example.org"})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/reset/" in line)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    stored = [repr((t.args, t.kwargs, t.result)) for t in Task.objects.all()]
    stored += [repr(q.task) for q in OrmQ.objects.all()]
    assert any("pat@example.org" in s for s in stored)  # the tasks did run and were kept
    assert not [s for s in stored if token in s]


def test_reset_links_are_limited_per_client_address(client, world, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "token_links_per_address": "3/h"}
    url = reverse("password_reset_confirm", args=["MQ", "a-guessed-token"])
    for _ in range(3):
        assert client.get(url).status_code == 200  # "the link is not valid"
    assert client.get(url).status_code == 429
