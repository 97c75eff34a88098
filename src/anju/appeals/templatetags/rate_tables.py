"""``{% load rate_tables %}``: the rows of the three-rate page's two tables, ``{% rate_rows rows … %}`` (one row a
department, category, community or grid) and ``{% month_rows months … %}`` (one row a month).

A page holds up to 50 groups and 36 months of about ten cells each. Drawn by the template engine (a
``{% blocktrans %}``, a ``{% with %}`` and a dozen lookups a row) they were most of the page's own time: by grid,
the page took 45 ms where its SQL takes 10. Here each row is an f-string; every value goes through ``esc`` (the
standard library's ``html.escape``, what Django's ``escape`` calls) and every number through ``number_text``
(what ``localize`` writes, as the template engine shows them). The cells' texts come from ``rates.views._cells``.
"""

from __future__ import annotations

from html import escape as esc
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from anju.appeals.rates import charts
from anju.core.text import number_text

register = template.Library()

#: The three rates' cells, in the charts' order.
RATES = tuple(series for series, *_counts in charts.SERIES)


def _num(value: Any) -> str:
    return esc(number_text(value or 0))


def _rates(cells: dict[str, Any]) -> str:
    return "".join(
        f'<td class="nowrap">{esc(cells[name].rate)} <span class="small muted">{esc(cells[name].counts)}</span></td>'
        for name in RATES
    )


def _rank(row: Any) -> str:
    if not row.rank:
        unranked = _("not ranked yet")  # outside the f-string: xgettext does not read calls inside one
        return f'<td><span class="small muted" data-unranked>{esc(unranked)}</span></td>'
    score = esc(_("score %(score)s") % {"score": number_text(row.score)})
    return f'<td>{_num(row.rank)} <span class="small muted">{score}</span></td>'


def _routing(cells: dict[str, Any], counts: dict[str, int]) -> str:
    rerouted = _("%(n)s of %(d)s re-routed") % {
        "n": number_text(counts.get("misrouted") or 0),
        "d": number_text(counts.get("dispatches") or 0),
    }
    return (
        f'<td class="nowrap" data-routing>{esc(cells["routing"])} <span class="small muted">{esc(rerouted)}</span></td>'
    )


def _arrival(cells: dict[str, Any], counts: dict[str, int]) -> str:
    arrival = cells["arrival"]
    html = f'<td class="nowrap">{esc(arrival.rate)} <span class="small muted">{esc(arrival.counts)}</span>'
    if counts.get("arrived_self_declared"):
        declared = _("+%(n)s self-declared") % {"n": number_text(counts["arrived_self_declared"])}
        html += f' <span class="small muted">{esc(declared)}</span>'
    return html + "</td>"


@register.simple_tag
def rate_rows(
    rows: list[dict[str, Any]], *, group: str, list_url: str, filter_name: str, period_query: str
) -> SafeString:
    """A ``<tr>`` a group: its rank (departments), its name linking to its appeals, the three rates, routing
    accuracy (other groups), reopened, marked complex (departments), awaiting callback, whistle arrivals."""
    department = group == "department"
    base = esc(f"{list_url}?view=all&")
    period = esc(period_query)
    html = []
    for cells in rows:
        r = cells["row"]
        counts = r.counts
        where = f"{esc(filter_name)}={esc(str(r.key))}{period}"
        pending = f'<a href="{base}pending=1&amp;{where}">{_num(r.pending_callback)}</a>' if r.pending_callback else "0"
        html.append(
            "<tr>"
            + (_rank(r) if department else "")
            + f'<td class="rate-name"><a href="{base}{where}">{esc(str(r.label))}</a></td>'
            + _rates(cells)
            + ("" if department else _routing(cells, counts))
            + f"<td>{_num(counts.get('reopened'))}</td>"
            + (f"<td data-complex-marks>{_num(counts.get('complex_marked'))}</td>" if department else "")
            + f"<td>{pending}</td>"
            + _arrival(cells, counts)
            + "</tr>"
        )
    return mark_safe("\n".join(html))  # noqa: S308  every value above went through esc()


@register.simple_tag
def month_rows(months: list[dict[str, Any]], *, list_url: str) -> SafeString:
    """A ``<tr>`` a month: the month linking to its appeals, the three rates, reopened, awaiting callback."""
    base = esc(f"{list_url}?view=all&")
    html = []
    for cells in months:
        m = cells["row"]
        period = esc(f"start={m.month:%Y-%m-%d}&end={m.month_last:%Y-%m-%d}") if m.month else esc("start=&end=")
        pending = (
            f'<a href="{base}pending=1&amp;{period}">{_num(m.pending_callback)}</a>' if m.pending_callback else "0"
        )
        html.append(
            f'<tr><td class="nowrap"><a href="{base}{period}">{esc(str(m.label))}</a></td>'
            + _rates(cells)
            + f"<td>{_num(m.counts.get('reopened'))}</td><td>{pending}</td></tr>"
        )
    return mark_safe("\n".join(html))  # noqa: S308  every value above went through esc()
