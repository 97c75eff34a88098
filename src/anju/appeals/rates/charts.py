"""Server-rendered inline SVG charts of the three rates: no JavaScript, no chart library.

Every figure is drawn with its value and counts written next to it, and the page keeps the table as
the source of truth. A rate whose denominator is zero is drawn as no bar and written "—", never 0 %.
Colours come from the app's CSS custom properties through the classes in ``appeals/rates.css``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# (series, numerator counter, denominator counter, rate attribute)
SERIES: tuple[tuple[str, str, str, str], ...] = (
    ("response", "responded", "dispatched", "response_rate"),
    ("resolution", "resolved", "completed", "resolution_rate"),
    ("satisfaction", "satisfied", "ratings", "satisfaction_rate"),
)

WIDTH = 320  # viewBox width: drawn 1:1 on a 360px phone, scaled (capped by CSS) above
BAR_MAX = 190.0  # the width of a 100 % bar; its value and counts are written after it
BAR_X = 0.0
BAR_H = 12
BAR_GAP = 3
NAME_H = 16
GROUP_GAP = 10


def series_label(series: str) -> str:
    return {
        "response": _("Response rate"),
        "resolution": _("Resolution rate"),
        "satisfaction": _("Satisfaction rate"),
    }[series]


def rate_text(value: float | None) -> str:
    """A rate as written on the page: "87.5%", or "—" when nothing was counted."""
    return "—" if value is None else f"{value:.1f}%"


def bar_width(value: float | None, full: float = BAR_MAX) -> float:
    """The drawn width of a rate: proportional to ``full`` for 100 %, 0 when there is no rate."""
    if value is None:
        return 0.0
    return round(full * max(0.0, min(float(value), 100.0)) / 100.0, 1)


@dataclass(frozen=True)
class Bar:
    series: str
    value: float | None
    numerator: int
    denominator: int
    width: float

    @property
    def text(self) -> str:
        return f"{rate_text(self.value)} {self.numerator}/{self.denominator}"


def bars_of(row: Any) -> list[Bar]:
    """The three bars of one rate row (a ``rates.selectors.RateRow``)."""
    out = []
    for series, num, den, attr in SERIES:
        value = getattr(row, attr)
        out.append(Bar(series, value, row.counts.get(num, 0), row.counts.get(den, 0), bar_width(value)))
    return out


def rate_bars(rows: Sequence[Any], *, title: str, chart_id: str = "rate-bars") -> SafeString:
    """Horizontal bars: for each row its name, then its three rates, each with value and counts.

    Built with f-strings, not ``format_html`` per element (a page of 50 groups draws 150 bars): every text
    (names, labels, counts) goes through ``escape``; the rest are numbers and the series' own names."""
    if not rows:
        return SafeString("")
    labels = {series: escape(series_label(series)) for series, *_rest in SERIES}
    parts: list[str] = []
    y = 0
    for row in rows:
        name = escape(row.label)
        parts.append(f'<text class="chart-name" x="0" y="{y + 12}">{name}</text>')
        y += NAME_H + 2
        for bar in bars_of(row):
            text = escape(bar.text)
            value = "" if bar.value is None else bar.value
            parts.append(
                f'<g class="chart-bar" data-series="{bar.series}" data-value="{value}">'
                f"<title>{name} · {labels[bar.series]}: {text}</title>"
                f'<rect class="chart-track" x="{BAR_X}" y="{y}" width="{BAR_MAX}" height="{BAR_H}" rx="2"></rect>'
                f'<rect class="chart-{bar.series}" x="{BAR_X}" y="{y}" width="{bar.width}" height="{BAR_H}" rx="2">'
                f'</rect><text class="chart-text" x="{BAR_X + BAR_MAX + 4}" y="{y + BAR_H - 2}">{text}</text></g>'
            )
            y += BAR_H + BAR_GAP
        y += GROUP_GAP
    body = mark_safe("".join(parts))  # noqa: S308  every text in it was escaped above
    return format_html(
        '<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="{id}-title" focusable="false" data-chart="bars">'
        '<title id="{id}-title">{title}</title>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=y,
        title=title,
        body=body,
    )


TREND_H = 168
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 34, WIDTH - 8, 8, 132
YEAR_ROOM = 32  # the width a year label needs, in viewBox units
MARKERS = {"response": "circle", "resolution": "square", "satisfaction": "diamond"}


def trend_point(index: int, count: int, value: float) -> tuple[float, float]:
    """Where month ``index`` of ``count`` with rate ``value`` (0–100) is drawn."""
    span = PLOT_RIGHT - PLOT_LEFT
    x = PLOT_LEFT + (span * (index + 0.5) / count if count else 0)
    y = PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * max(0.0, min(value, 100.0)) / 100.0
    return round(x, 1), round(y, 1)


def _marker(series: str, x: float, y: float, tip: str) -> str:
    """A month's point, with its tip (escaped here; ``series`` is one of the series' own names)."""
    kind = MARKERS[series]
    if kind == "circle":
        shape = f'<circle class="chart-{series}" cx="{x}" cy="{y}" r="3"></circle>'
    elif kind == "square":
        shape = f'<rect class="chart-{series}" x="{x - 3}" y="{y - 3}" width="6" height="6"></rect>'
    else:
        points = f"{x},{y - 4} {x + 4},{y} {x},{y + 4} {x - 4},{y}"
        shape = f'<polygon class="chart-{series}" points="{points}"></polygon>'
    return f"<g><title>{escape(tip)}</title>{shape}</g>"


def rate_trend(months: Sequence[Any], *, title: str, chart_id: str = "rate-trend") -> SafeString:
    """The three rates month by month: a line per rate, broken where a month has no denominator."""
    if not months:
        return SafeString("")
    n = len(months)
    parts: list[str] = []
    for pct in (0, 50, 100):
        _x, y = trend_point(0, n, pct)
        parts.append(
            format_html(
                '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
                '<text class="chart-text chart-axis" x="{}" y="{}" text-anchor="end">{}%</text>',
                PLOT_LEFT,
                y,
                PLOT_RIGHT,
                y,
                PLOT_LEFT - 4,
                y + 4,
                pct,
            )
        )
    step = 1 if n <= 12 else (2 if n <= 24 else 3)
    years: list[tuple[float, int, str]] = []
    for i, m in enumerate(months):
        month = m.month
        if month is None or i % step:
            continue
        x, _y = trend_point(i, n, 0)
        parts.append(
            format_html(
                '<text class="chart-text chart-axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                x,
                PLOT_BOTTOM + 14,
                f"{month.month:02d}",
            )
        )
        if not years or month.year != years[-1][1]:
            anchor = "middle"
            if years and x - years[-1][0] < YEAR_ROOM:  # two years close together: push them apart
                px, pyear, _anchor = years.pop()
                years.append((px + 8, pyear, "end"))
                x, anchor = x - 8, "start"
            years.append((x, month.year, anchor))
    for x, year, anchor in years:
        parts.append(
            format_html(
                '<text class="chart-text chart-axis" x="{}" y="{}" text-anchor="{}">{}</text>',
                x,
                PLOT_BOTTOM + 28,
                anchor,
                year,
            )
        )
    for series, num, den, attr in SERIES:
        label = series_label(series)
        segments: list[list[tuple[float, float]]] = [[]]
        markers: list[str] = []
        for i, m in enumerate(months):
            value = getattr(m, attr)
            if value is None:
                if segments[-1]:
                    segments.append([])
                continue
            x, y = trend_point(i, n, value)
            segments[-1].append((x, y))
            tip = f"{m.label} · {label}: {rate_text(value)} {m.counts.get(num, 0)}/{m.counts.get(den, 0)}"
            markers.append(_marker(series, x, y, tip))
        for seg in segments:
            if len(seg) > 1:
                points = " ".join(f"{x},{y}" for x, y in seg)
                parts.append(
                    format_html('<polyline class="chart-line chart-line-{}" points="{}"></polyline>', series, points)
                )
        parts.extend(markers)
    body = mark_safe("".join(parts))  # noqa: S308  every part was built by format_html or escaped its text
    return format_html(
        '<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="{id}-title" focusable="false" data-chart="trend">'
        '<title id="{id}-title">{title}</title>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=TREND_H,
        title=title,
        body=body,
    )


def legend_items() -> list[tuple[str, str]]:
    """(series, label) for the HTML legend drawn above the charts."""
    return [(series, series_label(series)) for series, *_rest in SERIES]


__all__ = [
    "Bar",
    "bar_width",
    "bars_of",
    "legend_items",
    "rate_bars",
    "rate_text",
    "rate_trend",
]
