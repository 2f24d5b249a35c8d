"""The scrubber's shortcut (no "@", no digit: skip those patterns) changes no result."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from server.issues import scrub as s


def _every_pattern(text: str) -> str:
    """Run every pattern, as the scrubber did before its shortcut."""
    out = s._EMAIL.sub("[email]", text)
    out = s._INTERNATIONAL.sub("[phone]", out)
    out = s._PHONE.sub("[phone]", out)
    out = s._LONG_DIGITS.sub("[phone]", out)
    out = s._FLAT.sub("", out)
    out = s._ADDRESS.sub("[address]", out)
    out = s._HOUSE.sub(r"\1 [address]", out)
    out = s._POSTCODE.sub("[postcode]", out)
    out = s.names(out)
    return s._SPACES.sub(" ", out).strip()


# words that make the patterns match, Unicode digits (\d matches them) and plain text
PIECES = st.sampled_from(
    ["12", "3a", "07700", "900123", "+44", "0048", "+1 (212)", "٣", "۷۸", "@", "bob@x.org",
     "a.b@c-d.co.uk", "Flat", "Road", "High St", "LE1", "5AB", "Acacia", "at number", "from no.",
     "Mr", "PC", "Smith",
     "J.", "my name is", "O'Brien's", ",", ".", "-", " ", "\n", "noisy", "É", "ß"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=14).map(" ".join))
def test_shortcut_matches_running_every_pattern(text: str) -> None:
    assert s.scrub(text) == _every_pattern(text)


def test_texts_without_digits_or_at_still_lose_extra_spaces() -> None:
    assert s.scrub("  cars  speeding\n on Acacia Road ") == "cars speeding on Acacia Road"
    assert s.scrub("call ٠٧٧٠٠ ٩٠٠١٢٣ today") == _every_pattern("call ٠٧٧٠٠ ٩٠٠١٢٣ today")
    assert s.scrub("mail bob@example.org") == "mail [email]"
