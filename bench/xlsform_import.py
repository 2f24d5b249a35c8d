"""Measure XLSForm import: a 40-question, two-language form, against pyxform reading it alone.

Prints one table of median and max milliseconds per form for: pyxform's
``parse_file_to_json`` alone (the floor: reading the workbook is most of the work), our full
``convert_xlsform`` (which reads the sheet rows once more for row numbers, maps, and checks the
result with ``load_survey``), and the difference.

    .venv/bin/python bench/xlsform_import.py [--rounds N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import click
from openpyxl import Workbook
from pyxform.xls2json import parse_file_to_json

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from survey_schemas.xlsform import convert_xlsform  # noqa: E402

HEAD = ["type", "name", "label::English (en)", "label::Polski (pl)", "hint::English (en)",
        "hint::Polski (pl)", "relevant", "constraint", "required"]  # fmt: skip


def write_form(path: Path) -> None:
    """Write a realistic doorstep-sized XLSForm: 40 questions in 4 groups with conditions."""
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(HEAD)
    for g in range(4):
        ws.append(["begin_group", f"part{g}", f"Part {g}", f"Część {g}", "", "", "", "", ""])
        for i in range(10):
            n = f"q{g}_{i}"
            kind = ["select_one yn", "select_multiple issues", "integer", "text", "date"][i % 5]
            rel = f"${{q{g}_0}} = 'yes'" if i % 5 else ""
            con = {"integer": ". >= 0 and . <= 20", "text": "string-length(.) <= 200"}.get(kind, "")
            row = [kind, n, f"Question {n}?", f"Pytanie {n}?", "Hint", "Wskazówka", rel, con]
            ws.append([*row, "yes" if i == 0 else ""])
        ws.append(["end_group"])
    choices = wb.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::Polski (pl)"])
    choices.append(["yn", "yes", "Yes", "Tak"])
    choices.append(["yn", "no", "No", "Nie"])
    for code in ("speeding", "litter", "graffiti", "noise", "fly-tipping", "dog-fouling"):
        choices.append(["issues", code, code.title(), code.title()])
    settings = wb.create_sheet("settings")
    settings.append(["form_title", "form_id", "version"])
    settings.append(["Street check", "street_check", "3"])
    wb.save(path)


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    """Return the milliseconds of each of ``rounds`` calls (after one warm-up call)."""
    fn()
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


@click.command()
@click.option("--rounds", default=30, show_default=True, help="Conversions to time per row.")
def main(rounds: int) -> None:
    """Print the import timings table."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "street.xlsx"
        write_form(path)
        floor = timed(lambda: parse_file_to_json(str(path), warnings=[]), rounds)
        ours = timed(lambda: convert_xlsform(path, warnings=[]), rounds)
    rows = [
        ("pyxform parse_file_to_json (baseline)", floor),
        ("convert_xlsform (ours, end to end)", ours),
    ]
    print(f"XLSForm import, 40 questions x 2 languages, {rounds} rounds")
    print(f"{'what':<40} {'median ms':>10} {'max ms':>10}")
    for name, times in rows:
        print(f"{name:<40} {statistics.median(times):>10.1f} {max(times):>10.1f}")
    extra = statistics.median(ours) - statistics.median(floor)
    print(f"{'overhead over the baseline':<40} {extra:>10.1f} {'':>10}")


if __name__ == "__main__":
    main()
