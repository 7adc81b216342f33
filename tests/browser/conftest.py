"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright. Never downloads a browser.

Screenshots go to tests/artifacts/ (not committed; CI keeps them as artifacts).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connections

from tests.helpers import require_service
from tests.servers import Uvicorn

CHROMIUM = os.environ.get("KERNTEAM_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Playwright's sync API runs an event loop on this thread
    while it is open, so it is closed (and the environment restored) after the module."""
    require_service(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    # The ORM calls in the test body are synchronous and safe; Django only sees the loop.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def asgi_server(transactional_db):
    """The real ASGI app (one uvicorn worker) on the test database, for WebSockets."""
    server = Uvicorn()
    try:
        server.wait_until_up()
        yield server.url
    finally:
        server.stop()


def sign_in(browser, base_url: str, user, viewport):
    """A new browser context, signed in as `user` through the login form."""
    user.set_password("kernteam-demo")
    user.save()
    context = browser.new_context(viewport=viewport)
    # Content Security Policy violations, to check that the pages need no exceptions
    context.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill("kernteam-demo")
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("heading", name="Mijn kernteams").wait_for()
    return page


def off_the_loop(fn):
    """Run set-up that sends live events outside Playwright's event loop, as a view would
    (async_to_sync refuses to run in a thread with a running loop)."""

    def run():
        try:
            return fn()
        finally:
            connections.close_all()  # (the thread ends: its connection goes back to the pool)

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()
