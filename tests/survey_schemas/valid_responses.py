"""A Hypothesis strategy for valid responses of any survey version (the push wire's shape).

Questions are walked in order as survey_schemas judges them: a question that does not apply
given the earlier answers stays unanswered, a required one that applies is answered, and each
answer fits its question's rules. Every drawn response passes ``check_response``.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from survey_schemas import Question, Survey, check_response, is_relevant
from survey_schemas.answers import MAX_TEXT, compile_pattern
from survey_schemas.dates import EARLIEST, LATEST

# Characters XML 1.0 can carry: a text answer with any other cannot travel in an XForm at all
# (build_instance refuses it; see test_openrosa). CR, tab and markup characters are included.
XML_TEXT = st.characters(
    codec="utf-8",
    exclude_categories=("Cs",),
    exclude_characters="".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r")
    + "\ufffe\uffff",
)
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


def answer(q: Question, odk: bool = False) -> st.SearchStrategy[Any]:
    """Return a strategy for one answer to ``q`` that ``check_value`` accepts.

    ``odk`` keeps numbers to what a person types into ODK: whole numbers within 32 bits (ODK's
    int, larger ones are dropped) and decimals of at most six places within a billion (ODK's
    engine writes at most 17 significant digits).
    """
    if q.type == "single_choice":
        return st.sampled_from([c.value for c in q.choices])
    if q.type == "multiple_choice":
        return _many(q)
    if q.type in ("yes_no", "consent"):
        return st.booleans()
    if q.type in ("number", "scale"):
        lo, hi = q.min, q.max
        if odk:
            limit = 2**31 - 1 if q.integer else 1e9
            lo = -limit if lo is None else max(lo, -limit)
            hi = limit if hi is None else min(hi, limit)
        ints = st.integers(
            None if lo is None else math.ceil(lo), None if hi is None else math.floor(hi)
        )
        if q.integer:
            return ints
        if odk:
            places = st.floats(lo, hi).map(lambda x: round(x, 6))
            return ints | places.filter(lambda x: lo <= x <= hi)
        return ints | st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if q.type == "date":
        lo = date.fromisoformat(q.date_min) if q.date_min else date(1, 1, 1)
        hi = date.fromisoformat(q.date_max) if q.date_max else date(9999, 12, 31)
        return st.dates(lo, hi).map(date.isoformat)
    limit = min(q.max_length or MAX_TEXT, 60)
    if q.pattern is not None:
        matching = st.from_regex(compile_pattern(q.pattern), fullmatch=True)
        return matching.filter(
            lambda t: 0 < len(t) <= (q.max_length or MAX_TEXT) and _xml_safe(t) and "\x00" not in t
        )
    return st.text(XML_TEXT, min_size=1, max_size=limit)


def _many(q: Question) -> st.SearchStrategy[list[str]]:
    values = [c.value for c in q.choices]
    plain = [v for v in values if v not in q.exclusive]
    least = max(q.min_selected or 1, 1)
    most = min(q.max_selected if q.max_selected is not None else len(values), len(values))
    options = []
    if plain and least <= min(most, len(plain)):
        options.append(
            st.lists(
                st.sampled_from(plain), min_size=least, max_size=min(most, len(plain)), unique=True
            )
        )
    if q.exclusive and least <= 1 <= most:
        options.append(st.sampled_from(sorted(q.exclusive)).map(lambda v: [v]))
    return st.one_of(options)


def _xml_safe(text: str) -> bool:
    return all(
        c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c > "\uffff"
        for c in text
    )


FIRST_MOMENT = datetime.combine(EARLIEST, time()) + timedelta(days=1)
LAST_MOMENT = datetime.combine(LATEST, time()) - timedelta(days=1)


@st.composite
def responses(
    draw: st.DrawFn, survey: Survey, areas: list[str], odk: bool = False
) -> dict[str, Any]:
    """Draw a valid wire response of ``survey`` in one of ``areas``, personal data apart.

    ``odk``: answers as a person could give them in ODK (see :func:`answer`).
    """
    given: dict[str, Any] = {}
    for q in survey.questions:
        if not is_relevant(q.relevant, given):
            continue
        if q.required or draw(st.booleans()):
            given[q.id] = draw(answer(q, odk))
    personal_ids = {q.id for q in survey.questions if q.personal}
    # anywhere in the accepted range (survey_schemas.dates), in UTC whatever the offset
    when = draw(st.datetimes(FIRST_MOMENT, LAST_MOMENT, timezones=OFFSETS))
    data: dict[str, Any] = {
        "id": str(draw(st.uuids())),
        "survey_id": survey.id,
        "survey_version": survey.version,
        "area": draw(st.sampled_from(areas)),
        "method": draw(st.sampled_from(survey.methods)),
        "collected_at": when.isoformat(),
        "answers": {k: v for k, v in given.items() if k not in personal_ids},
    }
    personal = {k: v for k, v in given.items() if k in personal_ids}
    if personal:
        data["personal"] = personal
    consent = next((q for q in survey.questions if q.type == "consent" and not q.personal), None)
    if consent is not None and isinstance(given.get(consent.id), bool):
        data["consent"] = given[consent.id]
    if draw(st.booleans()):
        data["replaces"] = str(draw(st.uuids()))
    response, errors = check_response(data, lambda s, v: survey, allowed_areas=set(areas))
    assume(response is not None)  # a pattern's match may exceed a length limit, say
    return data
