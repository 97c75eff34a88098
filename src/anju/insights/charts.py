"""Server-rendered inline SVG charts of the dashboard and the report: no JavaScript, no chart library, explicit
colours (the same SVG goes into the PDF, which has no page stylesheet). Every chart carries a title, writes its
values next to the bars and stands beside a table with the same figures, for screen readers. 320 units wide:
drawn 1:1 on a 360 px phone."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 320
LABEL_W = 112.0
BAR_MAX = 150.0
BAR_H = 12
GAP = 4
COLOURS = ("#1f5f99", "#8a8f98", "#c7862a")  # this period, the one before, a year earlier
TEXT = "#1b1f24"
TRACK = "#eef1f4"


def number_text(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.1f}" if isinstance(value, float) and not float(value).is_integer() else f"{int(value):,}"
    return f"{text}%" if unit == "%" else f"{text} h" if unit == "h" else text


def _svg(chart_id: str, title: str, height: float, body: SafeString, kind: str) -> SafeString:
    return format_html(
        '<svg class="chart insights-chart" id="{id}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="{id}-title" focusable="false" data-chart="{kind}" '
        'font-family="Noto Sans CJK SC, Noto Sans SC, sans-serif">'
        '<title id="{id}-title">{title}</title>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=max(height, 1),
        title=title,
        body=body,
        kind=kind,
    )


def _clip(label: str, n: int = 9) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def bars(items: Sequence[tuple[str, float | None]], *, title: str, chart_id: str, unit: str = "") -> SafeString:
    """One horizontal bar per item, scaled to the largest (to 100 for rates), the value written after it."""
    if not items:
        return SafeString("")
    top = 100.0 if unit == "%" else max((float(v) for _l, v in items if v), default=0.0) or 1.0
    parts: list[SafeString] = []
    y = 0.0
    for label, value in items:
        width = 0.0 if value is None else round(BAR_MAX * max(0.0, min(float(value), top)) / top, 1)
        parts.append(
            format_html(
                '<g data-value="{v}"><title>{label}: {text}</title>'
                '<text x="0" y="{ty}" font-size="11" fill="{tc}">{short}</text>'
                '<rect x="{x}" y="{y}" width="{bm}" height="{h}" rx="2" fill="{track}"></rect>'
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="2" fill="{c}"></rect>'
                '<text x="{vx}" y="{ty}" font-size="11" fill="{tc}">{text}</text></g>',
                v="" if value is None else value,
                label=label,
                text=number_text(value, unit),
                short=_clip(label),
                ty=y + BAR_H - 2,
                tc=TEXT,
                x=LABEL_W,
                y=y,
                bm=BAR_MAX,
                h=BAR_H,
                track=TRACK,
                w=width,
                c=COLOURS[0],
                vx=LABEL_W + BAR_MAX + 4,
            )
        )
        y += BAR_H + GAP
    return _svg(chart_id, title, y, mark_safe("".join(parts)), "bars")  # noqa: S308  parts built by format_html


def periods_bars(
    groups: Sequence[tuple[str, Sequence[float | None], str]], *, title: str, chart_id: str, legend: Sequence[str]
) -> SafeString:
    """For each figure (label, [this period, before, a year earlier], unit) three bars, scaled to the figure's
    largest value (to 100 for rates), each with its value."""
    if not groups:
        return SafeString("")
    parts: list[SafeString] = []
    y = 0.0
    # The legend, once, on top.
    x = 0.0
    for i, name in enumerate(legend):
        parts.append(
            format_html(
                '<rect x="{x}" y="2" width="10" height="10" fill="{c}"></rect>'
                '<text x="{tx}" y="11" font-size="10" fill="{tc}">{name}</text>',
                x=x,
                c=COLOURS[i],
                tx=x + 13,
                tc=TEXT,
                name=name,
            )
        )
        x += 13 + 11 * len(name) * (0.55 if name.isascii() else 1.0) + 8
    y = 20.0
    for label, values, unit in groups:
        top = 100.0 if unit == "%" else max((float(v) for v in values if v), default=0.0) or 1.0
        parts.append(
            format_html('<text x="0" y="{}" font-size="12" font-weight="600" fill="{}">{}</text>', y + 11, TEXT, label)
        )
        y += 16
        for i, value in enumerate(values):
            width = 0.0 if value is None else round(BAR_MAX * max(0.0, min(float(value), top)) / top, 1)
            parts.append(
                format_html(
                    '<g data-value="{v}"><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="2" fill="{c}"></rect>'
                    '<text x="{vx}" y="{ty}" font-size="10" fill="{tc}">{text}</text></g>',
                    v="" if value is None else value,
                    x=LABEL_W - 100,
                    y=y,
                    w=width,
                    h=BAR_H - 2,
                    c=COLOURS[i],
                    vx=LABEL_W - 100 + width + 4,
                    ty=y + BAR_H - 3,
                    tc=TEXT,
                    text=number_text(value, unit),
                )
            )
            y += BAR_H
        y += GAP + 2
    return _svg(chart_id, title, y, mark_safe("".join(parts)), "periods")  # noqa: S308  parts built by format_html


def sparkline(values: Sequence[float], *, title: str, width: int = 96, height: int = 22) -> SafeString:
    """A small line of a series (month by month), its last value marked; the values are in its title."""
    if not values:
        return SafeString("")
    top = max(values) or 1.0
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{round(i * step, 1)},{round(height - 2 - (height - 4) * v / top, 1)}" for i, v in enumerate(values)
    )
    last_x, last_y = points.split(" ")[-1].split(",")
    return format_html(
        '<svg class="sparkline" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" focusable="false" '
        'data-chart="sparkline"><title>{title}</title>'
        '<polyline points="{p}" fill="none" stroke="{c}" stroke-width="1.5"></polyline>'
        '<circle cx="{lx}" cy="{ly}" r="2" fill="{c}"></circle></svg>',
        w=width,
        h=height,
        title=title,
        p=points,
        c=COLOURS[0],
        lx=last_x,
        ly=last_y,
    )
