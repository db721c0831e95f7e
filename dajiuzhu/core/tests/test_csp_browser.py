"""The pages with scripts, in a real browser under the Content-Security-Policy: no violation is reported,
ECharts draws its charts, htmx runs, swagger-ui shows the API. Needs Playwright and a Chromium (the
Debian package); skipped where they are missing."""

from __future__ import annotations

import shutil

import pytest
from django.core.management import call_command

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine")


@pytest.fixture
def browser_session(live_server, client, transactional_db):
    """The demo county, and a signed-in county administrator's session cookie for the browser."""
    from dajiuzhu.accounts.models import User

    call_command("seed_demo", people=400, seed=11, verbosity=0)
    client.force_login(User.objects.get(username="county_admin"))
    return live_server.url, client.cookies["sessionid"].value


def test_charts_htmx_and_api_docs_run_under_the_policy(browser_session, monkeypatch):
    from dajiuzhu.registry.models import Household

    base, session = browser_session
    household = Household.objects.filter(region_code__startswith="371424").order_by("pk").first()
    pages = {
        "/dashboards/371424000000/": ["#chart-children canvas", "#chart-spending canvas", "#chart-index canvas"],
        "/alerts/county/": ["#chart-regions canvas", "#chart-months canvas"],
        "/indices/aggregates/": ["#agg-chart canvas"],
        f"/registry/{household.pk}/": [],
        "/api/v1/docs": [".swagger-ui .info .title"],
    }
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop in this thread; the ORM is done
    violations: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context()
        context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
        page = context.new_page()
        def console(message):
            source = message.location.get("url", "")
            refused = "Content Security Policy" in message.text or "Refused" in message.text
            # Chromium asks for /favicon.ico by itself; the platform has no icon (yet).
            if refused or (message.type == "error" and not source.endswith("/favicon.ico")):
                violations.append(f"{page.url}: {message.text} ({source})")

        page.on("console", console)
        page.on("pageerror", lambda e: violations.append(f"{page.url}: script error {e}"))
        for path, selectors in pages.items():
            response = page.goto(base + path, wait_until="networkidle")
            assert response.status == 200, path
            assert response.headers.get("content-security-policy"), path
            for selector in selectors:
                try:
                    page.wait_for_selector(selector, timeout=60000)  # a loaded machine is slow
                except playwright.TimeoutError:
                    pytest.fail(f"{path}: {selector} never appeared; the browser said: {violations}")
            if path.startswith("/registry/") and page.query_selector("[data-chart='indices-household']"):
                page.wait_for_selector("[data-chart='indices-household'] canvas", timeout=60000)
        # htmx: the language switch is plain JS (data-autosubmit) and htmx has loaded.
        page.goto(base + "/", wait_until="networkidle")
        assert page.evaluate("typeof window.htmx") == "object"
        assert page.evaluate("htmx.config.includeIndicatorStyles") is False
        with page.expect_navigation():
            page.select_option("select[name=language]", "en")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.lang") == "en"
        browser.close()
    assert violations == []
