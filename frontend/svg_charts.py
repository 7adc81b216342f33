"""Charts as inline SVG, and numbers as people read them (Dutch formats).

No script and no third-party origin; the Content-Security-Policy forbids inline styles, so
shapes carry presentation attributes and CSS classes only.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import formats
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from steps.kpi import Month

NO_FIGURE = "\u2013"  # an en dash: nothing to count


# --- numbers as people read them -------------------------------------------------------------


def number(value, decimals: int = 0) -> str:
    """9.864 / 73,2 in Dutch, 9,864 / 73.2 in English; a dash for no figure."""
    if value is None:
        return NO_FIGURE
    return formats.number_format(value, decimals, use_l10n=True, force_grouping=True)


def percent(value: float | None, decimals: int = 0) -> str:
    return NO_FIGURE if value is None else f"{number(value, decimals)}%"


def whole(value: float) -> int:
    """The decimals to show: none for a whole number (a median of days can end in .5)."""
    return 0 if float(value).is_integer() else 1


def days_text(days: float | None) -> str:
    if days is None:
        return NO_FIGURE
    text = number(days, whole(days))
    return ngettext("%(days)s day", "%(days)s days", 1 if days == 1 else 2) % {"days": text}


def month_label(month: Month) -> str:
    return formats.date_format(month.first, "M")


def cell_text(value) -> str:
    """A table cell on the page."""
    if isinstance(value, Month):
        return formats.date_format(value.first, "F Y")
    if isinstance(value, float):
        return number(value, 1)
    if isinstance(value, int):
        return number(value)
    return NO_FIGURE if value is None else str(value)


def csv_cell(value) -> str:
    """A CSV cell for Dutch Excel: months as 2026-11, decimal comma, no thousands separator."""
    if isinstance(value, Month):
        return value.first.strftime("%Y-%m")
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else str(value)


# --- charts as inline SVG ----------------------------------------------------------------------
# Drawn about 360 units wide: one unit is about one CSS pixel on a phone; a wide screen scales
# the same drawing up (readable from the back of the room).

WIDTH = 360


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    css: str = "kpi-label"
    anchor: str = "middle"


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str = "kpi-axis"


@dataclass
class Svg:
    height: float
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    width: int = WIDTH

    def shapes(self) -> SafeString:
        """The drawing's elements, escaped. Written here rather than in the template: the
        region's page has some 330 of them, and the template's loops took a sixth of the
        page's time (docs/performance.md)."""
        return (
            format_html_join(
                "",
                '<rect x="{}" y="{}" width="{}" height="{}" class="{}"><title>{}</title></rect>',
                ((_1(r.x), _1(r.y), _1(r.width), _1(r.height), r.css, r.title) for r in self.rects),
            )
            + format_html_join(
                "",
                '<line x1="{}" y1="{}" x2="{}" y2="{}" class="{}"/>',
                (
                    (_1(line.x1), _1(line.y1), _1(line.x2), _1(line.y2), line.css)
                    for line in self.lines
                ),
            )
            + format_html_join(
                "",
                '<text x="{}" y="{}" text-anchor="{}" class="{}">{}</text>',
                ((_1(t.x), _1(t.y), t.anchor, t.css, t.text) for t in self.texts),
            )
        )


def _1(value: float) -> str:
    return f"{value:.1f}"  # (one decimal: enough for a drawing 360 units wide)


@dataclass(frozen=True)
class Series:
    css: str
    label: str
    values: Sequence[float]


def nice_ceiling(value: float) -> float:
    """The least of 1, 2, 2.5, 5 times a power of ten that is at least `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= value)


def column_chart(
    months: Sequence[Month],
    series: Sequence[Series],
    *,
    totals: Sequence[str],
    down: Series | None = None,
    down_totals: Sequence[str] = (),
    sublabels: Sequence[str] = (),
    top: float | None = None,
) -> Svg:
    """A column per month, `series` stacked upwards with `totals` above; `down` (if given) hangs
    below the axis with `down_totals` beneath (step-downs against step-ups)."""
    n = len(months)
    slot = WIDTH / n
    bar = slot * 0.7
    up_max = top or nice_ceiling(
        max((sum(v) for v in zip(*(s.values for s in series), strict=True)), default=0)
    )
    down_max = nice_ceiling(max(down.values, default=0)) if down else 0
    up_height = 120.0
    down_height = up_height * down_max / max(up_max, down_max) if down else 0
    if down:
        up_height = up_height * up_max / max(up_max, down_max)
    axis = 18 + up_height
    svg = Svg(height=axis + down_height + (14 if down else 0) + 20 + (13 if sublabels else 0))
    for i, month in enumerate(months):
        x = i * slot + (slot - bar) / 2
        y = axis
        for s in series:
            h = up_height * s.values[i] / up_max
            if h > 0:
                y -= h
                svg.rects.append(Rect(x, y, bar, h, s.css, f"{s.label}: {number(s.values[i])}"))
        small = " kpi-value-sm" if max(len(t) for t in totals) > 3 else ""
        svg.texts.append(Text(x + bar / 2, y - 4, totals[i], "kpi-value" + small))
        label_y = axis + 15
        if down:
            h = down_height * down.values[i] / down_max if down_max else 0
            if h > 0:
                svg.rects.append(
                    Rect(x, axis, bar, h, down.css, f"{down.label}: {number(down.values[i])}")
                )
            svg.texts.append(Text(x + bar / 2, axis + h + 11, down_totals[i], "kpi-value"))
            label_y = axis + down_height + 14 + 15
        css = "kpi-label kpi-current" if month.current else "kpi-label"
        svg.texts.append(Text(x + bar / 2, label_y, month_label(month), css))
        if sublabels:
            svg.texts.append(Text(x + bar / 2, label_y + 13, sublabels[i], "kpi-sublabel"))
    svg.lines.append(Line(0, axis, WIDTH, axis))
    return svg


@dataclass(frozen=True)
class BarRow:
    label: str
    value: float
    text: str  # the value as shown at the end of the bar
    css: str


def bar_rows(rows: Sequence[BarRow], *, top: float | None = None) -> Svg:
    """Horizontal bars, one under the other, each with its label above and its value after."""
    top = top or nice_ceiling(max((r.value for r in rows), default=0))
    room = WIDTH - 100  # for the value after the longest bar ("100% (5.327)")
    svg = Svg(height=len(rows) * 40 + 4)
    for i, row in enumerate(rows):
        y = i * 40
        svg.texts.append(Text(0, y + 13, row.label, "kpi-bar-label", "start"))
        width = room * row.value / top if top else 0
        svg.rects.append(Rect(0, y + 18, max(width, 1), 16, row.css, f"{row.label}: {row.text}"))
        svg.texts.append(Text(width + 5, y + 31, row.text, "kpi-value kpi-bar-value", "start"))
    return svg
