"""The envelope's quick path loads exactly what the marshmallow schema loads, or defers to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from survey_schemas import ResponseSchema, bundled_registry, check_response
from survey_schemas.response import _fast_load, load_envelope

SCHEMA = ResponseSchema()
REGISTRY = bundled_registry()
GOOD_ID = "6f1c1c1e-2b1a-4c55-9a53-0d6c3b1f8a01"

odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.binary(max_size=17),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
uuids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: "{" + str(u) + "}"),
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: str(u) + "\n"),
    st.uuids().map(lambda u: u.bytes),
    st.uuids(),
    odd,
)
texts = st.one_of(
    st.text(max_size=3),
    st.sampled_from([0, 1, 15, 16, 17, 63, 64, 65, 99, 100, 101, 199, 200, 201]).map("é".__mul__),
    odd,
)
areas = st.one_of(
    st.sampled_from(["ARB-01", "a", "x" * 64, "x" * 65, "ARB-01\n", "-ARB", "AR B", "ÄRB"]),
    st.from_regex(r"[A-Za-z0-9_.\- ]{0,66}", fullmatch=True),
    odd,
)
times = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(
        ["2026-11-24T18:05:00+00:00", "2026-11-24T18:05:00Z", "2026-11-24", "20261124T180500+0100"]
    ),
    st.datetimes(timezones=st.timezones()),
    odd,
)
maps = st.one_of(st.dictionaries(st.text(max_size=4), st.integers(), max_size=3), odd)
consents = st.one_of(st.sampled_from([True, False, None, 1, 0, "true", "yes", "no", 1.0]), odd)

FIELDS = {
    "id": uuids,
    "survey_id": texts,
    "survey_version": st.one_of(st.integers(-2, 3), st.floats(1, 3), odd),
    "area": areas,
    "method": st.one_of(st.sampled_from(["doorstep", "street", "paper", "online", "phone"]), odd),
    "collected_at": times,
    "answers": maps,
    "personal": maps,
    "volunteer": texts,
    "consent": consents,
    "language": texts,
    "street": texts,
    "replaces": uuids,
}
VALID: dict[str, Any] = {
    "id": GOOD_ID,
    "survey_id": "doorstep-safety",
    "survey_version": 1,
    "area": "ARB-01",
    "method": "doorstep",
    "collected_at": "2026-11-24T18:05:00+00:00",
    "answers": {"consent": True, "concerns": ["speeding"], "severity": 4},
}


@st.composite
def envelopes(draw: st.DrawFn) -> Any:
    """Draw a valid envelope with up to three fields dropped or redrawn, maybe an extra key."""
    data = dict(VALID)
    # few changes each, so that a good share stays valid and every field's edge gets probed
    for name in draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=3, unique=True)):
        if draw(st.integers(0, 4)) == 0:
            data.pop(name, None)
        else:
            data[name] = draw(FIELDS[name])
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.sampled_from(["extra", "ID", 1]))] = draw(odd)
    return data if draw(st.integers(0, 19)) else draw(st.sampled_from([list(data.items()), None]))


EDGES: dict[str, list[Any]] = {
    "id": [GOOD_ID.upper(), "{" + GOOD_ID + "}", GOOD_ID + "\n", GOOD_ID[:-1], b"0123456789abcdef"],
    "survey_id": ["", "x" * 64, "x" * 65, b"doorstep", None, 1],
    "survey_version": [True, False, 0, 1, 10**20, 1.0, "1", None],
    "area": ["x" * 64, "x" * 65, "ARB-01\n", " ARB", "-A", "ÄRB", "", None, b"ARB"],
    "method": ["doorstep", "DOORSTEP", "", None, ["doorstep"]],
    "collected_at": ["2026-11-24T18:05:00", "2026-11-24T18:05:00Z", "2026-11-24", "x", "", None],
    "answers": [{}, [], None, "x", {1: 2}],
    "personal": [{}, None, [], {"phone": "1"}],
    "volunteer": [None, "", "v" * 100, "v" * 101, 1, True],
    "consent": [None, True, False, 1, 0, "true", "no", 1.0, []],
    "language": [None, "en", "l" * 16, "l" * 17, 1],
    "street": [None, "s" * 200, "s" * 201, b"Mill Lane"],
    "replaces": [None, GOOD_ID, GOOD_ID.upper(), "", "x", 1],
}


def _frozen(loaded: dict[str, Any]) -> dict[str, Any]:
    """Return a loaded envelope with datetimes spelled out (equal instants can differ in zone)."""
    return {
        k: (v.isoformat(), repr(v.tzinfo)) if isinstance(v, datetime) else v
        for k, v in loaded.items()
    }


def _assert_same(data: Any) -> None:
    """Assert the quick path loads what marshmallow loads, or defers."""
    fast = _fast_load(data)
    try:
        slow: dict[str, Any] | None = SCHEMA.load(data)
    except ValidationError:
        slow = None
    if fast is not None:
        assert slow is not None, data
        assert _frozen(fast) == _frozen(slow)
        assert [type(v) for v in fast.values()] == [type(slow[k]) for k in fast]


@settings(max_examples=1500, deadline=None)
@given(envelopes())
def test_quick_path_loads_what_marshmallow_loads_or_defers(data: Any) -> None:
    _assert_same(data)


def test_quick_path_agrees_on_every_single_field_edge() -> None:
    for name, values in EDGES.items():
        _assert_same({k: v for k, v in VALID.items() if k != name})
        for value in values:
            _assert_same({**VALID, name: value})


@settings(max_examples=300, deadline=None)
@given(envelopes())
def test_load_envelope_decides_and_words_errors_like_marshmallow(data: Any) -> None:
    try:
        slow: Any = _frozen(SCHEMA.load(data))
    except ValidationError as error:
        slow = error.messages
    try:
        fast: Any = _frozen(load_envelope(data))
    except ValidationError as error:
        fast = error.messages
    assert fast == slow


def test_quick_path_takes_well_formed_envelopes() -> None:
    full = {
        **VALID,
        "personal": {},
        "volunteer": "Sam",
        "consent": True,
        "language": "en",
        "street": "Mill Lane",
        "replaces": GOOD_ID.replace("6f", "7f"),
    }
    for data in (VALID, full):
        loaded = _fast_load(data)
        assert loaded is not None
        assert _frozen(loaded) == _frozen(SCHEMA.load(data))
    response, errors = check_response(VALID, REGISTRY.find)
    assert errors == {}
    assert response is not None and response.id == GOOD_ID


def test_quick_path_leaves_problems_to_marshmallow() -> None:
    naive = {**VALID, "collected_at": "2026-11-24T18:05:00"}
    assert _fast_load(naive) is None
    assert check_response(naive, REGISTRY.find) == (
        None,
        {"collected_at": ["Not a valid aware datetime."]},
    )
    assert _fast_load({**VALID, "consent": 1}) is None
    assert _fast_load({**VALID, "survey_version": True}) is None
    assert _fast_load({**VALID, "extra": 1}) is None
