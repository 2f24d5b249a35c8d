"""The collector's local JSON API (DESIGN.md "Collector local API"), plus loopback admin calls.

Contract endpoints: ``health``, ``responses``, ``status``, ``surveys``, ``areas``. The admin
endpoints (``export``, ``sync``, ``device``) serve ``doorstep collector`` commands on the same
machine: they need loopback and the local key that ``serve`` writes to its runtime file. In
kiosk mode only ``health`` answers without that key, so a kiosk shows no stored data (404).

Each contract view's docstring ends in its OpenAPI operation (``collector/api/openapi.py``
builds the document from them, with the answer schemas of ``collector/api/answers.py``).
"""

from __future__ import annotations

import hmac
import os
import tempfile
from pathlib import Path
from typing import Any

from apispec import APISpec
from flask import Blueprint, Response, current_app, jsonify, request, session
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.exceptions import HTTPException

from collector import hooks
from collector.api import answers  # noqa: F401  (the schemas the docstrings below name)
from collector.api.openapi import document, new_spec
from collector.bundle import write_bundle
from collector.context import get_settings, get_store
from collector.error_codes import ErrorCode, code_for, error_body
from collector.json_text import loads
from collector.settings import plain_http_warning
from collector.storage.durable import StorageError, StorageFull
from collector.store import InvalidResponse, ResponseConflict

bp = Blueprint("api", __name__, url_prefix="/api/v1")

KEY_HEADER = "X-Doorstep-Key"
LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
PUBLIC_IN_KIOSK = frozenset({"api.health"})
ADMIN = frozenset({"api.export", "api.sync", "api.device", "api.rejected"})
SESSION = "volunteerSession"
SECURITY_SCHEMES = {
    SESSION: {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "the web app's session cookie once a volunteer signed in; a client on "
        "loopback (this machine) needs none",
    }
}


def error(code: ErrorCode, message: str, status: int, details: dict[str, Any] | None = None) -> Any:
    """Return the one error body: ``{"error": {"code", "message", "details"}}``."""
    return jsonify(error_body(code, message, details)), status


def http_error(e: HTTPException) -> Any:
    """Turn a werkzeug HTTP error into the one error body."""
    status = e.code or 500
    return error(code_for(status), e.description or e.name, status)


def _is_loopback() -> bool:
    return request.remote_addr in LOOPBACK


def _has_local_key() -> bool:
    key = get_settings().local_key
    given = request.headers.get(KEY_HEADER, "")
    return bool(key) and hmac.compare_digest(given.encode(), key.encode())


@bp.before_request
def _guard() -> Any:
    """Hide everything but health in kiosk mode, and keep admin calls to this machine's CLI."""
    trusted = _is_loopback() and _has_local_key()
    if get_settings().kiosk and not trusted and request.endpoint not in PUBLIC_IN_KIOSK:
        return error(ErrorCode.NOT_FOUND, "The requested URL was not found on the server.", 404)
    if request.endpoint in ADMIN and not trusted:
        return error(
            ErrorCode.FORBIDDEN, "only the doorstep command on this machine may do this", 403
        )
    return None


def _json_body() -> Any:
    if request.mimetype != "application/json":
        return None, error(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send Content-Type: application/json", 415
        )
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", ""):
        # Bodies here are one response from this machine or the LAN: never compressed.
        return None, error(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE, f"Content-Encoding {encoding!r} is not supported", 415
        )
    raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413 from werkzeug
    try:
        return loads(raw), None
    except ValueError as exc:
        return None, error(ErrorCode.MALFORMED_JSON, f"the body is not valid JSON: {exc}", 400)


@bp.get("/health")
def health() -> Any:
    """Say the collector is up.
    ---
    get:
      responses:
        200: {content: {application/json: {schema: CollectorHealthSchema}}}
    """
    return jsonify({"status": "ok"})


@bp.get("/openapi.json")
def openapi() -> Any:
    """Return the OpenAPI document of the contract endpoints.

    The admin endpoints serve the ``doorstep`` command on this machine; they are left out.
    ---
    get:
      responses:
        200:
          description: this document
          content: {application/json: {schema: {type: object, required: [openapi, paths]}}}
        404: Error
    """
    return jsonify(document(current_app, _spec, leave_out=ADMIN))


def _spec() -> APISpec:
    description = (
        'The collector\'s contract endpoints. Errors are always {"error": {"code", "message", '
        '"details"}}.'
    )
    return new_spec("doorstep collector local API", "1", description, SECURITY_SCHEMES)


@bp.post("/responses")
def post_response() -> Any:
    """Store a submitted response; answer 201 only once it is durable on disk.

    Who may post: a client on loopback, or a browser whose session holds a signed-in
    volunteer. 422 invalid_response (details.fields maps each field to its problems); 409
    conflict (same id, other content: the first is kept); 507 storage_full and 503
    storage_error save nothing. The same id and content again is a safe retry (201).
    ---
    post:
      security: [{}, {volunteerSession: []}]
      requestBody: {content: {application/json: {schema: NewResponseSchema}}}
      responses:
        201: {content: {application/json: {schema: SavedSchema}}}
        403: Error
        404: Error
        409: Error
        422: Error
        503: Error
        507: Error
    """
    if not (_is_loopback() or session.get("volunteer")):
        return error(ErrorCode.FORBIDDEN, "sign in as a volunteer to submit responses", 403)
    body, problem = _json_body()
    if problem is not None:
        return problem
    try:
        response_id = get_store().save_response(body)
    except InvalidResponse as exc:
        return error(
            ErrorCode.INVALID_RESPONSE,
            "the response is not valid; see details.fields",
            422,
            {"fields": exc.errors},
        )
    except ResponseConflict as exc:
        return error(ErrorCode.CONFLICT, str(exc), 409, {"id": exc.response_id})
    except StorageError as exc:
        return storage_error(exc)
    return jsonify({"id": response_id}), 201


def storage_error(exc: StorageError) -> Any:
    """Answer a store that could not write: 507 when the disk is full, else 503."""
    if isinstance(exc, StorageFull):
        return error(ErrorCode.STORAGE_FULL, "the device's disk is full; nothing was saved", 507)
    return error(ErrorCode.STORAGE_ERROR, f"nothing was saved: {exc}", 503)


@bp.get("/status")
def status() -> Any:
    """Report stored, unsynced and rejected counts and the last sync time.
    ---
    get:
      responses:
        200: {content: {application/json: {schema: StoreStatusSchema}}}
        404: Error
    """
    return jsonify(get_store().status())


@bp.get("/rejected")
def rejected() -> Any:
    """List the responses the server rejected, with its reasons (admin)."""
    return jsonify({"rejected": get_store().rejected()})


@bp.get("/surveys")
def surveys() -> Any:
    """List the latest version of each survey this collector takes, in the core format.
    ---
    get:
      responses:
        200: {content: {application/json: {schema: SurveyListSchema}}}
        404: Error
    """
    return jsonify({"surveys": [dict(s.definition) for s in get_store().surveys()]})


@bp.get("/areas")
def areas() -> Any:
    """List the areas this collector knows (pulled, or the demo set).
    ---
    get:
      responses:
        200: {content: {application/json: {schema: CollectorAreaListSchema}}}
        404: Error
    """
    return jsonify({"areas": get_store().areas()})


@bp.get("/export")
def export() -> Any:
    """Stream an offline bundle of every stored response (admin)."""
    store = get_store()
    device = store.device()
    fd, path = tempfile.mkstemp(prefix=".export-", suffix=".tmp", dir=store.data_dir)
    os.close(fd)
    try:
        manifest = write_bundle(store.iter_responses(), path, device.device_id if device else None)
        # Compressed, a season's bundle is a few MB: held in memory, nothing left open on disk.
        data = Path(path).read_bytes()
    finally:
        Path(path).unlink(missing_ok=True)
    reply = Response(data, mimetype="application/gzip")
    reply.headers["X-Doorstep-Count"] = str(manifest["count"])
    return reply


@bp.post("/sync")
def sync() -> Any:
    """Run one sync now through the hook the sync layer installed (admin)."""
    if hooks.sync_now is None:
        return error(ErrorCode.SYNC_UNAVAILABLE, "this collector was built without sync", 501)
    try:
        summary = hooks.sync_now(get_store())
    except hooks.SyncFailed as exc:
        return error(exc.code, str(exc), exc.status)
    return jsonify(summary)


class DeviceSchema(Schema):
    """An enrollment handed over by ``doorstep collector enroll``."""

    server_url = fields.Url(required=True, require_tld=False)
    device_id = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    token = fields.Str(required=True, validate=validate.Length(min=16, max=1000))


@bp.route("/device", methods=["GET", "PUT"])
def device() -> Any:
    """Show this collector's enrollment (never the token), or record a new one (admin)."""
    store = get_store()
    if request.method == "PUT":
        body, problem = _json_body()
        if problem is not None:
            return problem
        try:
            data = DeviceSchema().load(body if isinstance(body, dict) else {})
        except ValidationError as exc:
            return error(
                ErrorCode.INVALID_DEVICE,
                "the enrollment is not valid",
                422,
                {"fields": exc.messages},
            )
        store.set_device(data["server_url"], data["device_id"], data["token"])
    current = store.device()
    if current is None:
        return jsonify({"enrolled": False})
    answer = {"enrolled": True, "server_url": current.server_url, "device_id": current.device_id}
    warning = plain_http_warning(current.server_url)
    return jsonify({**answer, "warning": warning} if warning else answer)
