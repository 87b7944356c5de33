"""Browser fixtures: one Debian Chromium per session driven by Playwright, a fresh context (own
cookies) per test, and the ``world`` personas committed where the live server thread sees them.

Playwright's sync API keeps an asyncio event loop "running" in the main thread from start to
stop, which makes Django refuse ORM calls (SynchronousOnlyOperation) and breaks
``async_to_sync``. So browser tests are moved to the end of the run, and the loop only exists
while they run."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

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
    """The personas, committed (transactional_db) so the live server's thread can read them."""
    return world


@pytest.fixture
def context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def sign_in(page: Page, browser_world):
    """Sign ``username`` in through the login form; leaves the page on where it lands."""

    def sign_in(username: str, password: str | None = None) -> Page:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password or browser_world.password)
        page.get_by_role("button", name="Sign in").click()
        return page

    return sign_in
