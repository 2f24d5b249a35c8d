"""OpenRosa answers: the XML envelope Collect reads, with the headers OpenRosa 1.0 asks for.

Every answer under ``/openrosa/`` carries ``X-OpenRosa-Version: 1.0`` and
``X-OpenRosa-Accept-Content-Length`` (the largest body this server takes: Collect splits a
submission with attachments into several requests under it). An error is an
``<OpenRosaResponse>`` whose message Collect shows to the volunteer, never the JSON error body.
"""

from __future__ import annotations

from flask import Response, current_app, request

from sync.openrosa import openrosa_response

PREFIX = "/openrosa/"
XML = "text/xml; charset=utf-8"


def is_openrosa() -> bool:
    """Say whether the request is to an OpenRosa URL (its errors are OpenRosa answers)."""
    return request.path.startswith(PREFIX)


def with_headers(reply: Response) -> Response:
    """Add the OpenRosa headers to ``reply``; return it."""
    reply.headers["X-OpenRosa-Version"] = "1.0"
    reply.headers["X-OpenRosa-Accept-Content-Length"] = str(current_app.config["MAX_BODY_BYTES"])
    return reply


def xml_reply(body: bytes, status: int = 200) -> Response:
    """Return an XML document (a form list, a form) with the OpenRosa headers."""
    return with_headers(Response(body, status=status, content_type=XML))


def message_reply(status: int, message: str) -> Response:
    """Return the OpenRosa response envelope: a success for 2xx, an error otherwise."""
    nature = "submit_success" if status < 300 else "error"
    return xml_reply(openrosa_response(message, nature), status)
