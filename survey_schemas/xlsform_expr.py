"""XLSForm expressions (``relevant``, ``constraint``): a small tokenizer and parser, never eval.

Only the forms that doorstep's survey format can carry are translated; anything else raises
:class:`ExprError` with a sentence saying what could not be carried, so the importer can refuse
the form by name instead of dropping the rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<ref>\$\{\s*(?P<refname>[A-Za-z_][\w.\-]*)\s*\})
  | (?P<path>(?:\.\./|/)[\w.\-/]*[A-Za-z_][\w.\-]*)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<number>-?(?:\d+(?:\.\d+)?|\.\d+))
  | (?P<op>!=|<=|>=|=|<|>)
  | (?P<dot>\.(?![\w.]))
  | (?P<punct>[(),])
  | (?P<name>[A-Za-z_][\w\-:]*)
  )""",
    re.VERBOSE,
)
MAX_NESTING = 50  # well past any real form, well short of Python's recursion limit
_FLIP = {"=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


class ExprError(ValueError):
    """An expression cannot be read or cannot be carried into doorstep's format."""


@dataclass(frozen=True)
class Ref:
    """A reference to another question's answer (``${q}`` or ``../q``)."""

    name: str


@dataclass(frozen=True)
class Dot:
    """The current question's own answer (``.``)."""


@dataclass(frozen=True)
class Lit:
    """A string or number literal; ``text`` keeps its spelling (``1`` is choice value "1")."""

    text: str
    is_number: bool


@dataclass(frozen=True)
class Call:
    """A function call such as ``selected(${q}, 'v')`` or ``not(...)``."""

    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Cmp:
    """A comparison ``left op right``."""

    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Bool:
    """``and`` / ``or`` over two or more parts."""

    op: str
    parts: tuple[Any, ...]


def tokenize(text: str) -> list[tuple[str, str]]:
    """Split an expression into (kind, text) tokens."""
    tokens: list[tuple[str, str]] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExprError(f"cannot read {text[pos:].strip()!r}")
        kind = m.lastgroup or ""
        if kind == "refname":
            kind = "ref"
        value = m.group(kind)
        if kind == "ref":
            value = m.group("refname")
        elif kind == "path":
            # Groups are flattened, so ../q and /data/group/q come down to the name q.
            value = value.rstrip("/").rsplit("/", 1)[-1]
            kind = "ref"
        elif kind == "string":
            value = value[1:-1]
        tokens.append((kind, value))
        pos = m.end()
    return tokens


class _Parser:
    """Parse by recursive descent: or_expr := and_expr ('or' and_expr)*, and so on down."""

    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        """Return the next token without taking it."""
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        """Take the next token, which must be of ``kind`` (and ``value``)."""
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            want = value or kind
            got = "the end" if tok is None else repr(tok[1])
            raise ExprError(f"expected {want!r} but found {got}")
        self.pos += 1
        return tok[1]

    def is_word(self, word: str) -> bool:
        """Tell whether the next token is the bare word ``word``."""
        tok = self.peek()
        return tok is not None and tok[0] == "name" and tok[1] == word

    def parse(self) -> Any:
        """Parse the whole expression."""
        node = self.or_expr()
        if self.peek() is not None:
            raise ExprError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def or_expr(self) -> Any:
        """Parse parts joined by ``or``."""
        parts = [self.and_expr()]
        while self.is_word("or"):
            self.pos += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Bool("or", tuple(parts))

    def and_expr(self) -> Any:
        """Parse parts joined by ``and``."""
        parts = [self.comparison()]
        while self.is_word("and"):
            self.pos += 1
            parts.append(self.comparison())
        return parts[0] if len(parts) == 1 else Bool("and", tuple(parts))

    def comparison(self) -> Any:
        """Parse an atom, optionally compared with another."""
        left = self.atom()
        tok = self.peek()
        if tok is not None and tok[0] == "op":
            self.pos += 1
            return Cmp(tok[1], left, self.atom())
        return left

    def atom(self) -> Any:
        """Parse one atom, refusing nesting deep enough to exhaust the stack."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExprError(f"nested deeper than {MAX_NESTING} levels")
        try:
            return self._atom()
        finally:
            self.depth -= 1

    def _atom(self) -> Any:
        """Parse a bracketed expression, a call, a reference, ``.`` or a literal."""
        tok = self.peek()
        if tok is None:
            raise ExprError("the expression ends too soon")
        kind, value = tok
        self.pos += 1
        if kind == "punct" and value == "(":
            node = self.or_expr()
            self.take("punct", ")")
            return node
        if kind == "ref":
            return Ref(value)
        if kind == "dot":
            return Dot()
        if kind == "string":
            return Lit(value, False)
        if kind == "number":
            return Lit(value, True)
        if kind == "name" and self.peek() == ("punct", "("):
            self.pos += 1
            args: list[Any] = []
            if self.peek() != ("punct", ")"):
                args.append(self.or_expr())
                while self.peek() == ("punct", ","):
                    self.pos += 1
                    args.append(self.or_expr())
            self.take("punct", ")")
            return Call(value.replace(" ", ""), tuple(args))
        raise ExprError(f"unexpected {value!r}")


def parse(text: str) -> Any:
    """Parse an XLSForm expression into a small tree of Ref/Dot/Lit/Call/Cmp/Bool nodes."""
    return _Parser(text).parse()


# --- relevance -------------------------------------------------------------------------------

TypeOf = Callable[[str], str | None]


def to_condition(text: str, type_of: TypeOf) -> dict[str, Any] | None:
    """Translate a ``relevant`` expression into a doorstep condition (None: always relevant).

    ``type_of(name)`` gives the doorstep type of an earlier question, or None when there is none.
    """
    node = parse(text)
    if node == Call("true", ()):
        return None
    return _cond(node, type_of)


def _cond(node: Any, type_of: TypeOf) -> dict[str, Any]:
    """Translate one node of a relevant expression."""
    if isinstance(node, Bool):
        key = "all" if node.op == "and" else "any"
        parts: list[dict[str, Any]] = []
        for part in node.parts:
            sub = _cond(part, type_of)
            parts.extend(sub[key] if set(sub) == {key} else [sub])
        return {key: parts}
    if isinstance(node, Call):
        if node.name == "not" and len(node.args) == 1:
            return {"not": _cond(node.args[0], type_of)}
        if node.name == "selected" and len(node.args) == 2:
            ref, lit = node.args
            if isinstance(ref, Ref) and isinstance(lit, Lit):
                _known(ref.name, type_of)
                return {"question": ref.name, "includes": lit.text}
        raise ExprError(f"{_show(node)} has no doorstep equivalent")
    if isinstance(node, Cmp):
        return _compare(node, type_of)
    raise ExprError(f"{_show(node)} is not a condition")


def _compare(node: Cmp, type_of: TypeOf) -> dict[str, Any]:
    """Translate a comparison between an answer and a value."""
    left, op, right = node.left, node.op, node.right
    if isinstance(left, Lit):
        left, op, right = right, _FLIP[op], left
    if isinstance(left, Call) and left.name in ("string-length", "count-selected"):
        if len(left.args) == 1 and isinstance(left.args[0], Ref) and _is_number(right, "0"):
            name = left.args[0].name
            _known(name, type_of)
            if op in (">", "!="):
                return {"question": name, "answered": True}
            if op in ("=", "<="):
                return {"question": name, "answered": False}
    if not (isinstance(left, Ref) and isinstance(right, Lit)):
        raise ExprError(f"{_show(node)}: only an answer compared with a value has an equivalent")
    kind = _known(left.name, type_of)
    if op not in ("=", "!="):
        raise ExprError(
            f"{_show(node)}: doorstep conditions test equality, "
            "choices and whether a question is answered, not order"
        )
    if right.text == "" and not right.is_number:
        cond: dict[str, Any] = {"question": left.name, "answered": op == "!="}
        return cond
    if kind == "multiple_choice":
        raise ExprError(
            f"{_show(node)} compares a whole select_multiple answer; "
            f"write selected(${{{left.name}}}, '{right.text}')"
        )
    value: Any = right.text
    if kind == "number":
        if not right.is_number:
            raise ExprError(f"{_show(node)} compares a number question with text")
        value = float(right.text) if "." in right.text else int(right.text)
    cond = {"question": left.name, "equals": value}
    return cond if op == "=" else {"not": cond}


def _known(name: str, type_of: TypeOf) -> str:
    """Return the type of an earlier carried question, or refuse the reference."""
    kind = type_of(name)
    if kind is None:
        raise ExprError(f"it names {name!r}, which is not an earlier question that was carried")
    return kind


def _is_number(node: Any, text: str) -> bool:
    """Tell whether ``node`` is the number literal ``text``."""
    return isinstance(node, Lit) and node.is_number and float(node.text) == float(text)


# --- constraints -----------------------------------------------------------------------------


def to_constraint(text: str, kind: str, integer: bool = False) -> dict[str, Any]:
    """Translate a ``constraint`` on a question of doorstep type ``kind`` into question fields.

    Returns keys among ``min``, ``max`` (number and date), ``max_length``, and ``constraint``
    (``pattern``, ``min_selected``, ``max_selected``).
    """
    node = parse(text)
    parts = node.parts if isinstance(node, Bool) and node.op == "and" else (node,)
    out: dict[str, Any] = {}
    for part in parts:
        for key, value in _limit(part, kind, integer).items():
            if key in out or key in out.get("constraint", {}):
                raise ExprError(f"{text!r} sets {key} twice")
            if key in ("pattern", "min_selected", "max_selected"):
                out.setdefault("constraint", {})[key] = value
            else:
                out[key] = value
    return out


def _limit(node: Any, kind: str, integer: bool) -> dict[str, Any]:
    """Translate one ``and``-joined part of a constraint."""
    if isinstance(node, Call) and node.name == "regex" and kind == "text":
        if len(node.args) == 2 and isinstance(node.args[0], Dot) and isinstance(node.args[1], Lit):
            return {"pattern": regex_to_fullmatch(node.args[1].text)}
    if isinstance(node, Cmp):
        left, op, right = node.left, node.op, node.right
        if isinstance(left, Lit | Call) and isinstance(right, Dot):
            left, op, right = right, _FLIP[op], left
        if (
            isinstance(left, Dot)
            and kind == "number"
            and isinstance(right, Lit)
            and right.is_number
        ):
            return _bounds(op, float(right.text), integer, node)
        if isinstance(left, Dot) and kind == "date":
            return _date_bounds(op, right, node)
        counted = {"string-length": "text", "count-selected": "multiple_choice"}
        if (
            isinstance(left, Call)
            and counted.get(left.name) == kind
            and left.args == (Dot(),)
            and isinstance(right, Lit)
            and right.is_number
        ):
            limits = _bounds(op, float(right.text), True, node)
            if kind == "text":
                if set(limits) != {"max"}:
                    raise ExprError(f"{_show(node)}: only a maximum length has an equivalent")
                return {"max_length": limits["max"]}
            return {f"{k}_selected": v for k, v in limits.items()}
    raise ExprError(f"{_show(node)} has no doorstep equivalent")


def _bounds(op: str, value: float, integer: bool, node: Any) -> dict[str, Any]:
    """Turn ``. op value`` into inclusive min/max bounds."""
    num: float | int = int(value) if value == int(value) else value
    if op in (">", "<"):
        # doorstep bounds are inclusive; a strict bound only converts for whole numbers.
        if not integer or not isinstance(num, int):
            raise ExprError(
                f"{_show(node)}: doorstep bounds are inclusive (strict only for integers)"
            )
        num = num + 1 if op == ">" else num - 1
    if op in (">", ">="):
        return {"min": num}
    if op in ("<", "<="):
        return {"max": num}
    if op == "=":
        return {"min": num, "max": num}
    raise ExprError(f"{_show(node)} has no doorstep equivalent")


def _date_bounds(op: str, right: Any, node: Any) -> dict[str, Any]:
    """Turn ``. op date(...)`` into inclusive ISO date bounds."""
    if isinstance(right, Call) and right.name == "date" and len(right.args) == 1:
        right = right.args[0]
    if not isinstance(right, Lit) or right.is_number:
        raise ExprError(f"{_show(node)}: date bounds must be fixed dates")
    try:
        day = date.fromisoformat(right.text)
    except ValueError:
        raise ExprError(f"{_show(node)}: {right.text!r} is not a date") from None
    step = {">": timedelta(days=1), "<": timedelta(days=-1)}.get(op, timedelta())
    bound = (day + step).isoformat()
    if op in (">", ">="):
        return {"min": bound}
    if op in ("<", "<="):
        return {"max": bound}
    raise ExprError(f"{_show(node)} has no doorstep equivalent")


def regex_to_fullmatch(pattern: str) -> str:
    """Turn an ODK ``regex()`` pattern (matches anywhere) into one doorstep matches whole."""
    anchored = pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$")
    if anchored and not _top_level_bar(pattern):
        return pattern[1:-1]
    # ODK accepts the pattern anywhere in the answer; doorstep matches the whole answer.
    return f"[\\s\\S]*(?:{pattern})[\\s\\S]*"


def _top_level_bar(pattern: str) -> bool:
    """Tell whether a regex has an alternation outside any group."""
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return True
        i += 1
    return False


def _show(node: Any) -> str:
    """Render a node back as XLSForm text for messages."""
    if isinstance(node, Ref):
        return f"${{{node.name}}}"
    if isinstance(node, Dot):
        return "."
    if isinstance(node, Lit):
        return node.text if node.is_number else f"'{node.text}'"
    if isinstance(node, Call):
        return f"{node.name}({', '.join(_show(a) for a in node.args)})"
    if isinstance(node, Cmp):
        return f"{_show(node.left)} {node.op} {_show(node.right)}"
    if isinstance(node, Bool):
        return f" {node.op} ".join(_show(p) for p in node.parts)
    return repr(node)
