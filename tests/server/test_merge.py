"""Merge logic on plain objects, checked against hand-computed figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from server.issues.facts import Facts, day_of, response_facts
from server.issues.ranking import Row, Weights, rank_rows
from server.issues.scrub import normalise, scrub
from server.period import Period
from survey_schemas import load_survey
from tests import factories as f

SURVEY = f.survey(
    "merge-test",
    f.concerns({"fast": "speeding", "bins": "fly-tipping", "other": None}, "worries"),
    f.severity("worries", "how_bad"),
    f.single("main", {"cars": "speeding", "dogs": "dog-fouling"}),
    f.free_text("else", when=("worries", "other")),
    f.single("age", {"18-34": None, "35+": None}, equality=True),
)


@pytest.fixture
def survey():
    return load_survey(SURVEY)


def test_chosen_categories_are_mentions_once_per_response(survey) -> None:
    facts = response_facts(survey, {"worries": ["fast", "bins"], "main": "cars"})
    assert dict(facts.mentions) == {"speeding": None, "fly-tipping": None}


def test_severity_qualifies_only_the_named_question(survey) -> None:
    facts = response_facts(survey, {"worries": ["fast"], "how_bad": 4, "main": "dogs"})
    assert facts.mentions == {"speeding": 75, "dog-fouling": None}


def test_free_text_is_scrubbed_and_takes_the_severity_of_its_question(survey) -> None:
    facts = response_facts(
        survey, {"worries": ["other"], "how_bad": 5, "else": "Drug dealing, ring 07700 900123"}
    )
    assert facts.mentions == {}
    assert [(t.question, t.text, t.severity) for t in facts.texts] == [
        ("else", "Drug dealing, ring [phone]", 100)
    ]


def test_equality_answers_come_from_marked_questions(survey) -> None:
    facts = response_facts(survey, {"worries": ["fast"], "age": "35+"})
    assert facts.equality == (("age", "35+"),)


def test_day_is_the_utc_day() -> None:
    bst = timezone(timedelta(hours=1))
    assert day_of(datetime(2024, 6, 2, 0, 30, tzinfo=bst)) == date(2024, 6, 1)
    assert day_of(datetime(2024, 6, 2, 0, 30, tzinfo=UTC)) == date(2024, 6, 2)


def _row(day: int, method: str, mentions: dict, area: str = "A1") -> Row:
    return Row(area, method, date(2024, 5, day), Facts(mentions))


def test_rank_on_a_hand_computed_fixture() -> None:
    rows = [
        # previous period: 1–10 May, 4 respondents, speeding 1
        _row(2, "doorstep", {"speeding": 100}),
        _row(3, "doorstep", {}),
        _row(4, "meeting", {"graffiti": None}),
        _row(5, "event", {}),
        # current period: 11–20 May, 5 respondents
        _row(11, "doorstep", {"speeding": 100, "graffiti": 0}),
        _row(12, "doorstep", {"speeding": 50}),
        _row(13, "meeting", {"speeding": None}),
        _row(14, "event", {"graffiti": 0}),
        _row(20, "kiosk", {}),
        # another area and a day outside both periods never count
        _row(12, "doorstep", {"speeding": 100}, area="B2"),
        _row(21, "doorstep", {"speeding": 100}),
    ]
    ranked = rank_rows(rows, "A1", Period(date(2024, 5, 11), date(2024, 5, 20)))
    assert [p.category for p in ranked] == ["speeding", "graffiti"]
    sp, gr = ranked
    assert (sp.mentions, sp.respondents, sp.share) == (3, 5, 0.6)
    assert sp.mean_severity == 4.0  # (100 + 50) / 2 = 75 → 1 + 4 × 0.75
    assert sp.by_method == {"doorstep": 2, "event": 0, "kiosk": 0, "meeting": 1}
    assert sp.respondents_by_method == {"doorstep": 2, "event": 1, "kiosk": 1, "meeting": 1}
    assert (sp.previous_mentions, sp.previous_share, sp.trend) == (1, 0.25, "up")
    # 100 × 3/6 × (0.6 × 0.6 + 0.3 × 0.75 + 0.1 × 0.35) = 31.0
    assert sp.score == 31.0
    assert (gr.mentions, gr.mean_severity, gr.trend) == (2, 1.0, "up")
    # 100 × 2/5 × (0.6 × 0.4 + 0.3 × 0 + 0.1 × 0.15) = 10.2
    assert gr.score == 10.2


def test_method_filter_counts_only_that_method() -> None:
    rows = [
        _row(11, "doorstep", {"speeding": None}),
        _row(11, "meeting", {"speeding": None}),
        _row(12, "meeting", {}),
    ]
    (sp,) = rank_rows(rows, "A1", Period(date(2024, 5, 11), date(2024, 5, 20)), method="meeting")
    assert (sp.mentions, sp.respondents, sp.share) == (1, 2, 0.5)


def test_ties_are_broken_by_category_code() -> None:
    rows = [_row(11, "doorstep", {"speeding": None, "burglary": None, "graffiti": None})]
    ranked = rank_rows(rows, "A1", Period(date(2024, 5, 11), date(2024, 5, 20)))
    assert [p.category for p in ranked] == ["burglary", "graffiti", "speeding"]
    assert len({p.score for p in ranked}) == 1


def test_falling_share_is_a_downward_trend_and_lowers_the_score() -> None:
    period = Period(date(2024, 5, 11), date(2024, 5, 20))
    rows = [
        _row(1, "doorstep", {"speeding": None}),
        _row(11, "doorstep", {"speeding": None}),
        _row(12, "doorstep", {}),
    ]
    (sp,) = rank_rows(rows, "A1", period)
    assert sp.trend == "down"
    flat = Weights(trend=0.0)
    (sp_flat,) = rank_rows(rows, "A1", period, weights=flat)
    assert sp.score < sp_flat.score


def test_previous_period_has_equal_length() -> None:
    p = Period(date(2024, 5, 11), date(2024, 5, 20))
    assert p.previous() == Period(date(2024, 5, 1), date(2024, 5, 10))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email me at jo.bloggs@example.co.uk", "email me at [email]"),
        ("my number is 0116 496 0123", "my number is [phone]"),
        ("call +44 7700 900123", "call [phone]"),
        ("cars race past 12 Acacia Road at night", "cars race past [address] at night"),
        ("Flat 4, 22 Mill Lane bins", "[address] bins"),
        ("near LE1 5AB", "near [postcode]"),
        ("speeding on Acacia Road", "speeding on Acacia Road"),
        ("3 cars parked on the pavement", "3 cars parked on the pavement"),
        ("the lads from number 12 race", "the lads from [address] race"),
        ("bins outside no. 3a", "bins outside [address]"),
        ("Mr Khan next door deals", "[name] next door deals"),
        ("mrs J. Smith shouts", "[name] shouts"),
        ("Mrs O'Brien's dog barks", "[name]'s dog barks"),
        ("PC Jones was helpful, Cllr Patel was not", "[name] was helpful, [name] was not"),
        ("my name is Ann Lee, ask for Dave", "my name is [name], ask for [name]"),
        ("Mrs Smith and I went", "[name] and I went"),
        ("I’m called Ann, my name’s Ann", "I’m called [name], my name’s [name]"),
        ("Mr Śliwa and Mr Žižek shout", "[name] and [name] shout"),
        ("by number 3 and 4", "by [address]"),
        # no title or lead-in, lower case, a street's "Dr", words that only look like titles
        ("speeding on Acacia Dr near the school", "speeding on Acacia Dr near the school"),
        ("parked on Acacia Dr Tuesday night", "parked on Acacia Dr Tuesday night"),
        ("the mr whippy van is loud", "the mr whippy van is loud"),
        ("Dave sells drugs", "Dave sells drugs"),
        ("I miss Tesco on Sundays", "I miss Tesco on Sundays"),
        ("my pc Windows update", "my pc Windows update"),
        ("CALL ME ASAP", "CALL ME ASAP"),
        ("in no 2 minds", "in no 2 minds"),
    ],
)
def test_scrub_removes_contact_details_house_addresses_and_titled_names(
    text: str, expected: str
) -> None:
    assert scrub(text) == expected


def test_normalise_ignores_case_punctuation_and_spacing() -> None:
    assert normalise("  Bins NOT emptied!! ") == normalise("bins not emptied") == "bins not emptied"
