"""Remove personal data from residents' free text before anyone reads it.

A small, documented scrubber, not a guarantee: it replaces

* email addresses with ``[email]``;
* international numbers ("+" or "00", a country code, then 7 to 15 digits in all, with spaces,
  dots, dashes or brackets between them: ``0048 512 345 678``, ``+1 (212) 555-0123``), UK-style
  phone numbers (07…, 01…/02…, +44…, an area code in brackets, with spaces, dots or dashes
  anywhere between the digits) and any other run of eight or more digits with ``[phone]``;
* a house number followed by a street name ending in a street word (``12 Acacia Road``,
  ``3a High St``, ``Flat 4, 22 Mill Lane``) with ``[address]``;
* a house given by its number (``at number 12``, ``from no. 3a``) with ``[address]``;
* UK postcodes (``LE1 5AB``) with ``[postcode]``;
* a name after a title (``Mr Khan``, ``Mrs J. Smith``, ``PC Jones``, ``Cllr Patel``) or after
  "my name is", "I'm called", "call me", "ask for" with ``[name]``; a name is a capitalised word
  with a lower-case letter after its first, in any script (``Śliwa``; not ``ASAP``, not ``I``
  or a day or month), and a second such word goes with it (``Ann Lee``).

Street names without a number stay: "speeding on Acacia Road" names a place, not a person, and
so does the "Dr" of "Acacia Dr Tuesday". "miss" and "pc" count as titles only as "Miss" and
"PC" ("I miss Tesco"). A name with no title or lead-in ("Dave sells drugs"), or one typed in
lower case, stays: telling it from an ordinary word needs more than a pattern, so the
coordinator's review is still needed.
Everything here is plain ``re``; no Flask, no database.
"""

from __future__ import annotations

import re
import unicodedata

_STREET_WORDS = (
    "road|rd|street|st|avenue|ave|lane|ln|close|cl|drive|dr|way|court|ct|crescent|cres|place|pl|"
    "gardens|gdns|grove|gr|terrace|terr|walk|hill|row|square|sq|mews|parade|rise|view|green|park"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.UNICODE)
# +44 (with or without "(0)"), "(0116)" or 0, then the digits with up to three separators
# (spaces, dots, dashes, a bracket) between any two: "(0116) 496 0123", "07 700 90 01 23".
_PHONE = re.compile(
    r"(?<![\w(])(?:\+\s*44\s*(?:\(\s*0\s*\)\s*)?\(?|\(\s*0|0)\d(?:[\s.()-]{0,3}\d){8,10}(?![\w])"
)
# "+" or "00", then at most 15 digits (E.164) with separators as above: taken whole, so no
# tail of a foreign number stays behind ("0048 512 345 678" was "[phone] 678").
_INTERNATIONAL = re.compile(r"(?<![\w+])(?:\+|(?<!\d)00)\s*\d(?:[\s.()-]{0,3}\d){6,14}(?![\w])")
_LONG_DIGITS = re.compile(r"\d(?:[\s.-]?\d){7,}")
_FLAT = re.compile(r"\b(flat|apartment|apt|unit)\s*\d+[a-z]?\s*,?\s*", re.IGNORECASE)
_ADDRESS = re.compile(
    r"\b(no\.?\s*)?\d{1,4}[a-z]?\s*,?\s+(?:[A-Za-z'’-]+\s+){1,3}(?:" + _STREET_WORDS + r")\b\.?",
    re.IGNORECASE,
)
_HOUSE = re.compile(  # "at number 12", "from no. 3a", "by number 3 and 4"
    r"\b(at|from|of|in|outside|near|by|opposite)\s+(?:no\.|number|house)\s*\d{1,4}[a-z]?"
    r"(?:\s*(?:-|&|and|to)\s*\d{1,4}[a-z]?)?\b",
    re.IGNORECASE,
)
# A word that may be a name: letters of any script first, then letters, digits, "-" or an
# apostrophe that does not start a possessive "'s" (that stays: "[name]'s dog").
_WORD = r"[^\W\d_](?:[\w-]|['’](?!s\b))*"
# A name: a word, then perhaps a second one (kept if it turns out not to be a name).
_NAMES = r"(?P<first>" + _WORD + r")(?P<rest>\s+(?P<second>" + _WORD + r"))?"
# Titles as people write them before a name; "miss" and "pc" only capitalised ("I miss Tesco",
# "my pc Windows"), and a "Dr" after a capitalised word is a street ("Acacia Dr Tuesday").
_TITLED = re.compile(
    r"\b(?P<title>Mr|Mrs|Ms|Mx|Miss|Dr|PC|PCSO|Cllr|Councillor|mr|mrs|ms|dr|cllr|MR|MRS|MS|DR|CLLR)\b"
    r"\.?\s+(?:[A-Z]\.\s*)*" + _NAMES
)
_INTRODUCED = re.compile(
    r"\b(?P<lead>(?i:my name is|my name['’]s|i['’]m called|i am called|call me|ask for))\s+"
    + _NAMES
)
_NOT_NAMES = frozenset(
    "i monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december".split()
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_DIGIT = re.compile(r"\d")  # the very \d the patterns use (any Unicode decimal digit)
_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def scrub(text: str) -> str:
    """Return ``text`` with emails, phones, house addresses, postcodes and titled names replaced."""
    # Most texts have no "@" and no digit; every pattern but the email one needs a digit, so
    # one cheap search spares five substitutions (about 5% of ingesting a response).
    out = _EMAIL.sub("[email]", text) if "@" in text else text
    if _DIGIT.search(out) is not None:
        out = _INTERNATIONAL.sub("[phone]", out)
        out = _PHONE.sub("[phone]", out)
        out = _LONG_DIGITS.sub("[phone]", out)
        out = _FLAT.sub("", out)
        out = _ADDRESS.sub("[address]", out)
        out = _HOUSE.sub(r"\1 [address]", out)
        out = _POSTCODE.sub("[postcode]", out)
    return _SPACES.sub(" ", names(out)).strip()


def names(text: str) -> str:
    """Replace a name after a title or a lead-in ("Mr Khan", "ask for Dave") with ``[name]``."""
    return _INTRODUCED.sub(_introduced, _TITLED.sub(_titled, text))


def _is_name(word: str | None) -> bool:
    """A capitalised word with a lower-case letter after its first ("Ann", "Śliwa", not "ASAP")."""
    return (
        word is not None
        and word[0].isupper()
        and any(c.islower() for c in word[1:])
        and word.casefold() not in _NOT_NAMES
    )


def _named(match: re.Match[str], lead: str = "") -> str:
    """Return ``lead`` and ``[name]`` for a matched name, keeping a second word that is not one."""
    if not _is_name(match["first"]):
        return match.group(0)
    rest = "" if _is_name(match["second"]) else match["rest"] or ""
    return lead + "[name]" + rest


def _titled(match: re.Match[str]) -> str:
    if match["title"] in ("Dr", "dr", "DR") and _street_dr(match.string, match.start()):
        return match.group(0)
    return _named(match)


def _introduced(match: re.Match[str]) -> str:
    return _named(match, match["lead"] + " ")


def _street_dr(text: str, start: int) -> bool:
    """Whether the "Dr" at ``start`` ends a street name ("Acacia Dr"): a name comes before it."""
    before = text[:start].rstrip().rsplit(None, 1)
    return bool(before) and _is_name(before[-1])


def normalise(text: str) -> str:
    """Return the key under which identical texts share one triage decision.

    Case, accents' composed form, punctuation and runs of whitespace do not matter.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", _PUNCT.sub(" ", folded)).strip()
