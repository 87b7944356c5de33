"""The browser suite's CSP watch: it sees a violation when a page breaks the policy, and the
pages stay clean of them (the fixtures fail any browser test that saw one)."""

import pytest
from django.http import HttpResponse
from django.urls import path

from tests.browser.conftest import watch_for_csp_violations

pytestmark = pytest.mark.browser


def _inline_script_page(request):
    return HttpResponse(
        "<!doctype html><title>x</title><p style='color:red'>x</p>"
        "<script>document.title = 'ran'</script>"
    )


urlpatterns = [path("csp-probe/", _inline_script_page)]


@pytest.mark.urls("tests.browser.test_content_security_policy")
def test_the_watch_sees_an_inline_script_and_style_blocked(browser, live_server, db):
    context = browser.new_context(base_url=live_server.url)
    violations = watch_for_csp_violations(context)
    page = context.new_page()
    page.goto("/csp-probe/")
    page.wait_for_load_state("load")
    assert page.title() == "x"  # the inline script did not run
    context.close()
    assert any("script-src" in v for v in violations), violations
    assert any("style-src" in v for v in violations), violations


def test_signed_in_pages_and_the_admin_break_no_policy(sign_in, page, browser_world):
    sign_in(browser_world.ada.username)
    for url in ["/", "/admin/", "/admin/helpdesk/ticket/", "/admin/helpdesk/person/add/"]:
        response = page.goto(url)
        assert response is not None
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
