"""A registry of released survey versions, keyed by ``(id, version)``.

Bundled surveys are shipped one file per version, ``surveys/<id>/v<version>.json``, so a new
version is a new file beside the released ones, which are never edited.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .definition import SurveyError, load_survey, load_survey_file
from .model import Survey
from .taxonomy import Taxonomy


class VersionConflict(SurveyError):
    """A released version was offered again with different content."""


class UnknownSurvey(LookupError):
    """No survey with that id (and version) is known."""


class SurveyRegistry:
    """Released survey versions; a released version is never replaced."""

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        self._taxonomy = taxonomy
        self._surveys: dict[tuple[str, int], Survey] = {}

    def __len__(self) -> int:
        return len(self._surveys)

    def __iter__(self) -> Iterator[Survey]:
        return iter(sorted(self._surveys.values(), key=lambda s: s.key))

    def __contains__(self, key: object) -> bool:
        return key in self._surveys

    def add(self, survey: Survey | dict[str, Any]) -> bool:
        """Register a version; return False if the same content was already there.

        Raises :class:`VersionConflict` if that version exists with other content.
        """
        if not isinstance(survey, Survey):
            survey = load_survey(survey, self._taxonomy)
        existing = self._surveys.get(survey.key)
        if existing is not None:
            if existing.content_hash == survey.content_hash:
                return False
            raise VersionConflict(
                [
                    f"{survey.id} v{survey.version}: this version is already released with "
                    "different content; publish the change as a new version"
                ]
            )
        self._surveys[survey.key] = survey
        return True

    def load_dir(self, path: str | Path) -> list[Survey]:
        """Load every ``*.json`` definition in a directory and its subfolders; return those added.

        Problems name each file by its path inside the directory.
        """
        root = Path(path)
        added = []
        problems: list[str] = []
        for file in definition_files(root):
            try:
                survey = load_survey_file(file, self._taxonomy)
                if self.add(survey):
                    added.append(survey)
            except SurveyError as exc:
                name = file.relative_to(root).as_posix()
                problems.extend(f"{name}: {p}" for p in exc.problems)
        if problems:
            raise SurveyError(problems)
        return added

    def get(self, survey_id: str, version: int) -> Survey:
        """Return one version, or raise :class:`UnknownSurvey`."""
        try:
            return self._surveys[(survey_id, version)]
        except (KeyError, TypeError):
            raise UnknownSurvey(f"unknown survey {survey_id!r} version {version!r}") from None

    def find(self, survey_id: Any, version: Any) -> Survey | None:
        """Return one version, or None."""
        try:
            return self._surveys.get((survey_id, version))
        except TypeError:  # unhashable input from the wire
            return None

    def latest(self, survey_id: str) -> Survey:
        """Return the highest version of a survey, or raise :class:`UnknownSurvey`."""
        versions = [s for (sid, _), s in self._surveys.items() if sid == survey_id]
        if not versions:
            raise UnknownSurvey(f"unknown survey {survey_id!r}")
        return max(versions, key=lambda s: s.version)

    def latest_all(self) -> list[Survey]:
        """Return the highest version of every survey, ordered by id."""
        ids = sorted({sid for sid, _ in self._surveys})
        return [self.latest(sid) for sid in ids]


def definition_files(path: str | Path) -> list[Path]:
    """Return every ``*.json`` file in a directory and its subfolders, in path order."""
    root = Path(path)
    return sorted(root.rglob("*.json"), key=lambda f: f.relative_to(root).parts)


def bundled_dir() -> Path:
    """Return the folder of surveys shipped with doorstep (``<id>/v<version>.json``)."""
    return Path(__file__).resolve().parent / "surveys"


def bundled_files() -> list[Path]:
    """Return the file of every bundled survey version, ordered by id, then version."""

    def key(file: Path) -> tuple[str, int, str]:
        version = file.stem[1:]
        return (file.parent.name, int(version) if version.isdigit() else 0, file.name)

    return sorted(definition_files(bundled_dir()), key=key)


def bundled_registry(taxonomy: Taxonomy | None = None) -> SurveyRegistry:
    """Return a registry holding the bundled surveys."""
    reg = SurveyRegistry(taxonomy)
    reg.load_dir(bundled_dir())
    return reg
