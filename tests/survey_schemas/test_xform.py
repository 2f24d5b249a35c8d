"""XForms from doorstep surveys: pyxform writes them, ODK Validate (JavaRosa) accepts them, and
their primary instance follows DESIGN's OpenRosa contract to the letter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from survey_schemas import Survey, bundled_registry, load_survey
from survey_schemas.xform import (
    META_FIELDS,
    XFormError,
    itext_language,
    number_text,
    render_xform,
)
from survey_schemas.xlsform import XLSFormError, convert_xlsform
from tests.conftest import _need

from .xform_cases import CHAIN, EVERY_FEATURE, chain, every_feature

XF = "{http://www.w3.org/2002/xforms}"
H = "{http://www.w3.org/1999/xhtml}"
JR = "{http://openrosa.org/javarosa}"
FORMS = Path(__file__).parent / "xlsforms"
AREAS = [("N1", "North"), ("S-2", "South & <Sea>")]
REGISTRY = bundled_registry()


def imported_xlsforms() -> list[tuple[str, Survey]]:
    """Return the real XLSForms in xlsforms/ that doorstep imports, as surveys."""
    out = []
    for path in sorted(FORMS.glob("*.xlsx")):
        try:
            out.append((path.name, load_survey(convert_xlsform(path))))
        except XLSFormError:
            continue  # refused at import, by name (test_xlsform checks how)
    return out


SURVEYS = [(f"bundled:{s.id}", s) for s in REGISTRY] + [
    ("every-feature", every_feature()),
    ("chain", chain()),
    *((f"xlsform:{name}", s) for name, s in imported_xlsforms()),
]


def odk_validate(xform: bytes, tmp_path: Path) -> list[str]:
    """Run ODK Validate (JavaRosa, shipped with pyxform) on the exact bytes; return warnings."""
    if shutil.which("java") is None:
        _need("Java (for ODK Validate)", "apt-get install -y default-jre-headless")
    from pyxform.validators import odk_validate as validator

    path = tmp_path / "form.xml"
    path.write_bytes(xform)
    return validator.check_xform(str(path))


def instance(xform: bytes) -> ET.Element:
    """Return the primary instance's root element of an XForm."""
    model = ET.fromstring(xform).find(f"{H}head/{XF}model")
    assert model is not None
    return model.find(f"{XF}instance")[0]  # type: ignore[index]


def binds(xform: bytes) -> dict[str, dict[str, str]]:
    """Return each bind's attributes by the name of the node it binds."""
    model = ET.fromstring(xform).find(f"{H}head/{XF}model")
    return {b.get("nodeset", "").rsplit("/", 1)[1]: dict(b.attrib) for b in model.iter(f"{XF}bind")}


def test_ids_starting_with_xml_are_element_names_odk_takes(tmp_path: Path) -> None:
    survey = with_question(id="xmlns")
    assert instance(render_xform(survey, AREAS))[-2].tag == f"{XF}xmlns"
    assert odk_validate(render_xform(survey, AREAS), tmp_path) == []


def test_the_shared_xlsforms_that_import_are_among_the_surveys() -> None:
    assert {name for name, _ in imported_xlsforms()} >= {
        "text_and_integer.xlsx",
        "yes_or_no_question.xlsx",
    }


@pytest.mark.parametrize(("name", "survey"), SURVEYS, ids=[n for n, _ in SURVEYS])
def test_odk_validate_accepts_the_xform(name: str, survey: Survey, tmp_path: Path) -> None:
    warnings: list[str] = []
    xform = render_xform(survey, AREAS, warnings=warnings)
    assert warnings == [], "pyxform has nothing to say either"
    assert odk_validate(xform, tmp_path) == []


@pytest.mark.parametrize(("name", "survey"), SURVEYS, ids=[n for n, _ in SURVEYS])
def test_primary_instance_follows_the_contract(name: str, survey: Survey) -> None:
    root = instance(render_xform(survey, AREAS))
    assert root.tag == f"{XF}data"
    assert (root.get("id"), root.get("version")) == (survey.id, str(survey.version))
    names = [child.tag.removeprefix(XF) for child in root]
    assert names == ["area", "method", *(q.id for q in survey.questions), "meta"]
    assert [m.tag.removeprefix(XF) for m in root.find(f"{XF}meta")] == list(META_FIELDS)
    assert root.find(f"{XF}method").text == survey.methods[0]  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "survey"), SURVEYS, ids=[n for n, _ in SURVEYS])
def test_every_language_is_an_itext_translation(name: str, survey: Survey) -> None:
    xform = render_xform(survey, AREAS)
    itext = ET.fromstring(xform).find(f"{H}head/{XF}model/{XF}itext")
    langs = [(t.get("lang"), t.get("default")) for t in itext]  # type: ignore[union-attr]
    assert [lang for lang, _ in langs] == [itext_language(code) for code in survey.languages]
    assert langs[0][1] == "true()"
    ids = [{text.get("id") for text in t} for t in itext]  # type: ignore[union-attr]
    assert all(i == ids[0] for i in ids), "every language has every text"


def test_language_names_carry_their_codes() -> None:
    assert itext_language("en") == "English (en)"
    assert itext_language("pl") == "Polish (pl)"
    assert itext_language("ur") == "Urdu (ur)"
    assert itext_language("pt-BR") == "Portuguese (pt-BR)"
    assert itext_language("xq") == "xq (xq)"


def test_same_input_gives_the_same_bytes_in_any_area_order() -> None:
    survey = every_feature()
    first = render_xform(survey, AREAS)
    assert render_xform(survey, list(reversed(AREAS))) == first
    assert render_xform(load_survey(EVERY_FEATURE), AREAS) == first


def test_the_bytes_do_not_depend_on_the_process() -> None:
    code = (
        "import sys, hashlib; from survey_schemas.xform import render_xform; "
        "from survey_schemas import bundled_registry; "
        "s = bundled_registry().get('doorstep-safety', 1); "
        "sys.stdout.write(hashlib.md5(render_xform(s, [('N1', 'North')])).hexdigest())"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(seen) == 1


def test_areas_are_the_devices_only_and_one_area_is_the_default() -> None:
    xform = render_xform(REGISTRY.get("event-kiosk", 1), [("N1", "North")])
    items = ET.fromstring(xform).findall(f".//{XF}instance[@id='doorstep_areas']/{XF}root/{XF}item")
    assert [i.findtext(f"{XF}name") for i in items] == ["N1"]
    assert instance(xform).findtext(f"{XF}area") == "N1"
    several = render_xform(REGISTRY.get("event-kiosk", 1), AREAS)
    assert instance(several).findtext(f"{XF}area") == ""


def test_methods_can_be_narrowed_and_the_first_offered_is_the_default() -> None:
    survey = REGISTRY.get("event-kiosk", 1)
    xform = render_xform(survey, AREAS, methods=["kiosk"])
    items = ET.fromstring(xform).findall(
        f".//{XF}instance[@id='doorstep_methods']/{XF}root/{XF}item"
    )
    assert [i.findtext(f"{XF}name") for i in items] == ["kiosk"]
    assert instance(xform).findtext(f"{XF}method") == "kiosk"


@pytest.mark.parametrize(
    ("qid", "expected"),
    [
        ("consent", {"type": "string", "required": "true()"}),
        ("households", {"type": "int", "constraint": ". >= -5 and . <= 1000000"}),
        ("spend", {"type": "decimal", "constraint": ". >= -0.5 and . <= 1000000.0"}),
        ("severity", {"type": "int", "constraint": ". >= 1 and . <= 5"}),
        (
            "moved_in",
            {"type": "date", "constraint": ". >= date('1950-01-01') and . <= date('2030-12-31')"},
        ),
        (
            "problems",
            {
                "constraint": "not(selected(., 'none') and count-selected(.) > 1) and "
                "count-selected(.) >= 1 and count-selected(.) <= 3",
                "relevant": " /data/consent  = 'yes'",
            },
        ),
        (
            "code",
            {"constraint": 'string-length(.) <= 12 and regex(., "^(?:[A-Z]{2}\'?[0-9]{1,3})$")'},
        ),
        ("never", {"relevant": "false()"}),
        ("exact_pair", {"relevant": " /data/problems  = 'speeding zażółć'"}),
        ("unanswered_worst", {"relevant": " /data/worst  = ''"}),
        ("worst", {"relevant": " /data/problems  != ''"}),
        ("spend", {"relevant": "not( /data/households  = 0)"}),
        ("why_unsafe", {"relevant": "( /data/safe  = 'no') and (not( /data/worst  = '7'))"}),
        (
            "severity",
            {
                "relevant": '(selected( /data/problems , "it\'s")) or '
                "(selected( /data/problems , concat('both', \"'\", '\"'))) or "
                "( /data/worst  = 'speeding')"
            },
        ),
    ],
)
def test_rules_become_binds(qid: str, expected: dict[str, str]) -> None:
    bind = binds(render_xform(every_feature(), AREAS))[qid]
    assert {k: bind.get(k) for k in expected} == expected


def test_meta_is_filled_by_the_client() -> None:
    meta = binds(render_xform(every_feature(), AREAS))
    assert meta["instanceID"][f"{JR}preload"] == "uid"
    assert meta["timeStart"][f"{JR}preloadParams"] == "start"
    assert meta["timeEnd"][f"{JR}preloadParams"] == "end"
    assert meta["deprecatedID"]["readonly"] == "true()"


def test_yes_no_and_consent_are_yes_or_no_choices() -> None:
    xform = render_xform(every_feature(), AREAS)
    items = ET.fromstring(xform).findall(
        f".//{XF}instance[@id='doorstep_yes_no']/{XF}root/{XF}item"
    )
    assert [i.findtext(f"{XF}name") for i in items] == ["yes", "no"]


def test_texts_stay_as_written() -> None:
    xform = render_xform(every_feature(), AREAS).decode("utf-8")
    assert "<output" not in xform  # pyxform would have read ${problems} as a reference
    assert "Write $\u2060{problems} as you like" in xform
    assert "Why we ask: to test $\u2060{purpose} &amp; &lt;markup&gt;." in xform  # area's hint
    assert "South &amp; &lt;Sea&gt;" in xform
    assert "One to three, and 'none' alone" in xform  # the constraint message, per language


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3, "3"),
        (-5, "-5"),
        (3.0, "3.0"),
        (2.5, "2.5"),
        (1e-07, "0.0000001"),
        (1e16, "10000000000000000.0"),
    ],
)
def test_numbers_are_written_without_exponents(value: float, text: str) -> None:
    assert number_text(value) == text


def bent(**changes: Any) -> Survey:
    definition = {**CHAIN, **changes}
    return load_survey(definition)


def with_question(**question: Any) -> Survey:
    q = {"type": "text", "label": {"en": "?"}, **question}
    return bent(questions=[*CHAIN["questions"], q])


@pytest.mark.parametrize(
    ("survey", "areas", "methods", "problem"),
    [
        (chain(), [], None, "chain v1: no areas to offer: a form needs at least one area"),
        (chain(), [("N1", "a"), ("N1", "b")], None, "chain v1: area 'N1' is offered twice"),
        (chain(), [("no spaces", "a")], None, "chain v1: area 'no spaces' is not an area code"),
        (
            chain(),
            AREAS,
            ["kiosk"],
            "chain v1: method 'kiosk' is not one of the survey's methods ['doorstep']",
        ),
        (
            with_question(id="area"),
            AREAS,
            None,
            "chain v1: question 'area': the id 'area' is taken by the form's own area, meta, "
            "method fields; rename the question in a new survey version",
        ),
        (
            with_question(
                id="pick",
                type="multiple_choice",
                choices=[{"value": "a b", "label": {"en": "A B"}}],
            ),
            AREAS,
            None,
            "chain v1: question 'pick': choice value 'a b' holds a space, which an XForm uses to "
            "separate chosen values; change the value in a new survey version",
        ),
        (
            with_question(id="bell", label={"en": "Ring\x07"}),
            AREAS,
            None,
            "chain v1: question 'bell' label (en) holds a character XML cannot carry",
        ),
    ],
)
def test_what_an_xform_cannot_carry_is_refused_by_name(
    survey: Survey, areas: list[tuple[str, str]], methods: list[str] | None, problem: str
) -> None:
    with pytest.raises(XFormError) as caught:
        render_xform(survey, areas, methods)
    assert caught.value.problems == [problem]
