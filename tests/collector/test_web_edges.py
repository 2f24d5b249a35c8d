"""The collector's web edges: redirects, PIN guessing, the kiosk clock, a full disk, http://."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from collector.app import close_app, create_app
from collector.redirects import safe_next
from collector.settings import plain_http_warning
from collector.store import ResponseStore
from collector.web import kiosk
from collector.web.throttle import PinThrottle
from tests.collector.test_storage_full import _leave_free, disk  # noqa: F401 (fixture)
from tests.collector.test_web_forms import signed_in, token

PHONE = "192.168.4.20"
# Values a `next=` or language-switch link may carry: each must stay on the collector.
HOSTILE_NEXT = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/ /evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\x1f/evil.example",
    "/\u3000/evil.example",
    "/\uff0f/evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
]
SAFE_NEXT = ["/doorstep/door", "/meeting/?area=abbey", "/area/abbey#top", "/a%2F%2Fb"]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """Yield a collector with a volunteer PIN and a kiosk exit PIN (not in kiosk mode)."""
    app = create_app({"data": tmp_path / "data", "volunteer_pin": "4321", "kiosk_exit_pin": "2468"})
    yield app
    close_app(app)


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_a_hostile_next_falls_back_to_the_default(target: str) -> None:
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", SAFE_NEXT)
def test_a_path_on_this_site_is_kept(target: str) -> None:
    assert safe_next(target, "/home") == target


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_every_redirect_that_names_its_target_stays_on_site(app: Flask, target: str) -> None:
    client = app.test_client()
    switched = client.get("/lang/en", query_string={"next": target})
    assert switched.status_code == 302 and switched.location == "/"
    csrf = token(client)
    form = {"csrf_token": csrf, "name": "Ann", "area": "abbey", "pin": "4321", "next": target}
    signed = client.post("/signin", data=form)
    assert signed.status_code == 302 and signed.location == "/doorstep/street"


def sign_in_with(client: FlaskClient, pin: str, address: str) -> Any:
    csrf = token(client)
    form = {"csrf_token": csrf, "name": "Ann", "area": "abbey", "pin": pin}
    return client.post("/signin", data=form, environ_base={"REMOTE_ADDR": address})


def test_guessing_the_volunteer_pin_locks_out_only_the_guesser(app: Flask) -> None:
    guesser, volunteer = app.test_client(), app.test_client()
    for n in range(5):  # the fifth wrong PIN already says to wait
        assert sign_in_with(guesser, f"{n:04d}", PHONE).status_code == (422 if n < 4 else 429)
    refused = sign_in_with(guesser, "4321", PHONE)  # the right PIN too, while locked
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 300
    assert "Too many wrong PINs" in refused.get_data(as_text=True)
    assert sign_in_with(volunteer, "4321", "192.168.4.21").status_code == 302


def test_guessing_from_many_addresses_stops_new_phones_but_not_known_ones(app: Flask) -> None:
    known = app.test_client()
    assert sign_in_with(known, "4321", "192.168.4.30").status_code == 302
    for n in range(30):  # one wrong PIN from each of 30 invented addresses
        sign_in_with(app.test_client(), f"{n:04d}", f"10.0.{n}.1")
    assert sign_in_with(app.test_client(), "4321", "10.0.99.1").status_code == 429
    assert sign_in_with(known, "4321", "192.168.4.30").status_code == 302
    assert sign_in_with(app.test_client(), "4321", "127.0.0.1").status_code == 302


def test_a_wrong_kiosk_exit_pin_from_a_phone_does_not_lock_the_kiosk_screen(
    tmp_path: Path,
) -> None:
    app = create_app({"data": tmp_path / "data", "kiosk": "event-kiosk", "kiosk_exit_pin": "2468"})
    try:
        phone, screen = app.test_client(), app.test_client()
        for _ in range(20):
            csrf = token(phone, "/kiosk/exit")
            form = {"csrf_token": csrf, "pin": "0000"}
            phone.post("/kiosk/exit", data=form, environ_base={"REMOTE_ADDR": PHONE})
        csrf = token(phone, "/kiosk/exit")
        late = {"csrf_token": csrf, "pin": "2468"}
        assert (
            phone.post("/kiosk/exit", data=late, environ_base={"REMOTE_ADDR": PHONE}).status_code
            == 429
        )
        csrf = token(screen, "/kiosk/exit")
        unlocked = screen.post("/kiosk/exit", data={"csrf_token": csrf, "pin": "2468"})
        assert unlocked.status_code == 302 and unlocked.location == "/kiosk/staff"
    finally:
        close_app(app)


def test_a_lock_ends_after_the_window_on_the_monotonic_clock() -> None:
    now = [100.0]
    throttle = PinThrottle(tries=2, window=60, clock=lambda: now[0])
    throttle.failed("a", trusted=False)
    now[0] += 10
    throttle.failed("a", trusted=False)
    assert throttle.wait("a", trusted=False) == pytest.approx(50)
    now[0] += 51
    assert throttle.wait("a", trusted=False) == 0


@pytest.fixture
def kiosk_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"data": tmp_path / "data", "kiosk": "event-kiosk", "kiosk_idle_seconds": 60})
    yield app
    close_app(app)


def begin_turn(client: FlaskClient) -> None:
    csrf = token(client, "/kiosk/")
    turn = client.post("/kiosk/start", data={"csrf_token": csrf, "area": "abbey"})
    assert turn.location == "/kiosk/question"


@pytest.fixture
def clocks(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """Replace the wall clock and the monotonic clock with ones the test moves."""
    now = {"wall": 1_800_000_000.0, "steady": 5_000.0}
    monkeypatch.setattr(kiosk.time, "time", lambda: now["wall"])
    monkeypatch.setattr(kiosk, "clock", lambda: now["steady"], raising=False)
    return now


def test_setting_the_clock_forward_does_not_end_a_kiosk_turn(
    kiosk_app: Flask, clocks: dict[str, float]
) -> None:
    client = kiosk_app.test_client()
    begin_turn(client)
    clocks["wall"] += 86_400  # the Pi sets its clock from the network (it has no RTC)
    clocks["steady"] += 5
    assert "Question 1 of" in client.get("/kiosk/question").get_data(as_text=True)


def test_setting_the_clock_back_does_not_prolong_a_kiosk_turn(
    kiosk_app: Flask, clocks: dict[str, float]
) -> None:
    client = kiosk_app.test_client()
    begin_turn(client)
    clocks["steady"] += 61  # the person walked away, while the clock was set back 30 s
    clocks["wall"] += 61 - 30
    assert client.get("/kiosk/question").location == "/kiosk/"
    assert kiosk_app.extensions["doorstep_store"].drafts() == []


def test_a_full_disk_shows_a_page_that_keeps_the_answers(disk: Path) -> None:  # noqa: F811
    app = create_app({"data": disk / "data"})
    try:
        client = app.test_client()
        csrf = signed_in(client)
        filler = _leave_free(disk, 16 * 1024)
        answers = {
            "consent": "yes",
            "concerns": ["other"],
            "other_concern": "Vans parked on the green " * 12,
        }
        posted, reply = {}, None
        for n in range(200):
            rid = f"00000000-0000-4000-8000-{n:012d}"
            posted = {"csrf_token": csrf, "response_id": rid, "house": str(n), **answers}
            reply = client.post("/doorstep/survey", data=posted)
            if reply.status_code != 302:
                break
        assert reply is not None and reply.status_code == 507
        page = reply.get_data(as_text=True)
        assert "the collector&#39;s disk is full" in page or "the collector's disk is full" in page
        kept = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
        assert kept["response_id"] == posted["response_id"]
        assert kept["other_concern"] == posted["other_concern"]
        assert 'action="/doorstep/survey"' in page
        filler.unlink()
        again = client.post("/doorstep/survey", data=posted)  # "Try again" once space is freed
        assert again.status_code == 302
    finally:
        close_app(app)
    with ResponseStore(disk / "data") as store:
        assert posted["response_id"] in {r["id"] for r in store.iter_responses()}


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://192.168.4.1:8400", True),
        ("http://csg.example.org", True),
        ("HTTP://10.0.0.2", True),
        ("https://csg.example.org", False),
        ("http://127.0.0.1:8400", False),
        ("http://127.8.0.1", False),
        ("http://localhost:8400", False),
        ("http://[::1]:8400", False),
    ],
)
def test_plain_http_to_another_machine_is_warned_about(url: str, warned: bool) -> None:
    assert (plain_http_warning(url) is not None) is warned


def test_the_collector_warns_about_its_plain_http_enrollment(tmp_path: Path) -> None:
    app = create_app({"data": tmp_path / "data", "local_key": "k" * 32})
    try:
        client = app.test_client()
        enrollment = {"server_url": "http://192.168.4.1:8400", "device_id": "d1", "token": "t" * 20}
        put = client.put("/api/v1/device", json=enrollment, headers={"X-Doorstep-Key": "k" * 32})
        assert "plain http://" in put.get_json()["warning"]
        shown = client.get("/api/v1/device", headers={"X-Doorstep-Key": "k" * 32}).get_json()
        assert shown["server_url"] == enrollment["server_url"] and "unencrypted" in shown["warning"]
    finally:
        close_app(app)
