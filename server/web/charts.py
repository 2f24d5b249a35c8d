"""Server-rendered inline SVG charts: readable without JavaScript and allowed by the CSP.

Only presentation attributes are used (never ``style``), and every label is escaped. Numbers are
always also printed as text beside a chart, so the charts are ``aria-hidden`` or carry a summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

# GOV.UK palette colours that keep 3:1 contrast against white (WCAG 1.4.11).
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#f47738", "#505a5f")
SPARK_HEIGHT = 24
SPARK_BAR = 6


def colour(index: int) -> str:
    """Return the series colour for a position."""
    return COLOURS[index % len(COLOURS)]


def spark(values: Sequence[int | float], summary: str, css: str = "spark") -> Markup:
    """Return a small column chart of ``values`` (e.g. mentions per week), oldest first."""
    n = max(len(values), 1)
    top = max([*values, 1])
    width = n * SPARK_BAR
    bars = []
    for i, v in enumerate(values):
        h = 0 if v <= 0 else max(1.5, SPARK_HEIGHT * v / top)
        bars.append(
            f'<rect x="{i * SPARK_BAR + 0.5}" y="{SPARK_HEIGHT - h:.2f}" '
            f'width="{SPARK_BAR - 1}" height="{h:.2f}" fill="{COLOURS[0]}"/>'
        )
    baseline = (
        f'<line x1="0" y1="{SPARK_HEIGHT - 0.25}" x2="{width}" y2="{SPARK_HEIGHT - 0.25}" '
        'stroke="#505a5f" stroke-width="0.5"/>'
    )
    return Markup(
        '<svg class="{css}" viewBox="0 0 {w} {h}" preserveAspectRatio="none" role="img" '
        'aria-label="{s}" xmlns="http://www.w3.org/2000/svg"><title>{s}</title>{b}{l}</svg>'
    ).format(
        css=css, w=width, h=SPARK_HEIGHT, s=summary, b=Markup("".join(bars)), l=Markup(baseline)
    )


def bar(value: float, maximum: float, index: int = 0) -> Markup:
    """Return one horizontal bar sized against ``maximum``; the number is printed beside it."""
    pct = 0.0 if maximum <= 0 or value <= 0 else max(1.0, 100.0 * value / maximum)
    return Markup(
        '<svg class="bar" width="100%" height="12" aria-hidden="true" focusable="false" '
        'xmlns="http://www.w3.org/2000/svg"><rect x="0" y="0" width="{p:.1f}%" height="12" '
        'fill="{c}"/></svg>'
    ).format(p=pct, c=colour(index))


def legend(names: Sequence[str]) -> Markup:
    """Return a key naming each series' colour."""
    items = [
        Markup(
            '<li><svg width="12" height="12" aria-hidden="true" focusable="false" '
            'xmlns="http://www.w3.org/2000/svg"><rect width="12" height="12" fill="{}"/></svg> '
            "{}</li>"
        ).format(colour(i), escape(name))
        for i, name in enumerate(names)
    ]
    return Markup('<ul class="legend">{}</ul>').format(Markup("".join(items)))


def _day(d: date, year: bool = True) -> str:
    return f"{d.day} {d:%b %Y}" if year else f"{d.day} {d:%b}"


def timeline(
    values: Sequence[int | float],
    first: date,
    last: date,
    step: str,
    summary: str,
    css: str = "spark",
) -> Markup:
    """Return a column chart with its axes in words: the dates it runs between and its top.

    ``step`` names one column ("week", "3-day period"); the y axis runs from 0 to the largest
    column, printed as "most in a week: 12".
    """
    top = max([0, *values])
    return Markup(
        '<figure class="{fig}">{chart}<figcaption class="axis" aria-hidden="true">'
        '<span class="axis-y">most in a {step}: {top}</span>'
        '<span class="axis-x"><span>{first}</span><span>{last}</span></span>'
        "</figcaption></figure>"
    ).format(
        fig="timeline timeline-large" if "spark-large" in css else "timeline",
        chart=spark(values, summary, css),
        step=step,
        top=int(top) if float(top).is_integer() else top,
        first=_day(first, first.year != last.year),
        last=_day(last),
    )


def share_axis() -> Markup:
    """Return the labelled 0–100% axis drawn above share bars."""
    return Markup(
        '<span class="axis axis-x share-axis" aria-hidden="true">'
        "<span>0%</span><span>50%</span><span>100%</span></span>"
    )
