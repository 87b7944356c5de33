"""The accessibility gate: axe-core (npm, pinned in package-lock.json) over every page of every
role, at a desktop width (1280 px) and a phone's (390 px), failing on any violation; no page
scrolls sideways on the phone; and a queue's first ticket is a few Tab presses from the top.

The pages are found, not listed: each role's browser starts from every URL of the URL
configuration that takes no parameter (as tests/test_security_headers.py walks them), then
follows the links the pages offer, opening one page of each route (one ticket, one notice...)
over the demo data (``seed_demo``: every state, form, account and notice). A last test fails
when a route of the URL configuration was reached by no role and is not in ``NOT_PAGES``, so a
new page is checked without editing this file.

One browser context per role and one tab in it, resized between the two widths rather than
reloaded: the whole crawl takes well under a minute."""

import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse
from django.urls import Resolver404, URLResolver, get_resolver, path, resolve
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from access.services import start_campaign
from helpdesk.actor import Actor
from helpdesk.api.tickets import ACTION_VIEWS
from helpdesk.demo.directory import SeedReport
from helpdesk.demo.seed import seed_demo
from helpdesk.directory.roles import Role
from helpdesk.models import User
from tests.browser.conftest import TIMEOUT_MS, in_a_thread, next_totp_code, sign_in_on
from tests.helpdesk import ticket_helpers as th
from tests.urlconf import static_routes

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)
PHONE = 390
# Every rule axe runs by default: WCAG 2.0-2.2 A and AA, and its best practices (which find
# the flash list's role and the landmarks the issue named).
AXE_OPTIONS = {"resultTypes": ["violations"]}
PASSWORD = "axe-gate-demo-2026"

# Routes that are no page a person reads: downloads, form targets that only take POST, JSON,
# single sign-on redirects, links that carry a one-time token, and Django's own admin (checked
# at its index only: its pages are Django's, not ours).
NOT_PAGES = {
    # downloads and exports
    "attachment_download",
    "inbound_raw",
    "dashboard_csv",
    "mis_dashboard_csv",
    "access_report",
    "agency_report_monthly_csv",
    "agency_report_reviews_csv",
    "agency_report_departures_csv",
    "form_blank_pdf",
    "form_document",
    "healthz",
    "readyz",
    "metrics",
    # POST-only actions (their forms are on the pages visited)
    "logout",
    "person_reactivate",
    "absence_cancel",
    "ticket_escalate",
    "ticket_action",
    "ticket_message",
    "ticket_update",
    "ticket_notice",
    "inbound_release",
    "inbound_discard",
    "inbound_reprocess",
    "notice_update",
    "notice_resolve",
    "notice_link_tickets",
    "procedure_archive",
    "procedure_restore",
    "procedure_resend",
    "procedure_acknowledge",
    "office_send_welcome",
    "form_upload",
    "form_verify",
    "form_file",
    "form_void",
    "review_decide",
    "access_request_action",
    "access_reset_password",
    "mfa_reset",
    "ticket_assign_me",
    "ticket_take_ownership",
    "saved_filter_create",
    "saved_filter_delete",
    "webhook_pause",
    "webhook_resume",
    "webhook_resend",
    "staff_change_undo",
    "designation_request_decide",
    # POST-only: its confirmation and summary pages answer the queue's form, not a link
    "queue_bulk",
    # single sign-on and WebAuthn's JSON
    "oidc_authentication_callback",
    "oidc_authentication_init",
    "oidc_logout",
    "credential-registration-begin",
    "credential-registration-complete",
    "credential-authentication-begin",
    "credential-authentication-complete",
    "js-i18n-catalog",
    # one-time links (the acknowledgement link has a browser test of its own)
    "password_reset_confirm",
    "procedure_acknowledge_link_with_token_in_path",
    # the REST API's JSON (its docs page is a page, linked from the API token page) and the
    # token page's POST-only revoke
    "api_schema",
    "api_tickets",
    "api_ticket",
    "api_ticket_escalate",
    "api_ticket_messages",
    "api_ticket_attachments",
    "api_ticket_attachment",
    *(f"api_ticket_{action.value}" for action in ACTION_VIEWS),
    "api_token_revoke",
    "api_inbound",
    "api_inbound_one",
    "api_inbound_raw",
    "api_inbound_release",
    "api_inbound_discard",
    "api_notices",
    "api_notice",
    "api_procedures",
    "api_procedure",
    "api_offices",
    "api_office",
    "api_dashboard",
    None,
}
# Pages the signed-out visitor sees.
ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/done/",
    "/procedures/acknowledge/",
    "/no/such/page/",
]


def _route_names(patterns=None, prefix: str = "") -> set[str | None]:
    """The name of every route, Django's admin aside (only its index is ours to check)."""
    names: set[str | None] = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route != "admin/":
                names |= _route_names(entry.url_patterns, route)
        else:
            names.add(entry.name)
    return names | {"index"}


def _page_key(path: str) -> tuple | None:
    """One page per route and per named variant (each queue is a page of its own, each ticket
    is the same page): None for what is not to be opened."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.url_name in NOT_PAGES or (path.startswith("/admin/") and path != "/admin/"):
        return None
    variant = tuple(
        sorted((k, v) for k, v in match.kwargs.items() if not str(v).isdigit() and "pk" not in k)
    )
    return (match.url_name, variant)


@dataclass
class Findings:
    violations: list[str] = field(default_factory=list)
    sideways: list[str] = field(default_factory=list)
    reached: set[str | None] = field(default_factory=set)
    # Each visit that did not come to the page: route -> "role path: what came instead", so a
    # route left unreached says why.
    missed: dict[str | None, list[str]] = field(default_factory=dict)
    pages: int = 0
    seconds: float = 0.0
    axe_seconds: float = 0.0


def _axe(page: Page) -> list[str]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} -> "
        + "; ".join(" ".join(node["target"]) for node in rule["nodes"][:4])
        for rule in result["violations"]
    ]


def _sideways(page: Page) -> int:
    """How far the page scrolls sideways, in CSS pixels (0: it fits)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _links(page: Page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" == origin:
            paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def _check(page: Page, label: str, findings: Findings) -> None:
    findings.pages += 1
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        started = time.monotonic()
        findings.violations += [f"{label} at {width} px: {v}" for v in _axe(page)]
        findings.axe_seconds += time.monotonic() - started
        if width == PHONE and (extra := _sideways(page)) > 0:
            findings.sideways.append(f"{label}: {extra} px too wide")


def _visit(page: Page, path: str):  # noqa: ANN202 - Playwright's Response, None or False
    """Open ``path``. Tried once more, rather than left out of the crawl (which would fail it
    for a page that works), when it was slow to come on a loaded machine or when the page
    before it navigated on its own at that moment (a live update)."""
    for attempt in range(2):
        try:
            return page.goto(path, wait_until="domcontentloaded")
        except PlaywrightError as error:
            if attempt or not any(why in str(error) for why in _TRY_AGAIN):
                return False
            page.wait_for_load_state()
    return False


# Where a session that is no longer signed in (or owes its second factor) is sent.
_DOORS = ("/accounts/login/", "/account/security/verify/")
_TRIES_PER_ROUTE = 3
_TRY_AGAIN = ("Timeout", "interrupted by another navigation")


def _crawl(page: Page, role: str, origin: str, findings: Findings) -> None:
    seen: set[tuple] = set()
    unanswered: Counter[tuple] = Counter()
    todo = [p for p in static_routes() if _page_key(p) is not None]
    while todo:
        path = todo.pop(0)
        key = _page_key(path.split("?")[0])
        if key is None or key in seen:
            continue
        response = _visit(page, path)
        if not response:
            # No answer came (a download, or a page still slow on its second try): another
            # link to the same route is tried, a few times, before the route is given up.
            findings.missed.setdefault(key[0], []).append(f"{role} {path}: no answer")
            unanswered[key] += 1
            if unanswered[key] >= _TRIES_PER_ROUTE:
                seen.add(key)
            continue
        seen.add(key)
        if response.status != 200:
            # refused to this role (the error page is checked once, by the visitor), or 405
            # to a GET of a POST-only route
            findings.missed.setdefault(key[0], []).append(f"{role} {path}: {response.status}")
            continue
        if any(door in page.url for door in _DOORS) and not path.startswith(_DOORS):
            findings.missed.setdefault(key[0], []).append(f"{role} {path}: at {page.url}")
            continue  # sent on elsewhere: to sign in again, or to the second step
        findings.reached.add(key[0])
        _check(page, f"{role} {path}", findings)
        todo += _links(page, origin)


def _demo() -> SeedReport:
    """The demo, and an access review under way (the demo starts none)."""
    report = seed_demo(PASSWORD)
    desk = User.objects.filter(groups__name=Role.HELP_DESK).order_by("pk")[0]
    start_campaign(
        by=Actor.of(desk), name="Quarterly review", deadline=timezone.now() + timedelta(days=14)
    )
    return report


def _sign_in_and_check(page: Page, role: str, username: str, findings: Findings) -> None:
    """Signs in as a person would, checking the second step on the way when there is one."""
    sign_in_on(page, username, PASSWORD, second_factor=False)
    if "/account/security/verify/" in page.url:
        findings.reached.add("mfa_verify")
        _check(page, f"{role} {urlsplit(page.url).path}", findings)
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        page.get_by_label("Code").fill(next_totp_code(device))
        page.get_by_role("button", name="Verify").click()
        # Until the answer has arrived: a crawl started before it would cut the sign-in short
        # and see this role's pages only as redirects to this step (seen once in CI).
        page.wait_for_url(lambda url: "/account/security/verify/" not in url)


def _check_posted_pages(page: Page, role: str, findings: Findings) -> None:
    """The pages that answer a form rather than a link: new recovery codes, shown once."""
    _visit(page, "/account/security/")
    issue = page.locator("form[action$='/recovery-codes/'] button")
    if issue.count():
        issue.click()
        page.wait_for_load_state()
        findings.reached.add("mfa_recovery_codes")
        _check(page, f"{role} new recovery codes", findings)


@pytest.fixture(scope="module")
def findings(
    browser: Browser, live_server, django_db_setup, django_db_blocker
) -> Iterator[Findings]:
    """Crawls the demo once as each role and as a signed-out visitor; the tests read what it
    found. The data is committed (the live server's thread reads it) and flushed afterwards,
    as a transactional test's would be."""
    if not AXE.is_file():
        pytest.fail(
            f"The accessibility gate needs axe-core at {AXE}: run `npm ci` at the repository "
            "root (make test does).",
            pytrace=False,
        )
    found = Findings()
    started = time.monotonic()
    with django_db_blocker.unblock():
        try:
            report = in_a_thread(_demo)
            first_of_role: dict[str, str] = {}
            for login in report.logins:
                first_of_role.setdefault(login.role, login.username)
            for role in [None, *Role.values]:
                # axe is injected as an inline script, which the site's policy blocks: the
                # policy itself is the CSP tests' business.
                context = browser.new_context(
                    base_url=live_server.url, locale="en-US", bypass_csp=True
                )
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                if role is None:
                    for path in ANONYMOUS_PAGES:
                        page.goto(path)
                        if (key := _page_key(path)) is not None:
                            found.reached.add(key[0])
                        _check(page, f"visitor {path}", found)
                else:
                    username = first_of_role[role]
                    account = User.objects.get(username=username)
                    if not TOTPDevice.objects.filter(user=account, confirmed=True).exists():
                        TOTPDevice.objects.create(user=account, name="Phone", confirmed=True)
                    _sign_in_and_check(page, role, username, found)
                    _crawl(page, role, live_server.url, found)
                    _check_posted_pages(page, role, found)
                context.close()
            found.seconds = time.monotonic() - started
            yield found
        finally:
            call_command("flush", interactive=False, verbosity=0)


def test_axe_finds_no_violation_on_any_page_of_any_role(findings, capsys):
    with capsys.disabled():  # the gate's cost, for CI's time budget
        sys.stdout.write(
            f"\naxe gate: {findings.pages} pages x {len(WIDTHS)} widths in {findings.seconds:.0f} s"
            f" ({findings.axe_seconds:.0f} s in axe) "
        )
    assert not findings.violations, "\n".join(findings.violations)


def test_no_page_scrolls_sideways_on_a_phone(findings):
    assert not findings.sideways, "\n".join(findings.sideways)


def test_the_crawl_reaches_every_page_of_the_url_configuration(findings):
    unreached = _route_names() - NOT_PAGES - findings.reached
    assert not unreached, "\n".join(
        f"{route}: " + ("; ".join(findings.missed.get(route, [])) or "no link to it")
        for route in sorted(unreached, key=str)
    )


def test_the_first_ticket_of_a_queue_is_within_five_tab_presses(sign_in, browser_world):
    """From the top of the page, pressing Tab, and Enter on the skip link to the tickets when
    it shows, as a keyboard user would."""
    ticket = in_a_thread(th.in_progress, browser_world)
    page = sign_in("hannah")
    page.goto("/queues/help_desk/")
    first = page.locator("tbody tr[data-ticket] a").first
    focused = "element => element === document.activeElement"
    for _ in range(5):
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to the tickets")
        if skip.evaluate(focused):
            expect(skip).to_be_visible()  # shown when focused
            page.keyboard.press("Enter")
        elif first.evaluate(focused):
            break
    else:
        pytest.fail("the first ticket's link was not reached in 5 Tab presses")
    assert first.get_attribute("href") == f"/tickets/{ticket.pk}/"


def _probe_page(request):
    return HttpResponse(
        '<!doctype html><html lang="en"><head><title>probe</title></head><body><main>'
        '<h1>Probe</h1><ul role="status"><li>Saved</li></ul><img src="/x.png">'
        '<table class="wide"><tr><td>' + "x" * 400 + "</td></tr></table></main></body></html>"
    )


urlpatterns = [path("a11y-probe/", _probe_page)]


@pytest.mark.urls("tests.browser.test_accessibility")
def test_the_gate_sees_a_violation_and_a_page_too_wide(browser: Browser, live_server, db):
    """The checks the crawl runs fail on a page that breaks them (as the flash list once did)."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto("/a11y-probe/")
        found = Findings()
        _check(page, "probe", found)
    finally:
        context.close()
    rules = {violation.split(" px: ")[1].split()[0] for violation in found.violations}
    assert {"aria-allowed-role", "image-alt"} <= rules
    assert len(found.sideways) == 1
    assert found.sideways[0].startswith("probe:")
