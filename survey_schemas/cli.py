"""``doorstep survey``: check and convert survey definitions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .definition import SurveyError, load_survey_file
from .model import METHODS
from .readiness import unready_problems
from .registry import SurveyRegistry


@click.group()
def survey() -> None:
    """Check and convert survey definitions."""


@survey.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object for scripts.")
def validate_cmd(paths: tuple[Path, ...], as_json: bool) -> None:
    """Check survey definitions (files or folders of *.json); exit 1 listing each problem.

    A valid survey whose purpose is still an XLSForm import's placeholder is a problem too.
    """
    problems: list[str] = []
    checked: list[str] = []
    for path in paths:
        try:
            surveys = SurveyRegistry().load_dir(path) if path.is_dir() else [load_survey_file(path)]
        except SurveyError as exc:
            problems.extend(exc.problems)
            continue
        for s in surveys:
            checked.append(f"{s.id} v{s.version}")
            problems.extend(unready_problems(s.definition or {}))
    if as_json:
        click.echo(json.dumps({"ok": not problems, "surveys": checked, "problems": problems}))
    else:
        for line in problems:
            click.echo(line, err=False)
        if not problems:
            click.echo(f"ok: {', '.join(checked)}")
    sys.exit(1 if problems else 0)


@survey.command("import-xlsform")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option("--id", "survey_id", help="Survey id (default: the form_id or file name).")
@click.option("--version", type=int, help="Survey version (default: from the settings sheet).")
@click.option(
    "--method",
    "methods",
    multiple=True,
    type=click.Choice(METHODS),
    help="Allowed collection method; repeat for more (default: doorstep).",
)
@click.option(
    "--language",
    default="en",
    show_default=True,
    help="Language code for label columns that name no language.",
)
def import_xlsform_cmd(
    file: Path,
    out: Path | None,
    survey_id: str | None,
    version: int | None,
    methods: tuple[str, ...],
    language: str,
) -> None:
    """Convert an XLSForm (ODK/KoboToolbox) to a doorstep survey definition.

    Exit 1 listing each construct that cannot be carried; warnings go to stderr.
    """
    from .xlsform import XLSFormError, convert_xlsform

    warnings: list[str] = []
    try:
        definition = convert_xlsform(
            file,
            survey_id=survey_id,
            version=version,
            methods=methods or ("doorstep",),
            language=language,
            warnings=warnings,
        )
    except XLSFormError as exc:
        for line in exc.problems:
            click.echo(line, err=True)
        sys.exit(1)
    for line in warnings:
        click.echo(f"warning: {line}", err=True)
    text = json.dumps(definition, indent=2, ensure_ascii=False) + "\n"
    if out:
        out.write_text(text, "utf-8")
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)
