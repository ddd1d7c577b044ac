"""Browser tests: Debian's Chromium driven by Playwright against a real uvicorn server.

The server runs the make-run way (no REDIS_URL): tasks inline in the server process, and event
streams poll the live log. It shares the test database, so these tests need PostgreSQL.
Playwright's own browser download is not used; /usr/bin/chromium is (CI installs it).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.notifications.conftest import database_url, start_server, stop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def web_server(transactional_db, tmp_path):
    """uvicorn on the test database, without Redis; yields its base URL."""
    if not settings.IS_POSTGRES:
        pytest.skip("needs PostgreSQL (set DATABASE_URL): the server shares the test database")
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DEBUG"}}
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="oms.settings",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    server, base_url = start_server(env, tmp_path / "uvicorn.log")
    try:
        yield base_url
    finally:
        stop(server)


@pytest.fixture
def chromium():
    """A headless Chromium. Start it after any database work in the test's fixtures: Playwright's
    sync API keeps an event loop in this thread, where Django then refuses ORM calls."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _patient(browser)
        try:
            yield browser
        finally:
            browser.close()


# Playwright waits 30 s by default. Two cores running the suite in parallel (CI) with a server
# and a browser per test can take longer than that to load a page; nothing here measures speed.
WAIT_MS = 90_000


def _patient(browser) -> None:
    """Every page and context the tests open waits up to WAIT_MS; expect() up to 30 s."""
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    new_page, new_context = browser.new_page, browser.new_context

    def patient_page(*args, **kwargs):
        page = new_page(*args, **kwargs)
        page.set_default_timeout(WAIT_MS)
        return page

    def patient_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.set_default_timeout(WAIT_MS)
        return context

    browser.new_page, browser.new_context = patient_page, patient_context
