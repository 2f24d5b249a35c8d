"""Fixtures shared by every part of the suite: real browser, database URLs, free ports."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

# Property tests judge the code, not the machine: a loaded CI box makes generating examples slow,
# which is no failure of what is tested (each test still sets its own example count).
settings.register_profile("doorstep", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("doorstep")

CHROMIUM = os.environ.get("DOORSTEP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 800}}


def _need(part: str, how: str) -> None:
    """Fail loudly in CI (or when asked) when a real part is missing; skip only on a dev box."""
    message = f"{part} is not available here: {how}"
    if os.environ.get("CI") or os.environ.get("DOORSTEP_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


def database_urls() -> list[str]:
    """Return the server databases to test against: SQLite always, plus the env's URL."""
    urls = ["sqlite"]
    if os.environ.get("DOORSTEP_TEST_DATABASE_URL"):
        urls.append("postgresql")
    return urls


def whole_system_databases() -> list[str]:
    """Return the one database for suites that drive the whole server over HTTP.

    The fuzz, hostile-input and role-matrix suites test the edges, which are the same on both
    databases: they run on PostgreSQL (production's) when it is configured, else on SQLite.
    """
    return ["postgresql"] if os.environ.get("DOORSTEP_TEST_DATABASE_URL") else ["sqlite"]


ON_ONE_DATABASE = pytest.mark.parametrize("database_url", whole_system_databases(), indirect=True)


@pytest.fixture(scope="session")
def prepared_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Yield the session's seeded server databases (tests/server/conftest.py, PreparedDatabases).

    Here at the root so that every module taking the server's ``database_url`` finds it.
    """
    from tests.server.conftest import PreparedDatabases

    prepared = PreparedDatabases(tmp_path_factory.mktemp("prepared"))
    yield prepared
    prepared.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Yield a headless Debian Chromium driven by Playwright."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        _need("Chromium", "apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def phone(browser) -> Iterator[object]:
    """Yield a fresh phone-sized page (390x844, touch)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def free_port() -> int:
    """Return a TCP port that is free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def screenshot_dir() -> str:
    """Return the folder for screenshots that people look at (screenshots/, git-ignored)."""
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "screenshots")
    os.makedirs(path, exist_ok=True)
    return path
