"""What a request of the collector app works with: its store and its settings.

The API and the web pages read these; the app factory (``collector/app.py``) puts them in place.
Keeping them here, apart from the factory, lets the factory import the API and the pages without
an import circle.
"""

from __future__ import annotations

from flask import current_app

from collector.settings import Settings
from collector.store import ResponseStore

STORE = "doorstep_store"
SETTINGS = "DOORSTEP_SETTINGS"


def get_store() -> ResponseStore:
    """Return the store of the current app."""
    store: ResponseStore = current_app.extensions[STORE]
    return store


def get_settings() -> Settings:
    """Return the settings of the current app."""
    settings: Settings = current_app.config[SETTINGS]
    return settings
