"""Measure how fast doorstep responses are validated (issue 2: 10,000 in under 1 s).

Builds ~10,000 varied responses to the bundled doorstep survey (about 1 in 10 invalid, in
the ways real ones go wrong), then times each stage over the same documents (least CPU
time of N runs):

  json.loads              the baseline: only parsing the JSON text of each response
  envelope (marshmallow)  ResponseSchema().load, the envelope without the answers
  validate_answers        the answers alone against the survey
  check_response          envelope + survey lookup + answers (what ingest calls)
  json.loads + check      parse and check, as the server does per pushed response

Run: .venv/bin/python bench/validate.py [--count 10000] [--repeat 5] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from survey_schemas import Survey, bundled_registry, check_response, validate_answers
from survey_schemas.response import ResponseSchema

STREETS = ["Elm Street", "Cross Lane", "Wharf Road", "St Ann's Well Road", "Park Terrace", ""]
WORDS = (
    "bins left out cars racing at night lights broken by the park kids on bikes shouting".split()
)


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _answers(rng: random.Random, survey: Survey) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (answers, personal) as a volunteer might record them at the door."""
    if rng.random() < 0.05:
        return {"consent": False}, {}
    concerns_q = survey.by_id["concerns"]
    problems = [c.value for c in concerns_q.choices if c.value not in ("none", "other")]
    answers: dict[str, Any] = {"consent": True}
    if rng.random() < 0.1:
        answers["concerns"] = ["none"]
    else:
        chosen = rng.sample(problems, rng.randint(1, 4))
        if rng.random() < 0.15:
            chosen.append("other")
            answers["other_concern"] = _text(rng, rng.randint(3, 30))
        answers["concerns"] = chosen
        answers["severity"] = rng.randint(1, 5)
        if rng.random() < 0.7:
            answers["where"] = rng.choice(STREETS)
    answers["safe_after_dark"] = rng.choice(
        [c.value for c in survey.by_id["safe_after_dark"].choices]
    )
    if rng.random() < 0.3:
        answers["anything_else"] = _text(rng, rng.randint(5, 60))
    personal: dict[str, Any] = {}
    if rng.random() < 0.2:
        answers["recontact"] = True
        personal = {"contact_name": "A. Resident", "contact_phone": "07700 900123"}
        if rng.random() < 0.5:
            personal["contact_email"] = "resident@example.org"
    for qid in ("age_band", "gender"):
        if rng.random() < 0.6:
            answers[qid] = rng.choice([c.value for c in survey.by_id[qid].choices])
    return answers, personal


def _break(rng: random.Random, doc: dict[str, Any]) -> None:
    """Make a response invalid in one of the ways real ones go wrong."""
    how = rng.randrange(6)
    if how == 0:
        doc["answers"]["severity"] = 7
    elif how == 1:
        doc["answers"]["concerns"] = ["speeding", "potholes"]
    elif how == 2:
        doc["answers"].pop("consent")
    elif how == 3:
        doc["answers"]["anything_else"] = "x" * 1500
    elif how == 4:
        doc["answers"]["contact_name"] = "A. Resident"
    else:
        doc["collected_at"] = "2026-11-24 18:00"


def build(count: int, seed: int) -> tuple[list[str], int]:
    """Return ``count`` JSON response documents and how many were made invalid."""
    rng = random.Random(seed)
    survey = bundled_registry().get("doorstep-safety", 1)
    start = datetime(2026, 10, 1, 17, 0, tzinfo=UTC)
    docs, broken = [], 0
    for _ in range(count):
        answers, personal = _answers(rng, survey)
        doc: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "survey_id": survey.id,
            "survey_version": survey.version,
            "area": rng.choice(["ARB-01", "ARB-02", "SNE-01", "BUL-03"]),
            "method": "doorstep",
            "collected_at": (start + timedelta(minutes=rng.randint(0, 60 * 24 * 50))).isoformat(),
            "volunteer": f"vol-{rng.randint(1, 40)}",
            "language": rng.choice(["en", "en", "en", "pl", "ur"]),
            "answers": answers,
        }
        if personal:
            doc["personal"] = personal
        if rng.random() < 0.1:
            _break(rng, doc)
            broken += 1
        docs.append(json.dumps(doc))
    return docs, broken


def best_of(repeat: int, fn: Callable[[], int]) -> tuple[float, int]:
    """Return the least CPU time of ``repeat`` runs and what the run returned.

    CPU time of this process, not wall time: the bench machine is shared (2 cores), and time
    spent waiting for a core is not time spent validating.
    """
    times, result = [], 0
    for _ in range(repeat):
        t0 = time.process_time()
        result = fn()
        times.append(time.process_time() - t0)
    return min(times), result


def main() -> None:
    """Build the responses, time each stage and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    registry = bundled_registry()
    survey = registry.get("doorstep-safety", 1)
    texts, broken = build(args.count, args.seed)
    parsed = [json.loads(t) for t in texts]
    schema = ResponseSchema()

    def parse_only() -> int:
        return sum(1 for t in texts if json.loads(t))

    def envelope_only() -> int:
        ok = 0
        for d in parsed:
            try:
                schema.load(d)
                ok += 1
            except Exception:  # noqa: BLE001 - a refused envelope is part of the workload
                pass
        return ok

    def answers_only() -> int:
        return sum(1 for d in parsed if not validate_answers(survey, d["answers"]))

    def check_only() -> int:
        return sum(1 for d in parsed if check_response(d, registry.find)[0] is not None)

    def parse_and_check() -> int:
        return sum(1 for t in texts if check_response(json.loads(t), registry.find)[0] is not None)

    stages = [
        ("json.loads (baseline)", parse_only),
        ("envelope (marshmallow)", envelope_only),
        ("validate_answers", answers_only),
        ("check_response", check_only),
        ("json.loads + check_response", parse_and_check),
    ]
    size = sum(map(len, texts)) / len(texts)
    print(f"{args.count} doorstep responses ({broken} made invalid), mean {size:.0f} bytes; "
          f"least CPU time of {args.repeat} runs")  # fmt: skip
    print(f"{'stage':<30} {'seconds':>8} {'per second':>11} {'accepted':>9} {'x baseline':>11}")
    baseline = None
    for name, fn in stages:
        seconds, accepted = best_of(args.repeat, fn)
        baseline = baseline or seconds
        rate = args.count / seconds
        print(
            f"{name:<30} {seconds:>8.3f} {rate:>11,.0f} {accepted:>9} {seconds / baseline:>10.1f}x"
        )


if __name__ == "__main__":
    main()
