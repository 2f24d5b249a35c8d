"""The bundled doorstep survey fits a doorstep, is fully translated, and v1 stays as released."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from survey_schemas import Survey, bundled_dir, bundled_files, bundled_registry, default_taxonomy

REGISTRY = bundled_registry()
LATEST: Survey = REGISTRY.latest("doorstep-safety")
V1: Survey = REGISTRY.get("doorstep-safety", 1)
# sha256 of v1's canonical JSON as released (survey_schemas/surveys/doorstep-safety.json at
# commit 19cd7d4, now doorstep-safety/v1.json). Responses in the field carry this version.
RELEASED_V1 = "81b635748722111a1f14835ec7225d59b8f3cf4c91a4916ab4f68794b754c36a"
WORD_LIMIT = 160  # about 64 s read aloud at 150 words a minute
TRANSLATIONS = ("pl", "ur")
# Texts that may read the same in every language: names, and texts without letters.
SAME_IN_EVERY_LANGUAGE = {"Community Safety Group"}
INFORMAL_POLISH = re.compile(r"\b(ty|twój|twoja|twoje|twoim|ciebie|tobie|cię|chcesz)\b", re.I)
INFORMAL_URDU = re.compile(r"(^|\s)(تم|تمہارا|تمہاری|تمہارے|تجھے|تیرا|تیری)(\s|$|[۔؟،])")


def words(text: str) -> int:
    """Count the words of a text: whitespace-separated tokens with a letter or digit."""
    return sum(1 for token in text.split() if re.search(r"\w", token))


def read_aloud(survey: Survey, lang: str) -> int:
    """Count the words of the purpose and every question's label and hint in one language."""
    texts = [survey.purpose[lang]]
    for q in survey.questions:
        texts.append(q.label[lang])
        if q.hint:
            texts.append(q.hint[lang])
    return sum(words(t) for t in texts)


def translatable(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, str]]]:
    """Yield every translatable text of a definition (an object with an "en" text) by path."""
    if isinstance(node, dict):
        if isinstance(node.get("en"), str):
            yield where, node
            return
        for key, value in node.items():
            yield from translatable(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            label = value.get("id") or value.get("value") if isinstance(value, dict) else None
            yield from translatable(value, f"{where}[{label or i}]")


def test_the_latest_doorstep_survey_is_a_new_version() -> None:
    assert LATEST.version > 1
    assert LATEST.languages == V1.languages and LATEST.methods == ("doorstep",)


def test_purpose_and_questions_are_at_most_160_english_words() -> None:
    assert read_aloud(LATEST, "en") <= WORD_LIMIT
    assert read_aloud(V1, "en") > WORD_LIMIT  # the count sees what made v1 too long


def test_every_text_is_translated_into_polish_and_urdu() -> None:
    texts = list(translatable(LATEST.definition))
    assert len(texts) > 40  # title, purpose, labels, hints, choices, messages
    for where, text in texts:
        for lang in TRANSLATIONS:
            assert text.get(lang, "").strip(), f"{where}: no {lang} text"
            if text["en"] in SAME_IN_EVERY_LANGUAGE or not re.search(r"[^\W\d_]", text["en"]):
                continue
            assert text[lang] != text["en"], f"{where}: the {lang} text is the English one"


def test_translations_are_in_their_script_and_formal_register() -> None:
    for where, text in translatable(LATEST.definition):
        letters = [ch for ch in text["ur"] if ch.isalpha()]
        arabic = sum("\u0600" <= ch <= "\u06ff" for ch in letters)
        assert arabic > len(letters) / 2, f"{where}: Urdu not in Urdu script"
        assert not INFORMAL_POLISH.search(text["pl"]), f"{where}: Polish not in Pan/Pani form"
        assert not INFORMAL_URDU.search(text["ur"]), f"{where}: Urdu not in the آپ form"


def test_every_choice_category_is_in_the_taxonomy() -> None:
    taxonomy = default_taxonomy()
    categories = [c.category for q in LATEST.questions for c in q.choices if c.category]
    assert len(categories) >= 10
    assert [c for c in categories if c not in taxonomy] == []


def test_it_still_feeds_the_priorities() -> None:
    by_id = {q.id: q for q in LATEST.questions}
    scales = [q for q in LATEST.questions if q.severity_for]
    assert scales and all(any(c.category for c in by_id[q.severity_for].choices) for q in scales)
    assert any(q.type == "text" and q.issue_text for q in LATEST.questions)
    first = LATEST.questions[0]
    assert first.type == "consent" and first.required


def test_contact_details_are_asked_exactly_as_v1_asks_them() -> None:
    def personal(survey: Survey) -> list[dict[str, Any]]:
        raw = {q["id"]: q for q in survey.definition["questions"]}
        return [raw[q.id] for q in survey.questions if q.personal]

    assert personal(LATEST) == personal(V1) != []
    # asked only after a yes to the follow-up consent, as in v1
    consents = {q.id for q in LATEST.questions if q.type == "consent"}
    assert {"consent", "recontact"} <= consents


def test_equality_questions_ask_no_optional_twice() -> None:
    # the form prints "(optional)" itself
    for q in LATEST.questions:
        assert "optional" not in q.label["en"].lower(), q.id


def test_released_v1_is_still_bundled_unchanged() -> None:
    assert V1.content_hash == RELEASED_V1
    path = bundled_dir() / "doorstep-safety" / "v1.json"
    assert V1.content_hash == bundled_registry().get("doorstep-safety", 1).content_hash
    assert json.loads(path.read_text("utf-8")) == V1.definition


def test_the_full_survey_keeps_every_v1_question() -> None:
    full = REGISTRY.latest("doorstep-safety-full")
    assert "full" in full.title["en"].lower()
    assert [q.id for q in full.questions] == [q.id for q in V1.questions]
    assert full.purpose == V1.purpose and full.methods == V1.methods
    pairs = zip(full.definition["questions"], V1.definition["questions"], strict=True)
    differ = [a["id"] for a, b in pairs if a != b]
    assert differ == ["consent"]  # it no longer promises "under two minutes"


@pytest.mark.parametrize("path", bundled_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_bundled_file_is_named_for_its_id_and_version(path: Any) -> None:
    definition = json.loads(path.read_text("utf-8"))
    assert path.relative_to(bundled_dir()).as_posix() == (
        f"{definition['id']}/v{definition['version']}.json"
    )
