"""Findings: no Content-Security-Policy, and no ``Cache-Control: no-store`` on signed-in pages.

Every page the site serves carries the policy (walked from the URL configuration, so a new page
is covered without editing this file), and ``templates/`` holds nothing the policy would block:
no inline ``<script>``, no event handler attribute, no ``style=`` and no ``<style>`` block."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.helpdesk import ticket_helpers as th
from tests.urlconf import static_routes

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _policy_of(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["ada", "hannah", "pat"])
def test_finding_no_content_security_policy_on_any_page(client, world, persona):
    client.force_login(world.user(persona))
    routes = static_routes()
    assert {"/", "/admin/", "/accounts/login/"} <= set(routes)
    assert len(routes) > 20
    for route in routes:
        response = client.get(route)
        assert _policy_of(response) == _policy_of_text(POLICY), route


def _policy_of_text(text: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in text.split(";"))


@pytest.mark.django_db
def test_pages_with_an_object_and_error_pages_carry_the_policy(client, world):
    ticket = th.reported(world)
    client.force_login(world.pat.user)
    for url in [reverse("ticket_detail", args=[ticket.pk]), "/no/such/page/"]:
        assert "frame-ancestors 'none'" in client.get(url).headers["Content-Security-Policy"]
    client.logout()
    for url in [reverse("login"), reverse("password_reset")]:
        assert _policy_of(client.get(url)) == _policy_of_text(POLICY), url


@pytest.mark.django_db
def test_finding_signed_in_pages_have_no_store(client, world):
    ticket = th.reported(world)
    client.force_login(world.alice.user)
    for url in [reverse("home"), reverse("ticket_detail", args=[ticket.pk]), "/no/such/page/"]:
        assert "no-store" in client.get(url).headers["Cache-Control"], url


@pytest.mark.django_db
def test_anonymous_pages_and_static_files_are_not_forced_no_store(client, world):
    assert "Cache-Control" not in client.get(reverse("password_reset")).headers
    client.force_login(world.alice.user)
    static = client.get(settings.STATIC_URL + "css/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script> (use a static file)"),
    (re.compile(r"<style\b", re.I), "<style> block (use a static CSS file)"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute (use a class)"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler (use static JS)"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_holds_what_the_policy_blocks():
    found = [
        f"{path.relative_to(TEMPLATES)}:{n}: {why}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if "emails" not in path.parts  # mail is read in mail clients, not under our policy
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for pattern, why in INLINE
        if pattern.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(
    "line",
    [
        "<script>alert(1)</script>",
        '<script type="module">x()</script>',
        "<style>p{}</style>",
        '<p style="color:red">',
        '<button onclick="go()">',
        '<a href="javascript:go()">',
    ],
)
def test_the_template_scan_catches_each_kind(line):
    assert any(pattern.search(line) for pattern, _ in INLINE)


def test_the_template_scan_lets_a_static_script_through():
    line = "<script src=\"{% static 'js/live.js' %}\" defer></script>"
    assert not any(pattern.search(line) for pattern, _ in INLINE)


@pytest.mark.django_db
def test_the_csrf_failure_page_has_no_inline_style(world):
    """Django's own CSRF failure page carries a <style> block, which the policy blocks."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "pat", "password": "x"})
    assert response.status_code == 403
    assert "<style" not in response.content.decode()
    assert "This form could not be sent" in response.content.decode()
