"""Import an XLSForm (as written for ODK/KoboToolbox) as a doorstep survey definition.

pyxform reads the workbook; this module maps what doorstep can carry and refuses the rest by
name and sheet row, so no question or rule is ever dropped silently. The mapping is documented
in docs/xlsform.md.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pyxform.errors import PyXFormError
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.xls2json import parse_file_to_json
from pyxform.xls2json_backends import get_xlsform

from .definition import SurveyError, load_survey
from .model import METHODS, QID
from .xlsform_expr import ExprError, to_condition, to_constraint
from .xlsform_languages import PURPOSE_PLACEHOLDER, Localiser

__all__ = ["PURPOSE_PLACEHOLDER", "XLSFormError", "convert_xlsform"]

NOTE_TYPES = frozenset({"note", "q note", "add note prompt"})
CALCULATE_TYPES = frozenset({"calculate", "q calculate", "add calculate prompt", "hidden"})
_EXTERNAL = re.compile(r"\.(csv|xml|geojson)$|\$\{", re.IGNORECASE)
_INPUT_TYPES = {"string": ("text", False), "int": ("number", True), "decimal": ("number", False),
                "date": ("date", False)}  # fmt: skip
_IGNORED_COLUMNS = {
    "default": "default answers are not carried",
    "jr:requiredMsg": "custom 'required' messages are not carried",
    "readonly": "read-only is not carried",
    "guidance_hint": "guidance hints are not carried",
    "media": "label images, audio and video are not carried",
}


class XLSFormError(ValueError):
    """The XLSForm cannot be imported; ``problems`` holds one message per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def convert_xlsform(
    path: str | Path,
    survey_id: str | None = None,
    version: int | None = None,
    *,
    methods: Iterable[str] = ("doorstep",),
    language: str = "en",
    warnings: list[str] | None = None,
) -> dict[str, Any]:
    """Convert an XLSForm to a doorstep survey definition that passes ``load_survey``.

    ``language`` is the code for label columns that name no language; ``warnings`` (if given)
    receives what was dropped or copied on the way. Raises :class:`XLSFormError` otherwise.
    """
    path = Path(path)
    check_workbook_size(path)
    try:
        sheets = get_xlsform(str(path))
        form = parse_file_to_json(str(path), warnings=[])
    except PyXFormError as exc:
        raise XLSFormError([f"{path.name}: not a readable XLSForm: {exc}"]) from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise XLSFormError([f"{path.name}: cannot read the workbook: {exc}"]) from None
    conv = _Converter(path.name, sheets, language)
    definition = conv.convert(form, survey_id, version, list(methods))
    if warnings is not None:
        warnings.extend(f"{path.name}: {w}" for w in conv.warnings)
    if conv.problems:
        raise XLSFormError([f"{path.name}: {p}" for p in conv.problems])
    try:
        load_survey(definition)
    except SurveyError as exc:
        raise XLSFormError([f"{path.name}: {p}" for p in exc.problems]) from None
    return definition


#: What an XLSForm may hold before pyxform reads it: its time grows with its rows (a 92 KB
#: workbook of a few thousand rows once held a request for 55 s), and an .xlsx is a zip that
#: may inflate far beyond its size. A doorstep survey has tens of questions, not thousands.
MAX_WORKBOOK_BYTES = 4 * 1024 * 1024  # unzipped, all parts
MAX_SHEET_ROWS = 1000  # rows holding a value, in any one sheet
MAX_CELLS = 20000  # cells holding a value, in all sheets
MAX_CELL_CHARS = 4000


def check_workbook_size(path: Path) -> None:
    """Refuse (:class:`XLSFormError`) a workbook beyond the limits above, reading it as a stream
    and stopping at the first limit passed, so the check itself takes bounded time."""
    name = path.name
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                if sum(i.file_size for i in z.infolist()) > MAX_WORKBOOK_BYTES:
                    raise XLSFormError([f"{name}: the workbook unzips to more than "
                                        f"{MAX_WORKBOOK_BYTES // 1024 // 1024} MB"])  # fmt: skip
            sheets = _xlsx_rows(path)
        else:
            sheets = _xls_rows(path)
        cells = 0
        for sheet, rows in sheets:
            count = 0
            for row in rows:
                values = [v for v in row if v is not None and v != ""]
                if not values:
                    continue
                count, cells = count + 1, cells + len(values)
                if count > MAX_SHEET_ROWS:
                    raise XLSFormError([f"{name}: sheet {sheet!r} has more than "
                                        f"{MAX_SHEET_ROWS} rows"])  # fmt: skip
                if cells > MAX_CELLS:
                    raise XLSFormError([f"{name}: the workbook has more than {MAX_CELLS} cells"])
                if any(isinstance(v, str) and len(v) > MAX_CELL_CHARS for v in values):
                    raise XLSFormError([f"{name}: sheet {sheet!r} row {count} has a cell "
                                        f"longer than {MAX_CELL_CHARS} characters"])  # fmt: skip
    except XLSFormError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure: not a readable workbook
        raise XLSFormError([f"{name}: cannot read the workbook: {exc}"]) from None


def _xlsx_rows(path: Path) -> Iterable[tuple[str, Iterable[tuple[Any, ...]]]]:
    import openpyxl  # pyxform's own reader of .xlsx

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # a stated size of a million rows is not read as such
            yield sheet.title, sheet.iter_rows(values_only=True)
    finally:
        book.close()


def _xls_rows(path: Path) -> Iterable[tuple[str, Iterable[tuple[Any, ...]]]]:
    import xlrd  # pyxform's own reader of .xls

    book = xlrd.open_workbook(str(path), on_demand=True)
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            yield sheet.name, (tuple(sheet.row_values(r)) for r in range(sheet.nrows))
    finally:
        book.release_resources()


class _Converter:
    """Walk pyxform's JSON tree once, collecting questions, problems and warnings."""

    def __init__(self, source: str, sheets: Any, language: str):
        self.source = source
        self.language = language
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.questions: list[dict[str, Any]] = []
        self.kinds: dict[str, str] = {}  # XLSForm name -> doorstep type of carried questions
        self.ids: dict[str, str] = {}  # XLSForm name -> doorstep id
        self.rows: dict[str, deque[int]] = defaultdict(deque)
        self.sheet_types: dict[int, str] = {}
        self.last_row = 1
        for number, row in enumerate(sheets.survey or [], start=2):
            if row.get("name"):
                self.rows[str(row["name"]).strip()].append(number)
                self.sheet_types[number] = str(row.get("type", "")).strip()
        if sheets.entities:
            self.problems.append("entities sheet: ODK entities cannot be carried")

    def convert(
        self,
        form: Mapping[str, Any],
        survey_id: str | None,
        version: int | None,
        methods: list[str],
    ) -> dict[str, Any]:
        """Return the definition (texts still keyed by XLSForm language) and record problems."""
        self.walk(form.get("children", []), [])
        bad = [m for m in methods if m not in METHODS]
        if bad:
            self.problems.append(f"unknown method {bad[0]!r} (known: {', '.join(METHODS)})")
        definition: dict[str, Any] = {
            "id": survey_id or _slug(str(form.get("id_string") or Path(self.source).stem)),
            "version": version if version is not None else self._version(form.get("version")),
            "title": {"default": str(form.get("title") or Path(self.source).stem)},
            "purpose": {},
            "languages": [],
            "methods": methods,
            "questions": self.questions,
        }
        if not self.questions and not self.problems:
            self.problems.append("the form has no question doorstep can carry")
        localiser = Localiser(self.language, form.get("default_language"))
        extension = localiser.apply(definition, self.problems, self.warnings)
        definition["x-xlsform"] = {"source": self.source, "form_id": form.get("id_string"),
                                   "purpose_placeholder": True, **extension}  # fmt: skip
        self.warnings.append("purpose is a placeholder: write it before the survey is used")
        return definition

    def _version(self, raw: Any) -> int:
        """Read the settings version as a whole number, recording a problem otherwise."""
        if raw in (None, ""):
            return 1
        text = str(raw).strip()
        if not text.isdigit() or int(text) < 1:
            self.problems.append(f"settings version {text!r} is not a whole number; use --version")
            return 1
        return int(text)

    def where(self, element: Mapping[str, Any]) -> str:
        """Return "survey row N, 'name'" for the next element of that name, for messages."""
        name = str(element.get("name", ""))
        rows = self.rows.get(name)
        if rows:
            self.last_row = rows.popleft()
            return f"survey row {self.last_row}, {name!r}"
        return f"survey row {self.last_row} (added by pyxform), {name!r}"

    def walk(self, children: Iterable[Mapping[str, Any]], conds: list[dict[str, Any]]) -> None:
        """Carry each element in order, flattening groups under their conditions."""
        children = list(children)
        # pyxform makes a calculate of its own for a repeat_count; the repeat itself is refused.
        counts = {r.get("control", {}).get("jr:count", "") for r in children}
        for e in children:
            kind = e.get("type")
            if (
                kind == "calculate"
                and f"${{{e.get('name')}}}" in counts
                and not self.rows.get(str(e.get("name")))
            ):
                continue
            if kind == "group" and e.get("name") == "meta" and e.get("control", {}).get("bodyless"):
                self.meta(e.get("children", []), conds)
            elif kind == "group":
                where = self.where(e)
                inner = list(conds)
                relevant = e.get("bind", {}).get("relevant")
                if relevant:
                    cond = self.condition(relevant, where)
                    if cond is not None:
                        inner.append(cond)
                if e.get("label"):
                    self.warnings.append(f"{where}: group flattened; its label is not carried")
                self.walk(e.get("children", []), inner)
            elif kind == "repeat":
                self.problems.append(
                    f"{self.where(e)}: repeat cannot be carried: a doorstep response holds one "
                    "answer per question"
                )
            else:
                self.question(e, conds)

    def meta(self, children: Iterable[Mapping[str, Any]], conds: list[dict[str, Any]]) -> None:
        """Walk pyxform's meta group, skipping what pyxform added by itself."""
        for e in children:
            # pyxform adds meta/instanceID to every form; doorstep gives each response a UUID.
            if e.get("name") == "instanceID":
                continue
            if e.get("name") == "instanceName" and not self.rows.get("instanceName"):
                self.warnings.append("settings instance_name is not carried")
                continue
            self.walk([e], conds)

    def condition(self, text: str, where: str) -> dict[str, Any] | None:
        """Translate a relevant expression, recording a problem when it cannot be carried."""
        try:
            cond = to_condition(str(text), self.kinds.get)
        except ExprError as exc:
            self.problems.append(f"{where}: relevant {text!r} cannot be carried: {exc}")
            return None
        return _rename(cond, self.ids) if cond is not None else None

    def question(self, e: Mapping[str, Any], conds: list[dict[str, Any]]) -> None:
        """Carry one question, or record why it is dropped or refused."""
        name, where = str(e.get("name", "")), self.where(e)
        refusal, mapped = _classify(str(e.get("type", "")))
        if refusal == "note":
            self.warnings.append(f"{where}: note dropped (a note is not a question)")
            return
        if refusal == "metadata":
            self.warnings.append(
                f"{where}: metadata {e.get('type')!r} dropped (doorstep records when and on "
                "which device a response was collected itself)"
            )
            return
        if refusal:
            # Name the type as the author wrote it (pyxform renames e.g. image to photo).
            written = self.sheet_types.get(self.last_row, "")
            kind = str(e.get("type", ""))
            if written and not where.endswith("(added by pyxform)") and kind in refusal:
                refusal = refusal.replace(kind, written, 1)
            self.problems.append(f"{where}: {refusal}")
            return
        qtype, integer = mapped
        bind = e.get("bind", {})
        for key, construct in (("choice_filter", "choice_filter"), ("trigger", "trigger")):
            if e.get(key):
                self.problems.append(f"{where}: {construct} cannot be carried")
        if bind.get("calculate"):
            self.problems.append(f"{where}: calculation cannot be carried")
        for key, why in _IGNORED_COLUMNS.items():
            if e.get(key) or bind.get(key):
                self.warnings.append(f"{where}: {why}")
        qid = name if QID.match(name) else _safe_id(name)
        if qid != name:
            self.warnings.append(f"{where}: renamed to {qid!r} (doorstep ids are plain names)")
        if qid in self.ids.values():
            self.problems.append(f"{where}: a second question named {qid!r}")
        q: dict[str, Any] = {"id": qid, "type": qtype}
        q["label"] = _texts(e.get("label")) or {"default": name}
        if any("${" in text for text in q["label"].values()):
            self.warnings.append(f"{where}: the label shows ${{…}} as written (not filled in)")
        if e.get("hint"):
            q["hint"] = _texts(e["hint"])
        q["required"] = self.required(bind.get("required"), where)
        own = self.condition(bind["relevant"], where) if bind.get("relevant") else None
        q.update(_combine(conds + ([own] if own else [])))
        if integer:
            q["integer"] = True
        if qtype == "scale":
            q.update(_range_to_scale(e, where, self.problems))
        if qtype in ("single_choice", "multiple_choice"):
            q["choices"] = self.choices(e, where)
        if bind.get("constraint"):
            self.constraint(q, bind, where)
        self.questions.append(q)
        self.kinds[name] = qtype
        self.ids[name] = qid

    def required(self, raw: Any, where: str) -> bool:
        """Read a required cell: yes or no, never an expression."""
        text = str(raw or "").strip().lower()
        if text in ("", "no", "false", "false()", "0"):
            return False
        if text in ("yes", "true", "true()", "1"):
            return True
        self.problems.append(f"{where}: required {raw!r} cannot be carried (only yes or no)")
        return False

    def constraint(self, q: dict[str, Any], bind: Mapping[str, Any], where: str) -> None:
        """Add the constraint's fields (and message) to ``q``, or record a problem."""
        text = str(bind["constraint"])
        try:
            fields = to_constraint(text, q["type"], bool(q.get("integer")))
        except ExprError as exc:
            self.problems.append(f"{where}: constraint {text!r} cannot be carried: {exc}")
            return
        q.update(fields)
        if bind.get("jr:constraintMsg"):
            q.setdefault("constraint", {})["message"] = _texts(bind["jr:constraintMsg"])

    def choices(self, e: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
        """Return the question's choices from the choices sheet, refusing external lists."""
        itemset = str(e.get("itemset") or "")
        if not e.get("choices") or _EXTERNAL.search(itemset):
            self.problems.append(
                f"{where}: choices from {itemset or 'elsewhere'!r} cannot be carried "
                "(only a list on the choices sheet)"
            )
            return []
        out: list[dict[str, Any]] = []
        for c in e["choices"]:
            value = str(c.get("name", "")).strip()
            if any(o["value"] == value for o in out):
                self.problems.append(f"{where}: choice {value!r} listed twice")
                continue
            label = _texts(c.get("label"))
            if not label:
                self.warnings.append(f"{where}: choice {value!r} has no label; its name is used")
                label = {"default": value}
            choice: dict[str, Any] = {"value": value, "label": label}
            if c.get("category"):
                choice["category"] = str(c["category"]).strip()
            if c.get("media"):
                self.warnings.append(f"{where}: choice {value!r}: media is not carried")
            out.append(choice)
        return out


def _classify(kind: str) -> tuple[str, tuple[str, bool]]:
    """Return (refusal or "note"/"metadata" or "", (doorstep type, integer))."""
    none = ("", False)
    if kind in NOTE_TYPES:
        return "note", none
    if kind in CALCULATE_TYPES:
        return f"{kind} cannot be carried: doorstep stores only what a person answered", none
    if kind == "phone number":
        return (
            "phone number cannot be carried: contact details are personal data, which doorstep "
            "keeps apart from answers behind a consent question; add them by hand",
            none,
        )
    spec = QUESTION_TYPE_DICT.get(kind)
    if spec is None:
        return f"type {kind!r} cannot be carried", none
    tag = spec.get("control", {}).get("tag")
    bind_type = spec.get("bind", {}).get("type")
    if kind == "select one external":
        return f"{kind} cannot be carried: doorstep does not read external data", none
    if tag == "select1":
        return "", ("single_choice", False)
    if tag == "select":
        return "", ("multiple_choice", False)
    if tag == "input" and bind_type in _INPUT_TYPES:
        return "", _INPUT_TYPES[bind_type]
    if tag == "range":
        return "", ("scale", False)
    if (
        tag is None
        and bind_type in ("dateTime", "date", "string", "binary")
        and kind
        not in (
            "xml-external",
            "csv-external",
        )
    ):
        return "metadata", none
    if tag == "upload" or bind_type == "binary":
        reason = "doorstep does not store photos, recordings or files"
    elif bind_type in ("geopoint", "geotrace", "geoshape"):
        reason = "doorstep records the street, not coordinates; add a street question by hand"
    elif bind_type in ("time", "dateTime"):
        reason = "doorstep keeps dates, not times"
    elif kind.endswith("-external"):
        reason = "doorstep does not read external data"
    else:
        reason = "doorstep has no such question type"
    return f"{kind} cannot be carried: {reason}", none


def _range_to_scale(e: Mapping[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    """Map a range question onto a scale (whole steps of 1, at most 11 points) or refuse it."""
    params = e.get("parameters") or {}
    try:
        lo, hi, step = (
            float(params.get(k, d)) for k, d in (("start", 1), ("end", 10), ("step", 1))
        )
    except ValueError:
        lo = hi = step = 0.0
    if step == 1 and lo == int(lo) and hi == int(hi) and 1 <= hi - lo <= 10:
        return {"min": int(lo), "max": int(hi)}
    problems.append(
        f"{where}: range cannot be carried: only whole steps of 1 over at most 11 points "
        "(a doorstep scale)"
    )
    return {}


def _texts(value: Any) -> dict[str, str]:
    """Return pyxform's text (a string or language -> string) as a dict."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items() if str(v).strip()}
    return {"default": str(value)} if value not in (None, "") else {}


def _combine(conds: list[dict[str, Any]]) -> dict[str, Any]:
    """Join group and question conditions with ``all``."""
    if not conds:
        return {}
    if len(conds) == 1:
        return {"relevant": conds[0]}
    parts: list[dict[str, Any]] = []
    for c in conds:
        parts.extend(c["all"] if set(c) == {"all"} else [c])
    return {"relevant": {"all": parts}}


def _rename(cond: Any, ids: Mapping[str, str]) -> Any:
    """Point a condition at renamed question ids."""
    if isinstance(cond, dict):
        return {k: ids.get(v, v) if k == "question" else _rename(v, ids) for k, v in cond.items()}
    if isinstance(cond, list):
        return [_rename(c, ids) for c in cond]
    return cond


def _safe_id(name: str) -> str:
    """Make an XLSForm name into a plain doorstep question id."""
    out = re.sub(r"[^A-Za-z0-9_]", "_", name)[:64]
    return out if re.match(r"[A-Za-z_]", out) else f"_{out}"[:64]


def _slug(text: str) -> str:
    """Make a form id into a lowercase survey slug."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:64]
    return slug or "imported-survey"
