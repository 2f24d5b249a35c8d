"""Recorded crime: LSOAs of areas, importing police.uk street-level CSVs, the crime API."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from server.catalogue.deployment import read_areas_csv, upsert_areas
from server.cli import main
from server.crime.police_csv import HEADER
from server.crime.records import areas_by_lsoa
from server.db import db
from tests.server.conftest import Clock, bearer, user_token

ABBEY = ("E01000001", "E01000002")
BELL = ("E01000003",)
ELM = ("W01000004",)
OUTSIDE = "E01999999"


def row(month: str, lsoa: str, crime_type: str, force: str = "Leicestershire Police") -> list:
    asb = crime_type == "Anti-social behaviour"  # ASB rows have no Crime ID
    return [
        "" if asb else f"id-{month}-{lsoa}-{crime_type}",
        month,
        force,
        force,
        "-1.1",
        "52.6",
        "On or near Abbey Road",
        lsoa,
        "Leicester 001A",
        crime_type,
        "" if asb else "Under investigation",
        "",
    ]


def write_csv(path: Path, rows: list[list], header: tuple[str, ...] = HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def map_all(runner: CliRunner) -> None:
    for area, codes in (("abbey", ABBEY), ("bell-green", BELL), ("elm-park", ELM)):
        result = runner.invoke(main, ["server", "map-lsoa", area, *codes, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == {"area": area, "lsoa": sorted(codes)}


def stored_counts(app: Flask) -> Counter:
    from server.models.crime import CrimeCount

    with app.app_context():
        return Counter(
            {
                (c.force, c.month, c.area, c.category): c.count
                for c in db.session.query(CrimeCount).all()
            }
        )


def import_files(runner: CliRunner, *paths: Path) -> dict:
    result = runner.invoke(main, ["server", "import-crime", *map(str, paths), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_counts_by_area_month_and_category_match_a_count_of_the_rows(
    app: Flask, runner: CliRunner, tmp_path: Path
) -> None:
    map_all(runner)
    rows = [
        row("2026-08", ABBEY[0], "Anti-social behaviour"),
        row("2026-08", ABBEY[1], "Anti-social behaviour"),
        row("2026-08", ABBEY[0], "Burglary"),
        row("2026-08", ABBEY[0], "Violence and sexual offences"),
        row("2026-08", BELL[0], "Violence and sexual offences"),
        row("2026-08", BELL[0], "Knife smuggling"),  # unknown type: other-crime, with a warning
        row("2026-08", OUTSIDE, "Burglary"),  # in no area
        row("2026-09", ABBEY[0], "Drugs"),  # a second month in the same file
        ["broken", "2026-08"],  # malformed: two columns
        row("26-08", ABBEY[0], "Drugs"),  # malformed month
    ]
    found = import_files(runner, write_csv(tmp_path / "leics.csv", rows))
    expected = Counter()
    for r in rows:
        if len(r) != 12 or r[1] == "26-08" or r[7] == OUTSIDE:
            continue
        area = {**dict.fromkeys(ABBEY, "abbey"), **dict.fromkeys(BELL, "bell-green")}[r[7]]
        slug = {
            "Anti-social behaviour": "anti-social-behaviour",
            "Burglary": "burglary",
            "Violence and sexual offences": "violent-crime",
            "Drugs": "drugs",
        }.get(r[9], "other-crime")
        expected[(r[2], r[1], area, slug)] += 1
    assert stored_counts(app) == expected
    assert found["rows"] == 10
    assert found["stored"] == sum(expected.values()) == 7
    assert found["outside_areas"] == 1
    assert found["unknown_types"] == {"Knife smuggling": 1}
    assert found["malformed_rows"] == 2
    assert [m.split(": ")[0] for m in found["malformed"]] == ["leics.csv:10", "leics.csv:11"]
    assert found["months"] == [
        {"force": "Leicestershire Police", "month": "2026-08"},
        {"force": "Leicestershire Police", "month": "2026-09"},
    ]


def test_a_force_month_imported_again_is_replaced_whole_not_counted_twice(
    app: Flask, runner: CliRunner, tmp_path: Path
) -> None:
    map_all(runner)
    leics = write_csv(tmp_path / "a.csv", [row("2026-08", ABBEY[0], "Burglary")] * 3)
    met = write_csv(
        tmp_path / "b.csv", [row("2026-08", ELM[0], "Robbery", force="Metropolitan Police")]
    )
    import_files(runner, leics, met)
    import_files(runner, leics)  # the same file again
    assert stored_counts(app) == {
        ("Leicestershire Police", "2026-08", "abbey", "burglary"): 3,
        ("Metropolitan Police", "2026-08", "elm-park", "robbery"): 1,
    }
    corrected = write_csv(tmp_path / "c.csv", [row("2026-08", BELL[0], "Drugs")])
    import_files(runner, corrected)  # a corrected file for the same (force, month)
    assert stored_counts(app) == {
        ("Leicestershire Police", "2026-08", "bell-green", "drugs"): 1,
        ("Metropolitan Police", "2026-08", "elm-park", "robbery"): 1,
    }


@pytest.mark.parametrize(
    "header,column",
    [
        (("Crime ID", "Month", "Reported by"), "column 4 should be 'Falls within' but is missing"),
        (("Crime ID", "Date", *HEADER[2:]), "column 2 should be 'Month' but is 'Date'"),
        ((*HEADER, "Extra"), "unexpected column 13 'Extra'"),
    ],
)
def test_another_header_is_refused_naming_the_first_column_that_differs(
    app: Flask, runner: CliRunner, tmp_path: Path, header: tuple[str, ...], column: str
) -> None:
    map_all(runner)
    good = write_csv(tmp_path / "good.csv", [row("2026-08", ABBEY[0], "Burglary")])
    bad = write_csv(tmp_path / "bad.csv", [], header=header)
    result = runner.invoke(main, ["server", "import-crime", str(good), str(bad)])
    assert result.exit_code == 1
    assert column in result.output and "Traceback" not in result.output
    assert stored_counts(app) == {}  # nothing stored, not even the good file's counts


def test_lsoas_come_from_the_areas_csv_and_an_lsoa_is_in_one_area(
    app: Flask, runner: CliRunner, tmp_path: Path
) -> None:
    areas = tmp_path / "areas.csv"
    areas.write_text(
        "code,name,group,lsoa\n"
        "abbey,Abbey,northfield,E01000001 e01000002\n"
        "bell-green,Bell Green,northfield,\n",
        encoding="utf-8",
    )
    with app.app_context():
        upsert_areas(db.session, read_areas_csv(areas))
        db.session.commit()
        assert areas_by_lsoa(db.session) == {"E01000001": "abbey", "E01000002": "abbey"}
    taken = runner.invoke(main, ["server", "map-lsoa", "bell-green", "E01000002"])
    assert taken.exit_code == 1 and "already in area abbey" in taken.output
    bad = runner.invoke(main, ["server", "map-lsoa", "bell-green", "not-a-code"])
    assert bad.exit_code == 1 and "is not an LSOA code" in bad.output
    unknown = runner.invoke(main, ["server", "map-lsoa", "nowhere", "E01000009"])
    assert unknown.exit_code == 1 and "no area 'nowhere'" in unknown.output


def test_the_crime_api_answers_by_category_and_month_scoped_as_priorities(
    app: Flask, client: FlaskClient, runner: CliRunner, tmp_path: Path
) -> None:
    map_all(runner)
    rows = [row("2026-07", ABBEY[0], "Burglary")] * 2 + [row("2026-08", ABBEY[1], "Burglary")]
    rows += [row("2026-08", ABBEY[0], "Anti-social behaviour"), row("2026-08", ELM[0], "Drugs")]
    import_files(runner, write_csv(tmp_path / "x.csv", rows))
    north = bearer(user_token(app, "nora", group="northfield"))
    got = client.get("/api/v1/areas/abbey/crime?since=2026-01&until=2026-12", headers=north)
    assert got.status_code == 200
    assert got.get_json() == {
        "area": "abbey",
        "since": "2026-01",
        "until": "2026-12",
        "categories": [
            {"category": "burglary", "count": 3, "by_month": {"2026-07": 2, "2026-08": 1}},
            {"category": "anti-social-behaviour", "count": 1, "by_month": {"2026-08": 1}},
        ],
    }
    default = client.get("/api/v1/areas/abbey/crime", headers=north).get_json()
    assert (default["since"], default["until"]) == ("2025-09", "2026-08")  # to the latest month
    assert client.get("/api/v1/areas/elm-park/crime", headers=north).status_code == 404
    bad = client.get("/api/v1/areas/abbey/crime?since=2026-13", headers=north)
    assert bad.status_code == 400 and "since" in bad.get_json()["error"]["details"]


def test_a_bad_month_gets_one_message_that_names_the_fault(app: Flask) -> None:
    """A month not written YYYY-MM is told so once; one out of range is told the months."""
    client = app.test_client()
    north = bearer(user_token(app, "north", "coordinator", "northfield"))
    for query, message in [
        ("since=2026-13", "a month as YYYY-MM"),
        ("until=2026-7", "a month as YYYY-MM"),
        ("since=2026-07-01", "a month as YYYY-MM"),
        ("since=1999-12", "a month between 2000-01 and 2099-12"),
        ("until=9999-12", "a month between 2000-01 and 2099-12"),
    ]:
        got = client.get(f"/api/v1/areas/abbey/crime?{query}", headers=north)
        assert got.status_code == 400, query
        name = query.split("=")[0]
        assert got.get_json()["error"]["details"] == {name: [message]}, query


def push_mentions(app: Flask, area: str, month: str, choices: list[str], times: int) -> None:
    """Store ``times`` responses naming ``choices`` in ``area`` in ``month``, through ingest."""
    import uuid

    from server.catalogue.surveys import add_survey
    from server.db import utcnow
    from server.intake.ingest import ingest_batch

    survey = {
        "id": "crime-compare",
        "version": 1,
        "title": {"en": "Compare"},
        "purpose": {"en": "To compare."},
        "languages": ["en"],
        "methods": ["doorstep"],
        "questions": [
            {
                "id": "concerns",
                "type": "multiple_choice",
                "label": {"en": "Problems?"},
                "choices": [
                    {"value": c, "label": {"en": c}, "category": c}
                    for c in ("burglary", "noise", "drugs", "speeding")
                ],
            }
        ],
    }
    with app.app_context():
        add_survey(db.session, survey)
        items = [
            {
                "id": str(uuid.uuid4()),
                "survey_id": "crime-compare",
                "survey_version": 1,
                "area": area,
                "method": "doorstep",
                "collected_at": f"{month}-10T10:00:00+00:00",
                "answers": {"concerns": choices},
            }
            for _ in range(times)
        ]
        outcomes = ingest_batch(db.session, items, now=utcnow())
        assert {o.status for o in outcomes} == {"accepted"}


def test_the_area_page_sets_concerns_beside_recorded_crime_and_says_where_they_differ(
    app: Flask, client: FlaskClient, runner: CliRunner, tmp_path: Path, clock: Clock
) -> None:
    from tests.security.conftest import add_users
    from tests.server.test_web_data import sign_in

    clock.now = datetime(2026, 9, 15, 12, 0, tzinfo=UTC)
    map_all(runner)
    push_mentions(app, "abbey", "2026-08", ["burglary", "noise", "speeding"], 12)
    rows = [row("2026-08", ABBEY[0], "Drugs")] * 20 + [row("2026-08", ABBEY[1], "Burglary")] * 2
    import_files(runner, write_csv(tmp_path / "x.csv", rows))
    add_users(app, "cora")
    sign_in(client, "cora")
    page = client.get("/dashboard/areas/abbey").get_data(as_text=True)
    assert "Residents' concerns beside recorded crime" in page
    assert "E01000001, E01000002" in page  # the area's LSOAs
    # residents: burglary 12 and noise (as anti-social behaviour) 12; recorded: drugs 20, burglary 2
    assert "Anti-social behaviour: 50% of residents&#39; concerns but 0% of recorded crime" in page
    assert "Drugs: 91% of recorded crime but 0% of residents&#39; concerns" in page
    assert "Not in recorded crime (no police.uk counterpart): Speeding (12)" in page
    agenda = client.get("/dashboard/groups/northfield/agenda?date=2026-09-01").get_data(
        as_text=True
    )
    # the agenda's survey results run over other days than recorded crime: it names its months
    assert "Recorded crime: September 2025 to August 2026. Anti-social behaviour: 50%" in agenda
    public = client.get("/areas/abbey/public").get_data(as_text=True)
    assert "What the police figures say" in public and "Drugs: 91% of recorded crime" in public


def test_only_an_admin_imports_and_coordinators_map_their_own_areas(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    from tests.security.conftest import add_users
    from tests.server.test_web_data import post_form, sign_in

    add_users(app, "cora", "ada")
    coordinator, admin = app.test_client(), app.test_client()
    sign_in(coordinator, "cora")
    sign_in(admin, "ada")
    mapped = post_form(
        coordinator, "/dashboard/crime/", "/dashboard/crime/areas/abbey/lsoa", {"lsoa": "E01000001"}
    )
    assert mapped.status_code == 302
    other = post_form(
        coordinator,
        "/dashboard/crime/",
        "/dashboard/crime/areas/elm-park/lsoa",
        {"lsoa": "W01000004"},
    )
    assert other.status_code == 404  # another group's area
    bad = post_form(
        coordinator, "/dashboard/crime/", "/dashboard/crime/areas/abbey/lsoa", {"lsoa": "x"}
    )
    assert bad.status_code == 400 and "is not an LSOA code" in bad.get_data(as_text=True)
    csv_bytes = write_csv(tmp_path / "f.csv", [row("2026-08", "E01000001", "Drugs")]).read_bytes()
    refused = post_form(
        coordinator,
        "/dashboard/crime/",
        "/dashboard/crime/import",
        {"files": (io.BytesIO(csv_bytes), "f.csv")},
    )
    assert refused.status_code == 403
    done = post_form(
        admin,
        "/dashboard/crime/",
        "/dashboard/crime/import",
        {"files": (io.BytesIO(csv_bytes), "f.csv")},
    )
    assert done.status_code == 200 and "1 counted in areas" in done.get_data(as_text=True)
    assert stored_counts(app) == {("Leicestershire Police", "2026-08", "abbey", "drugs"): 1}


def test_a_recorded_trend_over_months_never_imported_is_not_known(
    app: Flask, runner: CliRunner, tmp_path: Path
) -> None:
    """Months no file was imported for are not zero: no recorded trend is drawn across them."""
    from server.crime.compare import compare, months_to
    from server.crime.records import area_by_code

    map_all(runner)
    rows = [row("2026-08", ABBEY[0], "Burglary")] * 10  # March to July never imported
    import_files(runner, write_csv(tmp_path / "aug.csv", rows))
    with app.app_context():
        abbey = area_by_code(db.session, "abbey")
        side = compare(db.session, abbey, months_to("2026-08")).sides[0]
        assert (side.category, side.recorded, side.recorded_trend) == ("burglary", 10, "not known")
    earlier = [row(f"2026-0{m}", BELL[0], "Drugs") for m in range(3, 8)]  # every month imported
    import_files(runner, write_csv(tmp_path / "spring.csv", earlier))
    with app.app_context():
        abbey = area_by_code(db.session, "abbey")
        side = compare(db.session, abbey, months_to("2026-08")).sides[0]
        assert (side.category, side.recorded_trend) == ("burglary", "up")
