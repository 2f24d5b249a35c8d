"""The OpenRosa side of the wire (DESIGN: OpenRosa contract): instances in, documents out.

ODK Collect, Enketo and ODK Web Forms send each filled form as an XForm instance (the
``xml_submission_file`` part of a submission). :func:`parse_instance` reads one into a response
as a device would push it; :func:`build_instance` writes the instance such a client would send
for a response. The server's OpenRosa endpoints also answer with :func:`openrosa_response`,
list forms with :func:`form_list` and hand phones :func:`collect_settings`. No HTTP here: the
server maps :class:`InstanceError` codes to status codes. The mapping is in docs/odk-collect.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from survey_schemas import Question, Survey
from survey_schemas.dates import OUT_OF_RANGE, day_in_range
from survey_schemas.xform import (
    AREA_FIELD,
    META_FIELDS,
    METHOD_FIELD,
    NO,
    ROOT,
    YES,
    number_text,
)

__all__ = [
    "INSTANCE_ERROR_CODES",
    "MAX_ELEMENTS",
    "MAX_INSTANCE_BYTES",
    "FormListItem",
    "InstanceError",
    "build_instance",
    "collect_settings",
    "form_hash",
    "form_list",
    "openrosa_response",
    "parse_instance",
    "read_collect_settings",
    "summary",
]

RESPONSE_NS = "http://openrosa.org/http/response"
FORM_LIST_NS = "http://openrosa.org/xforms/xformsList"
ORX_NS = "http://openrosa.org/xforms"
ENCRYPTED_NS = "http://www.opendatakit.org/xforms/encrypted"
INSTANCE_ERROR_CODES = (
    "too_large",  # more bytes or elements than any doorstep instance has (413)
    "malformed_xml",  # not well-formed XML
    "forbidden_xml",  # a DTD or entity declaration (XML bombs, external entities)
    "encrypted_submission",  # an encrypted envelope: doorstep forms are never encrypted
    "not_an_instance",  # no id attribute on the root element naming a form
    "unknown_survey",  # no such survey and version (for this device)
    "invalid_instance",  # field problems; ``errors`` names each field
)
# OpenRosa metadata that clients may add to meta; read no further (doorstep records its own).
_OTHER_META = frozenset(
    {"instanceName", "deviceID", "userID", "username", "email", "phoneNumber", "audit"}
)
_UUID = re.compile(
    r"[0-9a-fA-F]{8}(-?)[0-9a-fA-F]{4}\1[0-9a-fA-F]{4}\1[0-9a-fA-F]{4}\1[0-9a-fA-F]{12}"
)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_XML_UNSAFE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACE = " \t\n\r"  # XML whitespace, all that is stripped from a value that is not free text
# No doorstep instance comes near these (a question is one element; a text answer at most
# 5,000 characters); an XML parse of more costs seconds of a server thread, so it is refused.
MAX_INSTANCE_BYTES = 2_000_000
MAX_ELEMENTS = 10_000
_MAX_ERROR_FIELDS = 50  # fields named in an error; the rest are summed up in one line
_SHOWN_ERRORS = 5  # problems spelled out in an error's message (``errors`` holds them all)


class InstanceError(ValueError):
    """A submitted instance cannot be read as a response.

    ``code`` is one of :data:`INSTANCE_ERROR_CODES`; ``message`` is one sentence a person can act
    on (Collect shows it); ``errors`` maps fields (``area``, ``meta/instanceID``,
    ``answers.<question id>``, an unknown element's name) to problems, as push does.
    """

    def __init__(self, code: str, message: str, errors: Mapping[str, list[str]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors: dict[str, list[str]] = dict(errors or {})


def parse_instance(
    data: bytes | str, lookup: Callable[[str, int], Survey | None]
) -> dict[str, Any]:
    """Read a submitted XForm instance into a response as the push wire carries it.

    ``lookup(survey_id, version)`` returns the survey version or None (a registry's ``find``,
    or the server's scoped finder). The result has ``id`` (from ``meta/instanceID``),
    ``survey_id``, ``survey_version``, ``area``, ``method``, ``collected_at`` (``meta/timeEnd``,
    else ``meta/timeStart``), ``answers`` (typed back, unanswered ones left out), ``personal``
    (answers to personal questions, when there are any), ``consent`` (the first consent answer,
    as the collector sets it) and ``replaces`` (from ``meta/deprecatedID``). Answers are typed,
    not judged: :func:`survey_schemas.check_response` says whether they are valid. Raises
    :class:`InstanceError`.
    """
    root = _parse_xml(data)
    if root.get("encrypted") == "yes" or _namespace(root.tag) == ENCRYPTED_NS:
        raise InstanceError(
            "encrypted_submission",
            "This is an encrypted submission; doorstep forms are not encrypted, so it cannot "
            "have come from one of them.",
        )
    survey_id = root.get("id")
    if not survey_id:
        raise InstanceError(
            "not_an_instance",
            f"The root element <{_local(root.tag)}> has no id attribute naming the form.",
        )
    version_text = root.get("version", root.get(f"{{{ORX_NS}}}version"))
    version = _version(version_text)
    if version is None:
        shown = "no version" if version_text is None else f"version {version_text!r}"
        raise InstanceError(
            "invalid_instance",
            f"Form {survey_id!r} has {shown}; doorstep forms carry a whole-number version.",
            {"survey_version": [f"{shown}: must be a whole number such as 1"]},
        )
    survey = lookup(survey_id, version)
    if survey is None:
        raise InstanceError(
            "unknown_survey",
            f"Unknown form {survey_id!r} version {version}: get the current blank form and "
            "fill it again.",
            {"survey_version": [f"unknown survey {survey_id!r} version {version}"]},
        )
    return _Reader(survey).read(root)


class _Reader:
    """Read the fields of one instance of ``survey``, collecting every problem."""

    def __init__(self, survey: Survey):
        self.survey = survey
        self.errors: dict[str, list[str]] = {}

    def problem(self, field: str, message: str) -> None:
        if field not in self.errors and len(self.errors) >= _MAX_ERROR_FIELDS:
            # A hostile instance of 10,000 odd elements gets a short answer, not 10,000 lines.
            self.errors["_"] = ["more problems than are listed here"]
            return
        messages = self.errors.setdefault(field, [])
        if message not in messages:
            messages.append(message)

    def read(self, root: Element) -> dict[str, Any]:
        s = self.survey
        fields = self.children(root, "", {AREA_FIELD, METHOD_FIELD, "meta", *s.by_id})
        meta_el = fields.get("meta")
        meta = self.children(meta_el, "meta/", {*META_FIELDS, *_OTHER_META}) if meta_el else {}
        out: dict[str, Any] = {
            "id": self.uuid_field(meta, "instanceID", required=True),
            "survey_id": s.id,
            "survey_version": s.version,
            "area": self.plain(fields, AREA_FIELD),
            "method": self.plain(fields, METHOD_FIELD),
            "collected_at": self.collected_at(meta),
        }
        answers: dict[str, Any] = {}
        personal: dict[str, Any] = {}
        for q in s.questions:
            element = fields.get(q.id)
            if element is None or not self.leaf(element, f"answers.{q.id}"):
                continue
            value = self.answer(q, element.text or "")
            if value is not None:
                (personal if q.personal else answers)[q.id] = value
        out["answers"] = answers
        if personal:
            out["personal"] = personal
        consent = _consent(s, answers)
        if consent is not None:
            out["consent"] = consent
        replaces = self.uuid_field(meta, "deprecatedID", required=False)
        if replaces is not None:
            out["replaces"] = replaces
        if self.errors:
            raise InstanceError("invalid_instance", summary(self.errors), self.errors)
        return out

    def children(self, parent: Element, prefix: str, known: set[str]) -> dict[str, Element]:
        """Return the child elements by local name, noting unknown and repeated ones."""
        found: dict[str, Element] = {}
        for child in parent:
            name = _local(child.tag)
            if name not in known:
                self.problem(f"{prefix}{name}", "not a field of this form")
            elif name in found:
                self.problem(f"{prefix}{name}", "sent twice")
            else:
                found[name] = child
        return found

    def leaf(self, element: Element, field: str) -> bool:
        """Return whether ``element`` holds only text (a value), noting it when it does not."""
        if len(element):
            self.problem(field, "must hold a value, not further elements")
            return False
        return True

    def plain(self, fields: Mapping[str, Element], name: str) -> str | None:
        """Return a required one-word field (area, method), or note that it is missing."""
        element = fields.get(name)
        text = (element.text or "").strip(_SPACE) if element is not None else ""
        if element is not None and not self.leaf(element, name):
            return None
        if not text:
            self.problem(name, "missing: the form's own field was not sent")
            return None
        return text

    def uuid_field(self, meta: Mapping[str, Element], name: str, *, required: bool) -> str | None:
        field = f"meta/{name}"
        element = meta.get(name)
        text = (element.text or "").strip(_SPACE) if element is not None else ""
        if element is not None and not self.leaf(element, field):
            return None
        if not text:
            if required:
                self.problem(field, "missing: every instance needs uuid:<uuid>")
            return None
        if not text.startswith("uuid:") or not _UUID.fullmatch(text[5:]):
            self.problem(field, f"{_short(text)} is not uuid:<uuid>")
            return None
        return str(uuid.UUID(text[5:]))

    def collected_at(self, meta: Mapping[str, Element]) -> str | None:
        """Return when the form was finalised (timeEnd, else timeStart) as ISO 8601 text."""
        for name in ("timeEnd", "timeStart"):
            element = meta.get(name)
            if element is None or not self.leaf(element, f"meta/{name}"):
                continue
            text = (element.text or "").strip(_SPACE)
            if not text:
                continue
            try:
                when = datetime.fromisoformat(text)
            except ValueError:
                self.problem(f"meta/{name}", f"{_short(text)} is not a date and time")
                return None
            if when.utcoffset() is None:
                self.problem(f"meta/{name}", f"{_short(text)} has no UTC offset")
                return None
            if not day_in_range(when):
                self.problem(f"meta/{name}", f"{_short(text)} {OUT_OF_RANGE}")
                return None
            return when.isoformat()
        self.problem("meta/timeEnd", "missing: doorstep needs when the form was filled")
        return None

    def answer(self, q: Question, text: str) -> Any:
        """Return the typed answer to ``q`` (None: unanswered), noting a value of the wrong kind."""
        field = f"{'personal' if q.personal else 'answers'}.{q.id}"
        if q.type in ("text", "street"):
            return text or None  # free text is kept exactly as typed
        word = text.strip(_SPACE)
        if not word:
            return None
        if q.type == "multiple_choice":
            return word.split()
        if q.type == "single_choice":
            return word
        if q.type in ("yes_no", "consent"):
            if word in (YES, NO):
                return word == YES
            self.problem(field, f"{_short(word)} is not {YES} or {NO}")
        elif q.type in ("number", "scale"):
            if _INTEGER.fullmatch(word):
                return int(word)
            if not q.integer and _DECIMAL.fullmatch(word):
                return float(word)  # written with a decimal point: a float, read back exactly
            self.problem(field, f"{_short(word)} is not a {'whole ' if q.integer else ''}number")
        elif q.type == "date":
            if _is_date(word):
                return word
            self.problem(field, f"{_short(word)} is not a date written YYYY-MM-DD")
        return None


def build_instance(survey: Survey, response: Mapping[str, Any]) -> bytes:
    """Write the instance an ODK client sends for ``response`` (a wire dict) of ``survey``.

    The inverse of :func:`parse_instance`: every question appears, empty when unanswered;
    ``collected_at`` fills both ``timeStart`` and ``timeEnd``. Raises ValueError for a value
    that XML cannot carry (a control character in a text answer).
    """
    given = {**response.get("answers", {}), **(response.get("personal") or {})}
    parts = [
        f"<?xml version='1.0' encoding='UTF-8'?><{ROOT} id={_attr(survey.id)} "
        f"version={_attr(str(survey.version))}>",
        _element(AREA_FIELD, response["area"]),
        _element(METHOD_FIELD, response["method"]),
    ]
    for q in survey.questions:
        parts.append(_element(q.id, _value_text(given.get(q.id), q.integer)))
    when = response["collected_at"]
    when = when.isoformat() if isinstance(when, datetime) else str(when)
    replaces = response.get("replaces")
    parts += [
        "<meta>",
        _element("instanceID", f"uuid:{response['id']}"),
        _element("deprecatedID", f"uuid:{replaces}" if replaces else ""),
        _element("timeStart", when),
        _element("timeEnd", when),
        f"</meta></{ROOT}>",
    ]
    return "".join(parts).encode("utf-8")


def openrosa_response(message: str, nature: str = "submit_success") -> bytes:
    """Return the OpenRosa response body: ``<OpenRosaResponse>`` with one ``<message>``."""
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><OpenRosaResponse xmlns={_attr(RESPONSE_NS)}>"
        f"<message nature={_attr(nature)}>{_escape(message)}</message></OpenRosaResponse>"
    ).encode()


@dataclass(frozen=True)
class FormListItem:
    """One ``<xform>`` of the form list; ``hash`` is :func:`form_hash` of the served bytes."""

    form_id: str
    name: str
    version: str
    hash: str
    download_url: str

    @classmethod
    def of(cls, survey: Survey, xform: bytes, download_url: str) -> FormListItem:
        """Describe the XForm ``xform`` of ``survey``, served at ``download_url``."""
        name = survey.title.get(survey.languages[0]) or survey.id
        return cls(survey.id, name, str(survey.version), form_hash(xform), download_url)


def form_hash(xform: bytes) -> str:
    """Return the form list's hash of a form: ``md5:`` and the md5 of its exact bytes."""
    return "md5:" + hashlib.md5(xform, usedforsecurity=False).hexdigest()


def form_list(items: Iterable[FormListItem]) -> bytes:
    """Return the OpenRosa form list document (``<xforms xmlns=…/xformsList>``)."""
    parts = [f"<?xml version='1.0' encoding='UTF-8'?><xforms xmlns={_attr(FORM_LIST_NS)}>"]
    for item in items:
        parts.append(
            "<xform>"
            + _element("formID", item.form_id)
            + _element("name", item.name)
            + _element("version", item.version)
            + _element("hash", item.hash)
            + _element("downloadUrl", item.download_url)
            + "</xform>"
        )
    parts.append("</xforms>")
    return "".join(parts).encode("utf-8")


def collect_settings(
    server_url: str,
    project_name: str,
    *,
    admin: Mapping[str, Any] | None = None,
    autosend: str = "wifi_and_cellular",
    delete_after_send: bool = True,
) -> str:
    """Return the text of ODK Collect's settings QR code: base64 of zlib-compressed JSON.

    Collect's keys: ``general.protocol`` ``odk_default`` (an OpenRosa server),
    ``general.server_url``, ``general.form_update_mode`` ``match_exactly`` (the phone keeps
    exactly the forms the server lists), ``general.autosend`` and ``general.delete_send`` (send
    finalised forms by themselves, then delete them from the phone, so contact details do not
    stay on it); ``admin`` (protected settings; by default ``change_server`` is off, since the
    URL holds the device's token); ``project.name``.
    """
    settings = {
        "general": {
            "protocol": "odk_default",
            "server_url": server_url,
            "form_update_mode": "match_exactly",
            "autosend": autosend,
            "delete_send": delete_after_send,
        },
        "admin": dict(admin) if admin is not None else {"change_server": False},
        "project": {"name": project_name},
    }
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def read_collect_settings(text: str) -> dict[str, Any]:
    """Return the settings a Collect QR text holds (the inverse of :func:`collect_settings`)."""
    return json.loads(zlib.decompress(base64.b64decode(text, validate=True)).decode("utf-8"))


def _parse_xml(data: bytes | str) -> Element:
    """Parse untrusted XML: no DTD, so no entities, external or expanding, ever.

    Bounded first: more than :data:`MAX_INSTANCE_BYTES` or a tag count over
    :data:`MAX_ELEMENTS` elements' worth is ``too_large`` before any parsing.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_INSTANCE_BYTES or raw.count(b"<") > 2 * MAX_ELEMENTS:
        raise InstanceError(
            "too_large",
            f"The form is larger than any doorstep form can be (at most {MAX_INSTANCE_BYTES:,} "
            f"bytes and {MAX_ELEMENTS:,} elements).",
        )
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InstanceError(
            "forbidden_xml",
            f"The instance declares a DTD or entities, which doorstep refuses ({exc}).",
        ) from None
    except ParseError as exc:
        raise InstanceError(
            "malformed_xml", f"The instance is not well-formed XML: {exc}."
        ) from None


def _version(text: str | None) -> int | None:
    if text is None or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value >= 1 else None


def _consent(survey: Survey, answers: Mapping[str, Any]) -> bool | None:
    """Return the answer to the survey's first consent question, as the collector records it."""
    for q in survey.questions:
        if q.type == "consent" and not q.personal:
            value = answers.get(q.id)
            return value if isinstance(value, bool) else None
    return None


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def summary(errors: Mapping[str, list[str]]) -> str:
    """Return field problems as the one sentence Collect shows (the first few spelled out)."""
    shown = [f"{field}: {'; '.join(msgs)}" for field, msgs in list(errors.items())[:_SHOWN_ERRORS]]
    more = len(errors) - len(shown)
    tail = f" (and {more} more)" if more > 0 else ""
    return "This form cannot be accepted: " + " | ".join(shown) + tail + "."


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _short(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def _value_text(value: Any, integer: bool = False) -> str:
    """Write an answer as an instance holds it (empty when unanswered)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int | float):
        return number_text(int(value) if integer else value)
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def _escape(text: str) -> str:
    """Escape text for element content, keeping it exact: CR would become LF if written raw."""
    return (
        _XML_UNSAFE.sub("\ufffd", text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", "&#13;")
    )


def _element(name: str, text: str) -> str:
    if _XML_UNSAFE.search(text):
        raise ValueError(f"{name}: the value holds a character that XML cannot carry")
    return f"<{name}>{_escape(text)}</{name}>" if text else f"<{name}/>"


def _attr(text: str) -> str:
    return '"' + _escape(text).replace('"', "&quot;") + '"'
