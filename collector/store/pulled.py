"""What the collector pulled from its server: survey versions, areas, their issues, contact keys.

Before any pull the bundled surveys, the demo areas and an optional ``our-area.json`` in the
data directory stand in. Part of the collector store: :class:`collector.store.ResponseStore`
opens it on its own database and lock, and its public methods call these.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from collector.demo import demo_areas
from collector.sealing import ContactKey
from survey_schemas import SurveyError, SurveyRegistry, bundled_registry

__all__ = ["OUR_AREA_FILE", "Pulled"]

log = logging.getLogger(__name__)

OUR_AREA_FILE = "our-area.json"


class Pulled:
    """Surveys, areas, issues and contact keys in the store's tables of those names."""

    def __init__(self, db: TinyDB, lock: threading.RLock, data_dir: Path) -> None:
        self._surveys = db.table("surveys")
        self._areas = db.table("areas")
        self._issues = db.table("issues")
        self._keys_table = db.table("contact_keys")
        self._lock = lock
        self._data_dir = data_dir
        self.registry = self._load_registry()
        self.area_codes = frozenset(a["code"] for a in self.areas())
        self._keys = self._load_keys(doc for doc in self._keys_table.all())

    @staticmethod
    def _load_keys(items: Iterable[Mapping[str, Any]]) -> dict[str, ContactKey]:
        keys: dict[str, ContactKey] = {}
        for item in items:
            try:
                key = ContactKey.from_wire(item)
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("contact key skipped: %s", exc)
                continue
            keys[key.group] = key
        return keys

    def set_contact_keys(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Keep exactly these contact keys (each group's newest, as the server sent them)."""
        rows = [dict(item) for item in items]
        with self._lock:
            keys = self._load_keys(rows)
            self._keys_table.truncate()
            self._keys_table.insert_multiple(
                {k: row[k] for k in ("kid", "group", "public_key", "alg") if k in row}
                for row in rows
                if str(row.get("group")) in keys
            )
            self._keys = keys

    def contact_key(self, area: str) -> ContactKey | None:
        """Return the contact key of the area's group, or None when this device has none."""
        group = next((a.get("group") for a in self.areas() if a["code"] == area), None)
        return self._keys.get(str(group)) if group is not None else None

    def _load_registry(self) -> SurveyRegistry:
        registry = bundled_registry()
        for doc in self._surveys.all():
            try:
                registry.add(doc["definition"])
            except SurveyError as exc:  # a pulled copy clashing with a bundled one: keep ours
                log.warning("skipping stored survey: %s", "; ".join(exc.problems))
        return registry

    def areas(self) -> list[dict[str, Any]]:
        """Return the areas pulled from the server, or the demo set before any pull."""
        pulled = sorted((dict(a) for a in self._areas.all()), key=lambda a: a["code"])
        return pulled or demo_areas()

    def area_issues(self, area: str) -> list[dict[str, Any]]:
        """Return the issues and "you said, we did" text last pulled for an area."""
        issues = [dict(doc) for doc in self._issues.all()]
        if not issues:
            issues = self._issues_from_file()
        return [i for i in issues if i.get("area") == area]

    def _issues_from_file(self) -> list[dict[str, Any]]:
        path = self._data_dir / OUR_AREA_FILE
        if not path.exists():
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "issues" in data:
            data = data["issues"]
        if isinstance(data, dict):  # {"area-code": [issue, ...]}
            return [{**i, "area": code} for code, items in data.items() for i in items]
        return [i for i in data if isinstance(i, dict)]

    def add(
        self,
        surveys: Iterable[Mapping[str, Any]],
        areas: Iterable[Mapping[str, Any]],
        issues: Iterable[Mapping[str, Any]],
    ) -> dict[str, int]:
        """Store what a pull brought; return counts of surveys added, areas, issues, skipped."""
        counts = {"surveys": 0, "areas": 0, "issues": 0, "skipped": 0}
        with self._lock:
            for definition in surveys:
                try:
                    added = self.registry.add(dict(definition))
                except SurveyError as exc:
                    log.warning("pulled survey skipped: %s", "; ".join(exc.problems))
                    counts["skipped"] += 1
                    continue
                if added:
                    self._surveys.insert({"definition": dict(definition)})
                    counts["surveys"] += 1
            for area in areas:
                self._areas.upsert(dict(area), Query().code == area["code"])
                counts["areas"] += 1
            for issue in issues:
                key = str(issue.get("id") or f"{issue.get('area')}/{issue.get('category')}")
                self._issues.upsert({**issue, "key": key}, Query().key == key)
                counts["issues"] += 1
            self.area_codes = frozenset(a["code"] for a in self.areas())
        return counts
