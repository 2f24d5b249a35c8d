"""Build an OpenAPI 3.1 document from a URL map, a table of operations and marshmallow schemas.

Both APIs use it: the collector's (``collector/api_spec.py``) and the server's
(``server/api_spec.py``), which may import from the collector but not the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from marshmallow import RAISE, Schema, fields, validate
from werkzeug.routing import IntegerConverter, Rule

PARAM = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")
ERROR_REF = {"$ref": "#/components/responses/Error"}
# Most specific first: UUID and Url are strings, AwareDateTime is a DateTime, Int a Number.
_TYPES: tuple[tuple[type[fields.Field], dict[str, Any]], ...] = (
    (fields.UUID, {"type": "string", "format": "uuid"}),
    (fields.Url, {"type": "string"}),
    (fields.DateTime, {"type": "string", "format": "date-time"}),
    (fields.Date, {"type": "string", "format": "date"}),
    (fields.Str, {"type": "string"}),
    (fields.Int, {"type": "integer"}),
    (fields.Number, {"type": "number"}),
    (fields.Bool, {"type": "boolean"}),
    (fields.Dict, {"type": "object"}),
    (fields.Raw, {}),
)


@dataclass(frozen=True)
class Op:
    """One operation: who may call it, what it takes and what it answers."""

    summary: str
    auth: str  # "none", or a security scheme name ("deviceToken", "apiToken")
    answer: str | None = None  # component schema of the success body
    status: int = 200
    body: Schema | None = None
    query: Schema | None = None
    errors: tuple[int, ...] = ()
    description: str = ""
    other_types: tuple[str, ...] = ()  # other media types of the success body
    raw_answer: Mapping[str, Any] | None = None  # a literal schema instead of ``answer``
    extra: Mapping[str, Any] = field(default_factory=dict)


class Converter:
    """Turn marshmallow schemas into JSON Schema (2020-12), collecting nested ones by name."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}

    def ref(self, schema: Schema | type[Schema], *, request: bool = False) -> dict[str, Any]:
        """Register ``schema`` (and what it nests) as a component; return a ``$ref`` to it."""
        instance = schema() if isinstance(schema, type) else schema
        name = type(instance).__name__.removesuffix("Schema")
        if name not in self.schemas:
            self.schemas[name] = {}  # a placeholder stops recursion through self-nesting
            self.schemas[name] = self.object(instance, request=request)
        return {"$ref": f"#/components/schemas/{name}"}

    def object(self, schema: Schema, *, request: bool = False) -> dict[str, Any]:
        """Return the JSON Schema of a marshmallow schema; a strict request allows no extras."""
        props, required = {}, []
        for name, f in schema.fields.items():
            if (f.load_only and not request) or (f.dump_only and request):
                continue
            key = f.data_key or name
            props[key] = self.field(f, request=request)
            partial = schema.partial is True or (
                isinstance(schema.partial, tuple | list | set) and name in schema.partial
            )
            if f.required and not partial:
                required.append(key)
        out: dict[str, Any] = {"type": "object", "properties": props}
        if required:
            out["required"] = sorted(required)
        if request and schema.unknown == RAISE:
            out["additionalProperties"] = False
        return out

    def field(self, f: fields.Field, *, request: bool = False) -> dict[str, Any]:
        """Return the JSON Schema of one field, with its validators' limits."""
        if isinstance(f, fields.Nested):
            out = self.ref(f.nested, request=request)  # type: ignore[arg-type]
            if f.many:
                out = {"type": "array", "items": out}
        elif isinstance(f, fields.List):
            out = {"type": "array", "items": self.field(f.inner, request=request)}
        else:
            out = next((dict(spec) for cls, spec in _TYPES if isinstance(f, cls)), {})
            if isinstance(f, fields.Dict) and f.value_field is not None:
                out["additionalProperties"] = self.field(f.value_field, request=request)
        for v in f.validators:
            out.update(_limits(v, out.get("type")))
        if f.allow_none:
            out = _nullable(out)
        return out


def _limits(v: Any, kind: Any) -> dict[str, Any]:
    """Return the JSON Schema keywords for a marshmallow validator (those we can say)."""
    if isinstance(v, validate.Length):
        lo, hi = ("minItems", "maxItems") if kind == "array" else ("minLength", "maxLength")
        return {k: n for k, n in ((lo, v.min), (hi, v.max)) if n is not None}
    if isinstance(v, validate.OneOf):
        return {"enum": list(v.choices)}
    if isinstance(v, validate.Range) and kind in ("integer", "number"):
        out: dict[str, Any] = {}
        if v.min is not None:
            out["minimum" if v.min_inclusive else "exclusiveMinimum"] = v.min
        if v.max is not None:
            out["maximum" if v.max_inclusive else "exclusiveMaximum"] = v.max
        return out
    if isinstance(v, validate.Regexp):
        # Python's $ also matches before a final newline and JSON Schema's does not, so the
        # document is the stricter of the two: what it allows, the view accepts.
        return {"pattern": v.regex.pattern}
    return {}


def _nullable(out: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in out:
        return {"anyOf": [out, {"type": "null"}]}
    if "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _not_null(spec: dict[str, Any]) -> dict[str, Any]:
    """Return ``spec`` without null: a query parameter is a string or absent, never null."""
    out = dict(spec)
    if isinstance(out.get("type"), list):
        out["type"] = next(t for t in out["type"] if t != "null")
    if "enum" in out:
        out["enum"] = [v for v in out["enum"] if v is not None]
    return out


def error_components() -> dict[str, Any]:
    """Return the one error body's schema and the shared error response."""
    error = {
        "type": "object",
        "required": ["code", "details", "message"],
        "properties": {
            "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
            "message": {"type": "string"},
            "details": {"type": "object"},
        },
        "additionalProperties": False,
    }
    body = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"$ref": "#/components/schemas/Error"}},
        "additionalProperties": False,
    }
    response = {
        "description": 'an error, in the one error body {"error": {"code", "message", "details"}}',
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    return {"schemas": {"Error": error, "ErrorBody": body}, "responses": {"Error": response}}


def _path_schema(rule: Rule, name: str) -> dict[str, Any]:
    """Return the schema of a path parameter from its URL converter (and its bounds)."""
    converter = rule._converters.get(name)  # werkzeug keeps no public accessor
    if not isinstance(converter, IntegerConverter):
        return {"type": "string", "minLength": 1}
    out: dict[str, Any] = {"type": "integer", "minimum": converter.min or 0}
    if converter.max is not None:
        out["maximum"] = converter.max
    return out


def operation(op: Op, conv: Converter, endpoint: str, rule: Rule) -> dict[str, Any]:
    """Return the OpenAPI operation object of one route."""
    out: dict[str, Any] = {
        "summary": op.summary,
        "operationId": endpoint,
        "security": [] if op.auth == "none" else [{op.auth: []}],
    }
    if op.description:
        out["description"] = op.description
    params = [
        {"name": name, "in": "path", "required": True, "schema": _path_schema(rule, name)}
        for _, name in PARAM.findall(rule.rule)
    ]
    if op.query is not None:
        for name, spec in conv.object(op.query).get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": False, "schema": _not_null(spec)}
            )
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": conv.ref(op.body, request=True)}},
        }
    schema = dict(op.raw_answer) if op.raw_answer is not None else conv_ref(conv, op.answer)
    content = {"application/json": {"schema": schema}}
    for media in op.other_types:
        content[media] = {"schema": {"type": "string"}}
    out["responses"] = {
        str(op.status): {"description": "success", "content": content},
        **{str(code): ERROR_REF for code in sorted(set(op.errors))},
    }
    out.update(op.extra)
    return out


def conv_ref(conv: Converter, name: str | None) -> dict[str, Any]:
    """Return a ``$ref`` to a component that is already registered (or any JSON if none)."""
    if name is None:
        return {}
    if name not in conv.schemas:
        raise KeyError(f"no component schema {name!r}")
    return {"$ref": f"#/components/schemas/{name}"}


def build(
    app: Flask,
    operations: Mapping[tuple[str, str], Op],
    conv: Converter,
    info: dict[str, Any],
    security_schemes: dict[str, Any],
    prefix: str = "/api/",
) -> dict[str, Any]:
    """Return the OpenAPI document of every ``prefix`` route that ``operations`` describes.

    A route missing from ``operations`` is left out, which the tests catch.
    """
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op = operations.get((method, rule.rule))
            if op is None:
                continue
            path = PARAM.sub(r"{\2}", rule.rule)
            entry = operation(op, conv, rule.endpoint, rule)
            roles = getattr(app.view_functions[rule.endpoint], "doorstep_roles", ())
            if roles:
                entry["x-roles"] = list(roles)
            paths.setdefault(path, {})[method.lower()] = entry
    errors = error_components()
    return {
        "openapi": "3.1.0",
        "info": info,
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {**errors["schemas"], **dict(sorted(conv.schemas.items()))},
            "responses": errors["responses"],
            "securitySchemes": security_schemes,
        },
    }
