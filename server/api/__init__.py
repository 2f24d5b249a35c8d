"""The JSON API under ``/api/v1``: one blueprint per URL area."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every API blueprint on the app."""
    from . import areas, devices, health, openapi, sync

    for module in (health, openapi, devices, sync, areas):
        app.register_blueprint(module.bp)
