"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document of every API route.

Each view documents itself in its docstring (``collector/api/openapi.py`` says how); who may
call it is read from its decorator, so the document cannot say otherwise than the check.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin
from flask import Blueprint, current_app

from collector.api.openapi import add_errors, document, new_spec
from server.api import answers  # noqa: F401  (the schemas the views' docstrings name)
from survey_schemas import ResponseSchema
from sync.wire import PROTOCOL_VERSION

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

DEVICE, USER = "deviceToken", "apiToken"
SECURITY_SCHEMES = {
    DEVICE: {
        "type": "http",
        "scheme": "bearer",
        "description": "a device token from POST /api/v1/devices/enroll",
    },
    USER: {
        "type": "http",
        "scheme": "bearer",
        "description": "a user's API token from `doorstep server create-user` (or the "
        "dashboard's signed-in session); x-roles lists the roles that may call",
    },
}


class Auth(BasePlugin):
    """Say who may call a view from its decorator: ``roles_required`` or ``device_required``."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Set each operation's security (and ``x-roles``) and its 401/403 answers."""
        assert operations is not None
        view = kwargs["view"]
        roles = getattr(view, "doorstep_roles", ())
        if roles:
            for operation in operations.values():
                operation.setdefault("security", [{USER: []}])
                operation["x-roles"] = list(roles)
            add_errors(operations, (401, 403))
        elif getattr(view, "doorstep_device", False):
            for operation in operations.values():
                operation.setdefault("security", [{DEVICE: []}])
            add_errors(operations, (401,))


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    """Return the OpenAPI document describing every route and its auth.
    ---
    get:
      responses:
        200:
          description: this document
          content: {application/json: {schema: {type: object, required: [openapi, paths]}}}
    """
    return document(current_app, _spec)


def _spec() -> APISpec:
    spec = new_spec(
        "doorstep server API",
        f"{PROTOCOL_VERSION}",
        "Sync protocol v1 and the coordinator API. Errors are always "
        '{"error": {"code", "message", "details"}}.',
        SECURITY_SCHEMES,
        plugins=[Auth()],
    )
    # A pushed item should be a Response; push checks items one by one, so its body keeps them raw.
    spec.components.schema("Response", schema=ResponseSchema)
    return spec
