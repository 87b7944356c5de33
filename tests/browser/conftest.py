"""Browser fixtures: one Debian Chromium per session driven by Playwright, a fresh context (own
cookies) per test, and the ``world`` personas committed where the live server thread sees them.

Playwright's sync API keeps an asyncio event loop "running" in the main thread from start to
stop, which makes Django refuse ORM calls (SynchronousOnlyOperation) and breaks
``async_to_sync``. So browser tests are moved to the end of the run, and the loop only exists
while they run.

Pages that need websockets (live updates) use ``asgi_live_server`` and ``open_browser``
instead of ``live_server`` and ``page``: pytest-django's live server speaks WSGI only."""

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar

import pytest
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright

CHROMIUM = Path(os.environ.get("CCAP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000
# Chromium reports every blocked inline script, style or foreign load on the console with this.
CSP_VIOLATION = "Content Security Policy"
T = TypeVar("T")


def pytest_collection_modifyitems(config, items):
    """Run browser tests last, so Playwright's event loop never overlaps other tests."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium); "
            "it is missing or not executable.",
            pytrace=False,
        )
    with pytest.MonkeyPatch.context() as mp:
        # The ORM calls of tests and of fixture teardown (the flush after each transactional
        # test) run while Playwright's loop is running in this thread.
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()


@pytest.fixture
def browser_world(transactional_db, world):
    """The personas, committed (transactional_db) so the live server's thread can read them.
    Help desk, MIS and administrator personas have an authenticator app (a confirmed TOTP
    device), whose codes ``sign_in_on`` types at the second step as a person would."""
    for staff in (world.hannah, world.mike, world.ada):
        TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
    return world


def watch_for_csp_violations(context: BrowserContext) -> list[str]:
    """The Content-Security-Policy violations Chromium reports on any page of ``context``;
    the fixtures fail the test when one was seen, so no page of the suite may break the
    policy (an inline script, style= or a foreign image would)."""
    violations: list[str] = []
    context.on(
        "console",
        lambda message: (
            violations.append(f"{message.page.url if message.page else '?'}: {message.text}")
            if CSP_VIOLATION in message.text
            else None
        ),
    )
    return violations


def assert_no_csp_violations(violations: list[str]) -> None:
    if violations:
        pytest.fail("Content-Security-Policy violations:\n  " + "\n  ".join(violations))


def in_a_thread(function: Callable[..., T], *args: object) -> T:
    """``function(*args)`` in a thread of its own: Playwright's event loop runs in this one,
    where the live updates the services send on commit (``async_to_sync``) cannot run."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(function(*args))
        except BaseException as error:  # handed to the caller's thread
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def next_totp_code(device: TOTPDevice) -> str:
    """The code the app shows now, or the next one if this one was already used: django-otp
    accepts each time step once, and one test may sign the same persona in twice."""
    device.refresh_from_db()
    now = int((time.time() - device.t0) // device.step)
    step = max(now, device.last_t + 1)
    if step > now + device.tolerance:
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.1)
    return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"


@pytest.fixture
def context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    violations = watch_for_csp_violations(context)
    yield context
    context.close()
    assert_no_csp_violations(violations)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in_on(page: Page, username: str, password: str, *, second_factor: bool = True) -> Page:
    """Sign ``username`` in through the login form and, when the second step asks for it, with
    a code from their authenticator app (unless ``second_factor=False``, for the tests of that
    step); leaves the page on where it lands."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if second_factor and "/account/security/verify/" in page.url:
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        page.get_by_label("Code").fill(next_totp_code(device))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()
    return page


def nav_link(page: Page, name: str) -> Locator:
    """The main navigation's link ``name``, its area's menu opened first when it is in one
    (as a person clicks the menu, then the link)."""
    nav = page.get_by_role("navigation", name="Main")
    # A closed menu's links are out of the accessibility tree: found by their text.
    menu = nav.locator("details.menu", has=page.locator(f"a:text-is({name!r})"))
    if menu.count() and not menu.evaluate("menu => menu.open"):
        menu.locator("summary").click()
    return nav.get_by_role("link", name=name, exact=True)


@pytest.fixture
def sign_in(page: Page, browser_world):
    """Sign ``username`` in through the login form; leaves the page on where it lands."""

    def sign_in(username: str, password: str | None = None) -> Page:
        return sign_in_on(page, username, password or browser_world.password)

    return sign_in


# --- An ASGI live server (HTTP and websockets) ------------------------------------------------


@pytest.fixture(scope="session")
def asgi_server(django_db_setup) -> Iterator[str]:
    """``config.asgi.application`` served by Daphne on a free port, in a thread of this process.

    In-process, so the server sees the test database (even in-memory SQLite), the in-memory
    channel layer carries its events from the views to the websockets, and mail sent by the
    views (django-q2 runs tasks inline in tests) lands in ``django.core.mail.outbox``.
    Twisted's reactor cannot be restarted, so there is one server per session, started on
    first use and stopped (before the test database goes) at the end."""
    # Importing daphne.server installs Twisted's asyncio reactor, on a loop of its own.
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from twisted.internet import reactor

    from config.asgi import application

    server = Server(
        application=application,
        endpoints=build_endpoint_description_strings(host="127.0.0.1", port=0),
        signal_handlers=False,
        verbosity=0,
    )
    thread = threading.Thread(target=server.run, name="daphne", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.listening_addresses:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("Daphne did not start listening within 10 s.", pytrace=False)
        time.sleep(0.02)
    host, port = server.listening_addresses[0]
    yield f"http://{host}:{port}"
    reactor.callFromThread(server.stop)  # stops the reactor, in its own thread
    thread.join(timeout=10)


@pytest.fixture
def asgi_live_server(asgi_server, transactional_db) -> Iterator[str]:
    """The ASGI server's URL, with the test's data committed where its threads see it.

    On in-memory SQLite, each thread would otherwise open its own connection to the shared
    cache, where a reader and a writer fail at once with "database table is locked" instead of
    waiting. So, like Django's LiveServerThread, every thread shares the test's connection
    while the test runs. PostgreSQL (and file SQLite) need nothing: committed is visible."""
    connection = connections["default"]
    if not isinstance(connection, SQLiteWrapper) or not connection.is_in_memory_db():
        yield asgi_server
        return
    with pytest.MonkeyPatch.context() as mp:
        connection.inc_thread_sharing()
        mp.setattr(connections, "_connections", SimpleNamespace(default=connection))
        try:
            yield asgi_server
        finally:
            connection.dec_thread_sharing()


@pytest.fixture
def open_browser(
    browser: Browser, asgi_live_server, browser_world
) -> Iterator[Callable[..., Page]]:
    """Opens a page in a new context (its own cookies: one person's browser) on the ASGI
    server, signed in as ``username`` when given. All are closed after the test, before the
    database is flushed."""
    contexts: list[BrowserContext] = []
    violations: list[str] = []

    def open_browser(username: str | None = None) -> Page:
        context = browser.new_context(base_url=asgi_live_server, locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        context.on(
            "console",
            lambda message: (
                violations.append(message.text) if CSP_VIOLATION in message.text else None
            ),
        )
        page = context.new_page()
        if username is not None:
            sign_in_on(page, username, browser_world.password)
        return page

    yield open_browser
    for context in contexts:
        context.close()
    assert_no_csp_violations(violations)
