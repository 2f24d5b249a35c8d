"""The issue taxonomy: category codes, their nature, default provider and remit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

NATURES = ("personal", "nuisance", "environmental")
REMITS = ("acts", "refer", "outside")


class TaxonomyError(ValueError):
    """A taxonomy extension is malformed."""


@dataclass(frozen=True)
class Category:
    """One issue category, e.g. ``speeding``."""

    code: str
    label: Mapping[str, str]
    nature: str
    provider: str
    remit: str
    group: str = "other"

    def label_in(self, lang: str) -> str:
        """Return the label in ``lang``, falling back to English."""
        return self.label.get(lang) or self.label.get("en") or self.code


@dataclass(frozen=True)
class Taxonomy:
    """An ordered set of categories with remit texts."""

    categories: Mapping[str, Category]
    remits: Mapping[str, str] = field(default_factory=dict)

    def __contains__(self, code: object) -> bool:
        return code in self.categories

    def __getitem__(self, code: str) -> Category:
        return self.categories[code]

    def __iter__(self):
        return iter(self.categories.values())

    def __len__(self) -> int:
        return len(self.categories)

    def codes(self) -> list[str]:
        """Return every category code in taxonomy order."""
        return list(self.categories)

    def extended(self, changes: Iterable[Mapping[str, Any]]) -> Taxonomy:
        """Return a copy with categories added or relabelled by a deployment.

        Each change is a mapping with ``code`` and any of ``label``, ``nature``,
        ``provider``, ``remit``, ``group``; an unknown code adds a category, which
        then needs ``label``, ``nature``, ``provider`` and ``remit``.
        """
        cats = dict(self.categories)
        for change in changes:
            code = change.get("code")
            if not isinstance(code, str) or not _is_slug(code):
                raise TaxonomyError(f"category code {code!r} must be lowercase and hyphenated")
            fields = {k: v for k, v in change.items() if k != "code"}
            unknown = set(fields) - {"label", "nature", "provider", "remit", "group"}
            if unknown:
                raise TaxonomyError(f"category {code}: unknown fields {sorted(unknown)}")
            if isinstance(fields.get("label"), str):
                fields["label"] = {"en": fields["label"]}
            if code in cats:
                if "label" in fields:
                    fields["label"] = {**cats[code].label, **fields["label"]}
                cat = replace(cats[code], **fields)
            else:
                missing = {"label", "nature", "provider", "remit"} - set(fields)
                if missing:
                    raise TaxonomyError(f"new category {code}: missing {sorted(missing)}")
                cat = Category(code=code, **fields)
            if cat.nature not in NATURES:
                raise TaxonomyError(f"category {code}: nature must be one of {NATURES}")
            if cat.remit not in REMITS:
                raise TaxonomyError(f"category {code}: remit must be one of {REMITS}")
            cats[code] = cat
        return Taxonomy(cats, self.remits)


def _is_slug(code: str) -> bool:
    parts = code.split("-")
    return bool(code) and all(p and p.isascii() and p.isalnum() and p.islower() for p in parts)


@cache
def default_taxonomy() -> Taxonomy:
    """Return the bundled taxonomy (police.uk crime categories, ASB types, environment)."""
    text = resources.files("survey_schemas").joinpath("data/taxonomy.json").read_text("utf-8")
    doc = json.loads(text)
    cats = {c["code"]: Category(**c) for c in doc["categories"]}
    return Taxonomy(cats, doc["remits"])
