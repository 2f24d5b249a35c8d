"""Fixtures for the tests that run ODK's own engines (install them with ``make odk-deps``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import _need

from .engine import OdkEngine, missing


@pytest.fixture(scope="session")
def odk_engine() -> Iterator[OdkEngine]:
    """Yield ODK's XForms engine running in node (skips on a dev box without it, fails in CI)."""
    problem = missing()
    if problem:
        _need("ODK's XForms engine", problem)
    engine = OdkEngine()
    yield engine
    engine.close()


# The server on loopback, for ODK's engine to fill the forms it serves and submit to it.
from tests.server.conftest import (  # noqa: E402, F401
    app,
    clock,
    database_url,
    live_server,
)
