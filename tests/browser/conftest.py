"""The browser tier: the web console (chalicelib/console) in Debian's Chromium, headless,
driven by Playwright against a real local stack (the e2e tier's `stack`)."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, Stack, stack  # noqa: F401  (re-exported fixture)

# Reviewable screenshots of every test, kept after the run (bench/out is not versioned).
SCREENSHOTS = ROOT / "bench" / "out" / "console"
# Autoplay without a gesture, so tests can play audio; a fake microphone that always
# grants access, so recording can be tested without a person or a sound card.
CHROMIUM_ARGS = [
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


@pytest.fixture(scope="session")
def chromium() -> str:
    # Playwright's own browser download needs the internet; Debian's package does not
    # (`make system-deps` installs it).
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("no `chromium` on PATH: install Debian's chromium package (make system-deps)")
    return path


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, stack: Stack, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (its own session storage) on the console, with a screenshot
    of the final state saved under the test's name."""
    context = browser.new_context(base_url=stack.api_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    # Deleting asks for confirmation; a user would say yes.
    opened.on("dialog", lambda dialog: dialog.accept())
    opened.goto("/console")
    opened.wait_for_selector("html[data-ready=true]")
    yield opened
    snapshot(opened, request.node.name)
    context.close()
    assert not errors, f"the page raised: {errors}"


@pytest.fixture
def signed_in(page: Any, stack: Stack) -> Any:
    sign_in(page, stack.key)
    page.wait_for_selector("#nav:not([hidden])")
    return page


def snapshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def sign_in(page: Any, key: str) -> None:
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
