"""The issue taxonomy: category codes, their nature, default provider and remit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

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

    def __iter__(self) -> Iterator[Category]:
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

    def with_remits(self, remits: Mapping[str, str]) -> Taxonomy:
        """Return a copy whose remit explanations are replaced where ``remits`` names them."""
        unknown = set(remits) - set(REMITS)
        if unknown:
            raise TaxonomyError(f"unknown remits {sorted(unknown)} (known: {list(REMITS)})")
        return Taxonomy(self.categories, {**self.remits, **remits})


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


class _ChangeSchema(Schema):
    """One category added or changed by a deployment file."""

    class Meta:
        unknown = RAISE

    code = fields.Str(required=True)
    label = fields.Raw()
    nature = fields.Str(validate=validate.OneOf(NATURES))
    provider = fields.Str(validate=validate.Length(min=1, max=100))
    remit = fields.Str(validate=validate.OneOf(REMITS))
    group = fields.Str(validate=validate.Length(min=1, max=40))


class _DeploymentSchema(Schema):
    """A deployment's taxonomy file: ``{"categories": [...], "remits": {...}}``."""

    class Meta:
        unknown = RAISE

    categories = fields.List(fields.Nested(_ChangeSchema), load_default=list)
    remits = fields.Dict(keys=fields.Str(), values=fields.Str(), load_default=dict)


def load_taxonomy(path: str | Path | None = None, base: Taxonomy | None = None) -> Taxonomy:
    """Return ``base`` (default: the bundled taxonomy) extended by a deployment's JSON file.

    The file adds categories, relabels them (a label may be a string or a translations
    object) or changes their provider, nature or remit, and may reword the remit texts.
    Without a path the base comes back unchanged.
    """
    base = base or default_taxonomy()
    if path is None:
        return base
    try:
        doc = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise TaxonomyError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaxonomyError(f"{path}: not valid JSON: {exc}") from None
    try:
        loaded = _DeploymentSchema().load(doc if isinstance(doc, dict) else {"_": doc})
    except ValidationError as exc:
        raise TaxonomyError(f"{path}: {exc.messages}") from None
    for change in loaded["categories"]:
        label = change.get("label")
        if label is not None and not _is_text(label):
            raise TaxonomyError(f"{path}: category {change['code']}: label must be text")
    try:
        return base.extended(loaded["categories"]).with_remits(loaded["remits"])
    except TaxonomyError as exc:
        raise TaxonomyError(f"{path}: {exc}") from None


def _is_text(label: Any) -> bool:
    if isinstance(label, str):
        return bool(label.strip())
    return isinstance(label, dict) and all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in label.items()
    )
