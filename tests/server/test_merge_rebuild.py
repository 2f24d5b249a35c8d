"""Incremental aggregates equal a full rebuild, over random response sets (hypothesis)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from server.catalogue.surveys import add_survey
from server.db import db
from server.intake.ingest import ingest_batch
from server.issues.aggregates import norm_hash, rebuild
from server.issues.triage import decide
from server.models import Group, Issue, Response
from server.models.merge import (
    EqualityDay,
    MentionDay,
    MentionMonth,
    RespondentDay,
    RespondentMonth,
    ResponseMention,
    TriageItem,
    TriageRule,
)
from tests import factories as f

SURVEY: dict[str, Any] = f.survey(
    "prop-survey",
    f.concerns({"speeding": "speeding", "litter": "litter", "noise": "noise", "other": None}),
    f.severity(),
    f.single("worst", {"litter": "litter", "dogs": "dog-fouling"}),
    f.free_text(),
    f.single("age", {"young": None, "old": None}, equality=True),
)
TEXTS = ["Drug dealing in the park", "drug dealing in the park!", "Bins never emptied", "Potholes"]
BASE = datetime(2025, 1, 1, 9, tzinfo=UTC)

answers = st.fixed_dictionaries(
    {},
    optional={
        "concerns": st.lists(
            st.sampled_from(["speeding", "litter", "noise", "other"]), unique=True, max_size=4
        ),
        "severity": st.integers(1, 5),
        "worst": st.sampled_from(["litter", "dogs"]),
        "other_text": st.sampled_from(TEXTS),
        "age": st.sampled_from(["young", "old"]),
    },
)
response = st.fixed_dictionaries(
    {
        "area": st.sampled_from(["abbey", "bell-green"]),
        "method": st.sampled_from(["doorstep", "event", "kiosk", "meeting"]),
        "hours": st.integers(0, 24 * 20),
        "answers": answers,
        "replaces": st.one_of(st.none(), st.integers(0, 30)),
    }
)
decision = st.tuples(st.sampled_from(TEXTS), st.sampled_from([None, "drugs", "litter"]))


def _snapshot() -> dict[str, list[tuple]]:
    s = db.session
    return {
        "mentions": sorted(
            tuple(r)
            for r in s.execute(
                select(
                    MentionDay.area,
                    MentionDay.day,
                    MentionDay.category,
                    MentionDay.method,
                    MentionDay.mentions,
                    MentionDay.severity_sum,
                    MentionDay.severity_count,
                )
            )
        ),
        "months": sorted(
            tuple(r)
            for r in s.execute(
                select(
                    MentionMonth.area,
                    MentionMonth.month,
                    MentionMonth.category,
                    MentionMonth.method,
                    MentionMonth.mentions,
                    MentionMonth.severity_sum,
                    MentionMonth.severity_count,
                )
            )
        ),
        "respondent_months": sorted(
            tuple(r)
            for r in s.execute(
                select(
                    RespondentMonth.area,
                    RespondentMonth.month,
                    RespondentMonth.method,
                    RespondentMonth.respondents,
                )
            )
        ),
        "respondents": sorted(
            tuple(r)
            for r in s.execute(
                select(
                    RespondentDay.area,
                    RespondentDay.day,
                    RespondentDay.method,
                    RespondentDay.respondents,
                )
            )
        ),
        "equality": sorted(
            tuple(r)
            for r in s.execute(
                select(
                    EqualityDay.area,
                    EqualityDay.day,
                    EqualityDay.method,
                    EqualityDay.question,
                    EqualityDay.value,
                    EqualityDay.respondents,
                )
            )
        ),
        "per_response": sorted(
            tuple(r)
            for r in s.execute(
                select(
                    ResponseMention.response_id,
                    ResponseMention.category,
                    ResponseMention.severity,
                    ResponseMention.source,
                )
            )
        ),
        "triage": sorted(
            tuple(r)
            for r in s.execute(
                select(
                    TriageItem.response_id,
                    TriageItem.question,
                    TriageItem.text,
                    TriageItem.status,
                    TriageItem.category,
                )
            )
        ),
    }


def _reset() -> None:
    for model in (
        MentionMonth,
        RespondentMonth,
        MentionDay,
        RespondentDay,
        EqualityDay,
        ResponseMention,
        TriageItem,
        TriageRule,
        Response,
    ):
        db.session.execute(delete(model))
    db.session.commit()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    items=st.lists(response, max_size=30),
    batch=st.integers(1, 10),
    before=st.lists(decision, max_size=2),
    after=st.lists(decision, max_size=3),
)
def test_incremental_aggregates_equal_a_rebuild(app: Flask, items, batch, before, after) -> None:
    with app.app_context():
        _reset()
        add_survey(db.session, SURVEY)
        db.session.commit()
        ids = [str(uuid.uuid4()) for _ in items]
        wire = []
        for rid, it in zip(ids, items, strict=True):
            w = {
                "id": rid,
                "survey_id": "prop-survey",
                "survey_version": 1,
                "area": it["area"],
                "method": it["method"],
                "answers": it["answers"],
                "collected_at": (BASE + timedelta(hours=it["hours"])).isoformat(),
            }
            if it["replaces"] is not None and it["replaces"] < len(ids):
                w["replaces"] = ids[it["replaces"]]  # may point forward or at itself
            wire.append(w)
        north = db.session.scalar(select(Group.id).where(Group.code == "northfield"))
        for text, category in before:  # the areas here are Northfield's: its decisions
            db.session.merge(
                TriageRule(norm_hash=norm_hash(text), group_id=north, norm=text, category=category)
            )
        db.session.commit()
        for start in range(0, len(wire), batch):
            ingest_batch(db.session, wire[start : start + batch], now=BASE)
        for text, category in after:
            item = db.session.scalar(
                select(TriageItem).where(TriageItem.norm_hash == norm_hash(text)).limit(1)
            )
            if item is not None:
                decide(
                    db.session, item, category, known={"drugs", "litter"}, user_id=None, now=BASE
                )
                db.session.commit()
        incremental = _snapshot()
        rebuild(db.session)
        db.session.commit()
        assert _snapshot() == incremental
        assert all(r[4] > 0 for r in incremental["mentions"])
        assert db.session.scalar(select(Issue).limit(1)) is None  # merging creates no issues
