"""The issue taxonomy: the contract codes, their attributes, and deployment changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from survey_schemas import Taxonomy, TaxonomyError, default_taxonomy, load_taxonomy
from survey_schemas.taxonomy import NATURES, REMITS

POLICE_UK = [
    "anti-social-behaviour", "bicycle-theft", "burglary", "criminal-damage-arson", "drugs",
    "other-theft", "possession-of-weapons", "public-order", "robbery", "shoplifting",
    "theft-from-the-person", "vehicle-crime", "violent-crime", "other-crime",
]  # fmt: skip
LOCAL = [
    "noise", "nuisance-neighbours", "rowdy-behaviour", "street-drinking", "begging",
    "vehicle-nuisance", "fireworks", "animal-problems", "litter", "trespass",
    "abandoned-vehicles", "speeding", "dangerous-parking", "fly-tipping", "dog-fouling",
    "graffiti", "street-lighting", "youths-gathering",
]  # fmt: skip


def test_default_taxonomy_has_exactly_the_contract_codes_in_order() -> None:
    assert default_taxonomy().codes() == POLICE_UK + LOCAL


@pytest.mark.parametrize("code", POLICE_UK + LOCAL)
def test_every_category_has_label_nature_provider_and_remit(code: str) -> None:
    cat = default_taxonomy()[code]
    assert cat.label["en"] and cat.label_in("en") == cat.label["en"]
    assert cat.nature in NATURES
    assert cat.provider
    assert cat.remit in REMITS


def test_every_remit_has_a_plain_explanation() -> None:
    assert set(default_taxonomy().remits) == set(REMITS)


@pytest.mark.parametrize("code", POLICE_UK + LOCAL)
def test_every_category_is_labelled_in_the_bundled_languages(code: str) -> None:
    label = default_taxonomy()[code].label
    assert set(label) == {"en", "pl", "ur"} and all(text.strip() for text in label.values())


def test_label_falls_back_to_english() -> None:
    assert (
        default_taxonomy()["speeding"].label_in("xx") == default_taxonomy()["speeding"].label["en"]
    )


def test_extended_adds_and_relabels_without_touching_the_default() -> None:
    base = default_taxonomy()
    ext = base.extended(
        [
            {"code": "speeding", "label": "Boy racers", "remit": "refer"},
            {"code": "e-scooters", "label": {"en": "E-scooters"}, "nature": "nuisance",
             "provider": "Police", "remit": "refer", "group": "asb"},
        ]
    )  # fmt: skip
    assert ext["speeding"].label["en"] == "Boy racers" and ext["speeding"].remit == "refer"
    assert ext["speeding"].nature == base["speeding"].nature
    assert "e-scooters" in ext and len(ext) == len(base) + 1
    assert base["speeding"].label["en"] == "Speeding" and "e-scooters" not in base


def test_relabel_in_one_language_keeps_the_others() -> None:
    ext = default_taxonomy().extended([{"code": "noise", "label": {"pl": "Hałasy nocą"}}])
    assert ext["noise"].label == {"en": "Noise", "pl": "Hałasy nocą", "ur": "شور"}


@pytest.mark.parametrize(
    "change,message",
    [
        ({"code": "Speed Bumps", "label": "x"}, "lowercase and hyphenated"),
        ({"code": "potholes", "label": "Potholes"}, "missing"),
        ({"code": "noise", "colour": "red"}, "unknown fields"),
        ({"code": "noise", "nature": "loud"}, "nature must be one of"),
        ({"code": "noise", "remit": "maybe"}, "remit must be one of"),
    ],
)
def test_malformed_extension_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(TaxonomyError, match=message):
        default_taxonomy().extended([change])


def _write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "taxonomy.json"
    path.write_text(json.dumps(doc), "utf-8")
    return path


def test_deployment_file_extends_the_taxonomy(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "categories": [
                {"code": "potholes", "label": "Potholes", "nature": "environmental",
                 "provider": "Highways", "remit": "refer", "group": "environment"},
                {"code": "graffiti", "provider": "Clean Streets Team"},
            ],
            "remits": {"acts": "Our volunteers deal with this."},
        },
    )  # fmt: skip
    taxonomy = load_taxonomy(path)
    assert isinstance(taxonomy, Taxonomy)
    assert taxonomy["potholes"].provider == "Highways"
    assert taxonomy["graffiti"].provider == "Clean Streets Team"
    assert taxonomy.remits["acts"] == "Our volunteers deal with this."
    assert taxonomy.remits["refer"] == default_taxonomy().remits["refer"]


def test_no_deployment_file_means_the_default() -> None:
    assert load_taxonomy() is default_taxonomy()


@pytest.mark.parametrize(
    "doc,message",
    [
        ({"categories": [{"label": "x"}]}, "code"),
        ({"categories": [{"code": "noise", "nature": "loud"}]}, "nature"),
        ({"categories": [{"code": "noise", "label": 5}]}, "label must be text"),
        ({"categories": [{"code": "potholes", "label": "P"}]}, "missing"),
        ({"remits": {"never": "x"}}, "unknown remits"),
        ({"extra": 1}, "Unknown field"),
        (["noise"], "Unknown field"),
    ],
)
def test_bad_deployment_file_names_the_file_and_problem(
    tmp_path: Path, doc: Any, message: str
) -> None:
    path = _write(tmp_path, doc)
    with pytest.raises(TaxonomyError, match=message) as exc:
        load_taxonomy(path)
    assert str(path) in str(exc.value)


def test_deployment_file_that_is_missing_or_not_json(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="no such file"):
        load_taxonomy(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", "utf-8")
    with pytest.raises(TaxonomyError, match="not valid JSON"):
        load_taxonomy(bad)
