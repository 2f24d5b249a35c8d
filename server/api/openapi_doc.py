"""Build the server's OpenAPI 3.1 document from its URL map and ``api_spec``."""

from __future__ import annotations

from typing import Any

from flask import Flask

from collector.api.openapi import build
from server.api.spec import OPERATIONS, SECURITY_SCHEMES, converter
from sync.wire import PROTOCOL_VERSION


def build_document(app: Flask) -> dict[str, Any]:
    """Return the OpenAPI document for every ``/api/`` route of the app."""
    info = {
        "title": "doorstep server API",
        "version": f"{PROTOCOL_VERSION}",
        "description": "Sync protocol v1 and the coordinator API. Errors are always "
        '{"error": {"code", "message", "details"}}.',
    }
    return build(app, OPERATIONS, converter(), info, SECURITY_SCHEMES)
