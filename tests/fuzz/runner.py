"""Run schemathesis against a live API and count what it finds (tests and bench/fuzz.py share it).

Every operation of the document gets ``examples`` positive cases (data the document allows) and
``examples`` negative ones (data it forbids), sent over real HTTP. A case fails on a server
error (5xx) or an answer that breaks the document: undocumented status, wrong content type,
a body that does not match its schema.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
METHODS = frozenset({"get", "put", "post", "delete", "patch", "options", "head", "trace"})


@dataclass
class Finding:
    """One failed check: where, what was sent, what came back."""

    operation: str
    mode: str
    check: str
    status: int
    detail: str


@dataclass
class Report:
    """What one fuzz run of one API found."""

    api: str
    operations: int = 0
    cases: int = 0
    server_errors: int = 0
    violations: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        """Return the findings, one a line, for an assertion message."""
        return "\n".join(
            f"{f.operation} [{f.mode}] {f.check} -> {f.status}: {f.detail[:300]}"
            for f in self.findings
        )


def documented_operations(base_url: str) -> int:
    """Return how many operations the document names, less its own (schemathesis skips it)."""
    doc = requests.get(f"{base_url}/api/v1/openapi.json", timeout=30).json()
    return sum(
        len(METHODS.intersection(item))  # a path item also holds its path parameters
        for path, item in doc["paths"].items()
        if path != "/api/v1/openapi.json"
    )


def fuzz(
    api: str,
    base_url: str,
    headers_for: Callable[[Any], Mapping[str, str]],
    examples: int,
    *,
    known: Mapping[str, Any] | None = None,
    derandomize: bool = True,
) -> Report:
    """Fuzz every operation of the document at ``base_url/api/v1/openapi.json``.

    ``known`` maps path parameter names to values that exist (an area code, an issue id):
    an operation whose path takes only known parameters gets a third run, of positive cases
    on those, so generated bodies reach past the 404 of a made-up id.
    """
    started = time.perf_counter()
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", timeout=30)
    report = Report(api)
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            report.operations += 1
            headers = dict(headers_for(operation))
            names = {p.name for p in operation.path_parameters}
            # An operation with no parameters and no body has nothing to negate.
            inputs = list(operation.iter_parameters()) or operation.body
            modes = MODES if inputs else (GenerationMode.POSITIVE,)
            runs: list[tuple[GenerationMode, dict[str, Any] | None]] = [(m, None) for m in modes]
            if names and known and names <= set(known):
                runs.append((GenerationMode.POSITIVE, {n: known[n] for n in names}))
            for mode, path in runs:
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path)
                run = Run(operation, mode, base_url, session, headers, report)
                run.send(strategy, examples, derandomize)
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class Run:
    """One batch of cases of one mode against one operation."""

    operation: Any
    mode: GenerationMode
    base_url: str
    session: requests.Session
    headers: dict[str, str]
    report: Report

    def send(self, strategy: Any, examples: int, derandomize: bool) -> None:
        """Send ``examples`` cases drawn from ``strategy``, recording every failed check."""

        @settings(
            max_examples=examples,
            derandomize=derandomize,
            database=None,
            deadline=None,
            # Failures are counted, not raised: no shrinking, and no health check stops a run.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def one(case: Any) -> None:
            self.check(case)

        one()

    def check(self, case: Any) -> None:
        """Send one case and validate the answer against the document."""
        report = self.report
        report.cases += 1
        # The generated headers stay (negative cases may forge them); auth goes on top.
        response = case.call(
            base_url=self.base_url, session=self.session, headers=self.headers, timeout=60
        )
        try:
            case.validate_response(response, checks=CHECKS, headers=self.headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                if isinstance(failure, ServerError) or response.status_code >= 500:
                    report.server_errors += 1
                else:
                    report.violations += 1
                report.findings.append(
                    Finding(
                        self.operation.label,
                        self.mode.value,
                        type(failure).__name__,
                        response.status_code,
                        f"{failure.title}: {case.method} {case.formatted_path} "
                        f"query={case.query!r} body={_short(case.body)} -> {response.text[:300]}",
                    )
                )


def _short(body: Any) -> str:
    text = repr(body)
    return text if len(text) < 300 else text[:300] + "..."
