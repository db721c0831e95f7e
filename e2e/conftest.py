"""Browser tests: Playwright for Python driving Debian's chromium (never a downloaded browser) against a
live server of the test database.

Fixtures: ``browser`` (one chromium per session), ``phone`` (a 390×844 page) and ``desktop`` (1280×800),
``shot(page, name)`` (a PNG in var/screenshots/), ``axe(page)`` (injects the vendored axe-core and fails
on serious or critical violations) and ``fits(page)`` (fails when the page is wider than the viewport).

Without a chromium (``/usr/bin/chromium``, or ``DAJIUZHU_CHROMIUM``) the tests are skipped with a message
saying how to install one — unless ``DAJIUZHU_E2E_REQUIRED=1`` (``.ci/run``), where that is a failure.
``DAJIUZHU_E2E_SEPARATE=1`` skips them because the caller runs them as a stage of their own.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# The sync Playwright API runs an event loop in this thread; the test body still uses the ORM directly.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def chromium_path() -> str | None:
    candidates = [os.environ.get("DAJIUZHU_CHROMIUM", ""), "/usr/bin/chromium", "/usr/bin/chromium-browser",
                  shutil.which("chromium") or ""]
    return next((c for c in candidates if c and os.path.exists(c)), None)


def pytest_collection_modifyitems(config, items):
    mine = [item for item in items if str(item.fspath).startswith(str(Path(__file__).parent))]
    if not mine:
        return
    reason = ""
    if os.environ.get("DAJIUZHU_E2E_SEPARATE") == "1":
        reason = "browser tests run as their own stage (.ci/run)"
    elif chromium_path() is None:
        if os.environ.get("DAJIUZHU_E2E_REQUIRED") == "1":
            raise pytest.UsageError("DAJIUZHU_E2E_REQUIRED=1 but no chromium: apt-get install -y chromium")
        reason = "no chromium browser: `apt-get install -y chromium` (or set DAJIUZHU_CHROMIUM) to run the browser tests"
    if reason:
        for item in mine:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS, headless=True)
        yield instance
        instance.close()


def _page(browser, viewport, *, mobile: bool):
    context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile, locale="zh-CN",
                                  device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


@pytest.fixture
def phone(browser):
    context, page = _page(browser, PHONE, mobile=True)
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context, page = _page(browser, DESKTOP, mobile=False)
    yield page
    context.close()


@pytest.fixture
def shot(request):
    """``shot(page, "name")`` writes var/screenshots/<test>-<name>.png (full page) and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def axe_check(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core on the page; returns the violations of the given impacts (empty when it passes)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Not add_script_tag: an inline <script> is refused by the platform's Content-Security-Policy
        # (script-src 'self'). Evaluated through the DevTools protocol, the test's own tool is not a page script.
        page.evaluate("() => {\n" + AXE.read_text(encoding="utf-8") + "\n}")
    result = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]


@pytest.fixture
def axe():
    def check(page):
        violations = axe_check(page)
        assert not violations, f"accessibility violations on {page.url}: {violations}"

    return check


def overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0 when it fits)."""
    return page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
                         " - window.innerWidth")


@pytest.fixture
def fits():
    def check(page):
        extra = overflow(page)
        assert extra <= 0, f"{page.url} is {extra}px wider than the viewport"

    return check
