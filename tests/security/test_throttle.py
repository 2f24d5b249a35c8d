"""Failed sign-ins and enrollments are counted in the database, so two workers share one limit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from flask import Flask
from flask.testing import FlaskClient

from tests.security.conftest import add_users
from tests.server.conftest import Clock
from tests.server.test_enroll import enroll, make_code
from tests.server.test_web_data import csrf_of, sign_in


def test_wrong_enrollment_codes_are_limited_across_two_workers(
    app: Flask, twin: Flask, clock: Clock
) -> None:
    app.config["ENROLL_MAX_FAILURES"] = twin.config["ENROLL_MAX_FAILURES"] = 4
    first, second = app.test_client(), twin.test_client()
    for n in range(4):  # alternate workers: each sees only two failures of its own
        assert enroll((first, second)[n % 2], "AAAA-BBBB-CCCC").status_code == 401
    good = make_code(app)
    for worker in (first, second):
        refused = enroll(worker, good)
        assert refused.status_code == 429
        assert refused.get_json()["error"]["code"] == "too_many_attempts"
        wait = int(refused.headers["Retry-After"])
        assert 0 < wait <= app.config["ENROLL_FAILURE_WINDOW"]
    clock.now += timedelta(seconds=app.config["ENROLL_FAILURE_WINDOW"] + 1)
    assert enroll(second, good).status_code == 201


def test_retry_after_counts_down_from_the_oldest_failure(app: Flask, clock: Clock) -> None:
    app.config["ENROLL_MAX_FAILURES"] = 2
    client = app.test_client()
    enroll(client, "AAAA-BBBB-CCCC")
    clock.now += timedelta(seconds=100)
    enroll(client, "AAAA-BBBB-CCCC")
    window = app.config["ENROLL_FAILURE_WINDOW"]
    assert int(enroll(client, "x").headers["Retry-After"]) == window - 100
    clock.now += timedelta(seconds=window - 100 + 1)  # the first failure has left the window
    assert enroll(client, "AAAA-BBBB-CCCC").status_code == 401


def test_wrong_passwords_are_limited_across_two_workers(
    app: Flask, twin: Flask, client: FlaskClient, clock: Clock
) -> None:
    add_users(app, "cora")
    other = twin.test_client()
    for n in range(5):  # SIGNIN_MAX_FAILURES wrong passwords, spread over both workers
        assert sign_in((client, other)[n % 2], "cora", "wrong").status_code == 400
    for worker in (client, other):
        refused = sign_in(worker, "cora")  # even the right password waits
        assert refused.status_code == 429
        assert "Too many failed sign-ins" in refused.get_data(as_text=True)
        assert 0 < int(refused.headers["Retry-After"]) <= app.config["SIGNIN_FAILURE_WINDOW"]
    clock.now += timedelta(seconds=app.config["SIGNIN_FAILURE_WINDOW"] + 1)
    assert sign_in(other, "cora").status_code == 302


def _at_once(calls: list[Callable[[], requests.Response]]) -> list[int]:
    """Make every call at the same moment, each on its own thread; return the status codes."""
    start = threading.Barrier(len(calls))

    def call(make: Callable[[], requests.Response]) -> int:
        start.wait()
        return make().status_code

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(call, calls))


def test_wrong_codes_sent_at_once_get_no_more_tries_than_the_limit(
    app: Flask, live_server: str
) -> None:
    app.config["ENROLL_MAX_FAILURES"] = 3
    url = f"{live_server}/api/v1/devices/enroll"
    wrong = {"code": "AAAA-BBBB-CCCC", "label": "guess"}
    statuses = _at_once([lambda: requests.post(url, json=wrong, timeout=30)] * 8)
    # Each attempt counts before it is checked: at most the limit are tried, the rest wait.
    assert sorted(statuses) == [401] * 3 + [429] * 5, statuses


def test_wrong_passwords_sent_at_once_get_no_more_tries_than_the_limit(
    app: Flask, live_server: str
) -> None:
    add_users(app, "cora")
    app.config["SIGNIN_MAX_FAILURES"] = 2

    def browser() -> Callable[[], requests.Response]:
        """Open the sign-in page now; return the wrong-password POST to make at the barrier."""
        session = requests.Session()
        page = session.get(f"{live_server}/dashboard/sign-in", timeout=30).text
        form = {"username": "cora", "password": "wrong", "csrf_token": csrf_of(page)}
        return lambda: session.post(f"{live_server}/dashboard/sign-in", data=form, timeout=30)

    statuses = _at_once([browser() for _ in range(6)])
    assert sorted(statuses) == [400] * 2 + [429] * 4, statuses


def _browser(app: Flask, address: str) -> FlaskClient:
    """Return a new browser whose requests come from ``address``."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def test_a_stranger_guessing_the_admins_password_locks_out_only_themselves(app: Flask) -> None:
    add_users(app, "ada")
    usual = _browser(app, "192.168.1.10")
    assert sign_in(usual, "ada").status_code == 302  # the admin's own browser, known from now on
    stranger = _browser(app, "203.0.113.66")
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        assert sign_in(stranger, "ada", "guess").status_code == 400
    assert sign_in(stranger, "ada").status_code == 429  # even the right password waits
    assert sign_in(usual, "ada").status_code == 302
    assert sign_in(_browser(app, "192.168.1.11"), "ada").status_code == 302  # a new laptop too


def test_guessing_from_the_admins_own_network_leaves_the_admins_browser_working(
    app: Flask,
) -> None:
    add_users(app, "ada")
    usual = _browser(app, "192.168.1.10")
    assert sign_in(usual, "ada").status_code == 302
    stranger = _browser(app, "192.168.1.10")  # the same community-centre Wi-Fi
    for _ in range(app.config["SIGNIN_MAX_ADDRESS_FAILURES"]):
        sign_in(stranger, "ada", "guess")
    assert sign_in(stranger, "ada").status_code == 429
    assert sign_in(usual, "ada").status_code == 302


def test_guessing_from_many_addresses_is_bounded_but_known_browsers_get_in(app: Flask) -> None:
    add_users(app, "ada")
    app.config["SIGNIN_MAX_NEW_CLIENT_FAILURES"] = 3
    usual = _browser(app, "192.168.1.10")
    assert sign_in(usual, "ada").status_code == 302
    for n in range(3):  # one guess from each of many addresses
        assert sign_in(_browser(app, f"203.0.113.{n}"), "ada", "guess").status_code == 400
    assert sign_in(_browser(app, "203.0.113.99"), "ada", "guess").status_code == 429
    assert sign_in(usual, "ada").status_code == 302


def test_a_forged_device_cookie_earns_no_trust(app: Flask) -> None:
    add_users(app, "ada", "cora")
    app.config["SIGNIN_MAX_NEW_CLIENT_FAILURES"] = 2
    mine = _browser(app, "203.0.113.5")
    assert sign_in(mine, "cora").status_code == 302  # trusted for cora, not for ada
    for _ in range(2):
        assert sign_in(mine, "ada", "guess").status_code == 400
    assert sign_in(_browser(app, "203.0.113.6"), "ada", "guess").status_code == 429
    mine.set_cookie("doorstep_device", "eyJpZCI6Im1pbmUifQ.forged", path="/dashboard/")
    assert sign_in(mine, "ada", "guess").status_code == 429
