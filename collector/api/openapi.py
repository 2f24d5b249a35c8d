"""Build an app's OpenAPI 3.1 document with apispec, from its views' docstrings.

Each API view documents itself: the YAML after ``---`` in its docstring is its OpenAPI operation
(apispec's FlaskPlugin reads it), naming the marshmallow schemas it loads and answers by class
name (apispec's MarshmallowPlugin turns them into JSON Schema components). What the code already
says is filled in here, not written again: the summary and description (the docstring's first
line and the prose after it), the operationId (the endpoint), the path parameters (from the URL
converters), a description for each answer (its HTTP reason), and the one error body for
400/413/415 when there is a JSON body, 400 when there are query parameters and 404 when the path
has parameters. A method the docstring does not document is left out of the document, which the
tests catch.

Both APIs use this module: the collector's (``collector/api/__init__.py``) and the server's
(``server/api/openapi.py``), which may import from the collector but not the other way round.
Schema class names are looked up in marshmallow's registry, so they must be unique in the project:
an ambiguous or misspelled one becomes a ``$ref`` to nothing, which the tests of both documents
catch.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from apispec import APISpec, BasePlugin
from apispec.exceptions import APISpecError
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import RE_URL, FlaskPlugin
from flask import Flask
from marshmallow import Schema, fields
from werkzeug.routing import IntegerConverter, Rule

from collector.error_codes import ErrorCode

OPENAPI_VERSION = "3.1.0"
ERROR = "Error"  # the shared response component: the one error body
BODY_ERRORS = (400, 413, 415)


class ErrorSchema(Schema):
    """The inside of the one error body: a code of ``ErrorCode``, a message for people, details."""

    code = fields.Enum(ErrorCode, by_value=fields.Str, required=True)
    message = fields.Str(required=True)
    details = fields.Dict(required=True)


class ErrorBodySchema(Schema):
    """``{"error": {"code", "message", "details"}}``: every error of both APIs."""

    error = fields.Nested(ErrorSchema, required=True)


class FlaskViews(FlaskPlugin):
    """apispec's FlaskPlugin, plus what a view and its URL rule already say."""

    def path_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        parameters: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> str | None:
        """Read the view's docstring operations; add the path parameters of its rule."""
        found = super().path_helper(path, operations, parameters, **kwargs)
        assert operations is not None and parameters is not None
        rule = self._rule_for_view(kwargs["view"], kwargs.get("app"))
        unrouted = {method.upper() for method in operations} - (rule.methods or set())
        if unrouted:
            raise APISpecError(f"{rule.endpoint} documents {unrouted} but does not route it")
        for name in RE_URL.findall(rule.rule):
            parameters.append(
                {"in": "path", "name": name, "required": True, "schema": _path_schema(rule, name)}
            )
        return found

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Fill in each operation's summary, description, operationId and error answers."""
        assert operations is not None
        view = kwargs["view"]
        rule = self._rule_for_view(view, kwargs.get("app"))
        prose = inspect.cleandoc(view.__doc__ or "").split("\n---", 1)[0]
        summary, _, description = prose.partition("\n")
        for operation in operations.values():
            operation.setdefault("summary", summary.rstrip("."))
            if description.strip():
                operation.setdefault("description", " ".join(description.split()))
            operation["operationId"] = rule.endpoint
            operation.setdefault("security", [])
            answers = operation.setdefault("responses", {})
            if "requestBody" in operation:
                operation["requestBody"].setdefault("required", True)
                _errors(answers, BODY_ERRORS)
            if any(p.get("in") == "query" for p in operation.get("parameters", ())):
                _errors(answers, (400,))
            if rule.arguments:
                _errors(answers, (404,))
            for code, answer in answers.items():
                if isinstance(answer, dict):
                    answer.setdefault("description", HTTPStatus(int(code)).phrase)


def add_errors(operations: dict[str, Any], codes: Iterable[int]) -> None:
    """Document ``codes`` as the one error body on every operation (for other plugins)."""
    for operation in operations.values():
        _errors(operation.setdefault("responses", {}), codes)


def _errors(answers: dict[Any, Any], codes: Iterable[int]) -> None:
    for code in codes:
        if code not in answers and str(code) not in answers:
            answers[code] = ERROR


def _path_schema(rule: Rule, name: str) -> dict[str, Any]:
    """Return the schema of a path parameter from its URL converter (and its bounds)."""
    converter = rule._converters.get(name)  # werkzeug keeps no public accessor
    if not isinstance(converter, IntegerConverter):
        return {"type": "string", "minLength": 1}
    out: dict[str, Any] = {"type": "integer", "minimum": converter.min or 0}
    if converter.max is not None:
        out["maximum"] = converter.max
    return out


def _never_null(_converter: Any, _field: Any, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Take null out of a parameter's schema: a query parameter is text or absent, never null.

    (marshmallow 4 lets a field whose ``load_default`` is None load null, and apispec says so.)
    """
    schema = dict(ret["schema"])
    if isinstance(schema.get("type"), list):
        kinds = [kind for kind in schema["type"] if kind != "null"]
        schema["type"] = kinds[0] if len(kinds) == 1 else kinds
    if "enum" in schema:
        schema["enum"] = [value for value in schema["enum"] if value is not None]
    if "default" in schema and schema["default"] is None:
        del schema["default"]
    return {"schema": schema}


def new_spec(
    title: str,
    version: str,
    description: str,
    security_schemes: dict[str, dict[str, Any]],
    plugins: Iterable[BasePlugin] = (),
) -> APISpec:
    """Return an empty document with the one error body and the API's security schemes.

    ``plugins`` see each view's operations once its docstring is read, before the defaults
    above are filled in and the schemas resolved.
    """
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title=title,
        version=version,
        openapi_version=OPENAPI_VERSION,
        info={"description": description},
        plugins=[*plugins, FlaskViews(), marshmallow],
    )
    assert marshmallow.converter is not None
    marshmallow.converter.add_parameter_attribute_function(_never_null)
    spec.components.schema("ErrorBody", schema=ErrorBodySchema)
    spec.components.response(
        ERROR,
        {
            "description": 'an error, in the one error body {"error": {"code", "message", '
            '"details"}}',
            "content": {"application/json": {"schema": ErrorBodySchema}},
        },
    )
    for name, scheme in security_schemes.items():
        spec.components.security_scheme(name, scheme)
    return spec


def document(
    app: Flask,
    new: Callable[[], APISpec],
    leave_out: Iterable[str] = (),
    prefix: str = "/api/",
) -> dict[str, Any]:
    """Return the OpenAPI document of every ``prefix`` route but the ``leave_out`` endpoints.

    It is written into the ``new()`` spec once per app (reading the docstrings' YAML takes tens
    of milliseconds): a Flask app's URL map cannot change once it has served a request.
    """
    if "openapi" not in app.extensions:
        spec, skip = new(), set(leave_out)
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith(prefix) and rule.endpoint not in skip:
                spec.path(view=app.view_functions[rule.endpoint], app=app)
        out = spec.to_dict()
        # A path none of whose methods is documented would be an empty item: leave it out too.
        paths = out["paths"].items()
        out["paths"] = {path: item for path, item in paths if set(item) - {"parameters"}}
        app.extensions["openapi"] = out
    doc: dict[str, Any] = app.extensions["openapi"]
    return doc
