"""The Python side of tests/odk/fill.mjs: ODK's own XForms engine, started once, asked per form.

``make odk-deps`` installs the engine (npm ci in tests/odk). Without it, or without node, the
tests that need it skip on a developer's machine and fail in CI (``CI`` or
``DOORSTEP_REQUIRE_BROWSER`` set), as the browser tests do.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from survey_schemas import Question, Survey
from survey_schemas.xform import AREA_FIELD, METHOD_FIELD, NO, ROOT, YES, number_text

ODK_DIR = Path(__file__).resolve().parent
PACKAGES = ("@getodk/xforms-engine", "@getodk/web-forms", "jsdom", "vue")
ANSWER_TIMEOUT = 120  # seconds for one form; the first one also loads the engine


def missing() -> str | None:
    """Return what is missing to run ODK's engine here, or None when all is in place."""
    if shutil.which("node") is None:
        return "node is not installed (Debian: apt-get install -y nodejs npm)"
    absent = [p for p in PACKAGES if not (ODK_DIR / "node_modules" / p / "package.json").exists()]
    if absent:
        return f"{', '.join(absent)} not installed in tests/odk: run `make odk-deps`"
    return None


class OdkEngine:
    """A running ``node fill.mjs``: one JSON request per line, one answer per line."""

    def __init__(self) -> None:
        # stderr goes to a file: a pipe nobody reads could fill up and stall the engine.
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            ["node", "fill.mjs"],
            cwd=ODK_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            encoding="utf-8",
            env={**os.environ, "NODE_NO_WARNINGS": "1"},
        )
        self.stderr = ""

    def fill(self, form: bytes, steps: list[dict[str, Any]]) -> dict[str, Any]:
        """Load ``form``, apply ``steps`` (``{"ref", "value"}``) in order; return the outcome."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        request = {"form": form.decode("utf-8"), "steps": steps}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], ANSWER_TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.close()
            raise RuntimeError(f"ODK's engine gave no answer: {self.stderr[-2000:]}")
        answer = json.loads(line)
        if answer.get("load") == "crash":
            raise RuntimeError(f"ODK's engine crashed: {answer['error']}")
        return answer

    def close(self) -> None:
        """Stop the engine (end of input), keeping what it wrote on stderr in ``self.stderr``."""
        proc = self.proc
        if proc.stdin is not None and not proc.stdin.closed:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if not self.log.closed:
            self.log.seek(0)
            self.stderr = self.log.read().decode("utf-8", "replace")
            self.log.close()
        if proc.stdout is not None:
            proc.stdout.close()


def engine_value(q: Question, value: Any) -> Any:
    """Return an answer as a person gives it to the engine: choices as lists, the rest as text."""
    if q.type in ("yes_no", "consent"):
        return [YES if value else NO]
    if q.type == "single_choice":
        return [value]
    if q.type == "multiple_choice":
        return list(value)
    if q.type in ("number", "scale"):
        return number_text(int(value) if q.integer else value)
    return value


def steps_for(survey: Survey, response: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the engine steps that fill ``response`` (a wire dict) in, question by question."""
    given = {**response["answers"], **response.get("personal", {})}
    steps = [
        {"ref": f"/{ROOT}/{AREA_FIELD}", "value": [response["area"]]},
        {"ref": f"/{ROOT}/{METHOD_FIELD}", "value": [response["method"]]},
    ]
    for q in survey.questions:
        if q.id in given:
            steps.append({"ref": f"/{ROOT}/{q.id}", "value": engine_value(q, given[q.id])})
    return steps
