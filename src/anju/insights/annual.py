"""The annual report of a community (年度报告): what goes into it and its PDF.

The worker (``insights.report_build`` in tasks.py) builds it in steps, each a read marked ``@replica.reads``
that writes nothing, with the report's progress written between them: the year's figures (every registered
section, one aggregate query or a fixed few each, for the year and the one before), the station and its
spaces, the notable activities with their summaries from the notice board, the contributions of the year per
project, the honour roll of the year;
then the HTML page and its PDF (WeasyPrint, Noto CJK). Photos are embedded as ``data:`` URIs, scaled down;
WeasyPrint fetches nothing else.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from anju.activities.models import Activity, Registration
from anju.bulletin.models import Notice
from anju.consult.models import CampaignStatus, Nomination, NominationStatus, Subject
from anju.contributions.models import Contribution, Kind, MoneyEntry
from anju.contributions.selectors import CONTRIBUTION_COUNTS, COUNTED, quantity_label
from anju.core import replica
from anju.insights import charts, periods, selectors, services
from anju.insights import sections as registry
from anju.insights.models import Report
from anju.insights.sections.activities import ATTENDED, TAKEN
from anju.insights.sections.base import within
from anju.orgs.models import OrgUnit
from anju.spaces.models import Space, SpacePhoto, Station

log = logging.getLogger("anju.insights")

#: The notable activities the report shows, and the photos of each.
NOTABLE = 6
PHOTOS_EACH = 2
SPACE_PHOTOS = 4
PHOTO_PX = 640
#: How many rows are read to find them (a space may have several photos; some activities no summary).
SPACE_PHOTO_ROWS = 12
SUMMARY_ROWS = 12


def data_uri(field_file: Any, *, px: int = PHOTO_PX) -> str:
    """A stored image, scaled to at most ``px`` on its longer side, as a JPEG ``data:`` URI ("" when unreadable)."""
    if not field_file:
        return ""
    try:
        from PIL import Image

        with field_file.open("rb") as fh, Image.open(fh) as image:
            image.thumbnail((px, px))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
    except (OSError, ValueError) as exc:
        log.warning("report: photo %s not readable: %s", getattr(field_file, "name", "?"), exc)
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


@dataclass
class Contents:
    """Everything the report's template shows."""

    report: Report
    community: OrgUnit
    above: list[str] = field(default_factory=list)  # the street, the district … (nearest first)
    dash: selectors.Dashboard | None = None
    stations: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    contributions: list[dict[str, Any]] = field(default_factory=list)  # per project
    honours: list[dict[str, Any]] = field(default_factory=list)  # per campaign made final in the year
    extra: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> selectors.Dashboard:
        if self.dash is None:
            raise LookupError("the figures are read first (read_figures)")
        return self.dash


@replica.reads
def read_figures(contents: Contents) -> None:
    period = periods.year(contents.report.year)
    ids = [contents.community.pk]
    contents.dash = selectors.dashboard(contents.report.requested_by, ids, period)
    monthly: dict[str, list[tuple[str, float]]] = {}
    for section in registry.sections():
        by_month = section.monthly(ids, period).get(contents.community.pk, {})
        if by_month:
            monthly[section.key] = [(month_label(m), float(by_month.get(m, 0))) for m in period.months()]
    contents.extra["monthly"] = monthly
    contents.above = [u.name for u in contents.community.ancestors().order_by("-depth")]


@replica.reads
def read_station(contents: Contents) -> None:
    community = contents.community
    stations = list(Station.objects.filter(community=community).order_by("pk"))
    spaces = list(Space.objects.filter(community=community, is_active=True).order_by("station_id", "sort_order", "pk"))
    photos: dict[int, list[str]] = {}
    taken = 0
    for photo in SpacePhoto.objects.filter(community=community).order_by("space_id", "pk")[:SPACE_PHOTO_ROWS]:
        if taken >= SPACE_PHOTOS or photo.space_id in photos:
            continue
        uri = data_uri(photo.image)
        if uri:
            photos[photo.space_id] = [uri]
            taken += 1
    names = {s.pk: s.name for s in spaces}
    for station in stations:
        own = [s for s in spaces if s.station_id == station.pk]
        contents.stations.append(
            {
                "station": station,
                "spaces": own,
                "photos": [(names[sid], uris[0]) for sid, uris in photos.items() if any(s.pk == sid for s in own)],
            }
        )


@replica.reads
def read_activities(contents: Contents) -> None:
    """The year's activities most people attended (one grouped query), and those with a summary on the notice
    board, each with its summary and photos."""
    period = periods.year(contents.report.year)
    community = contents.community
    top = list(
        Registration.objects.filter(community=community)
        .filter(within("session__starts_at", period, aware=True), TAKEN, ATTENDED)
        .values("session__activity_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "session__activity_id")[:NOTABLE]
    )
    attended = {r["session__activity_id"]: r["n"] for r in top}
    summaries = {
        n.activity_id: n
        for n in Notice.objects.filter(community=community, activity__isnull=False, audience=Notice.Audience.COMMUNITY)
        .filter(within("publish_at", period, aware=True))
        .prefetch_related("photos")
        .order_by("-publish_at")[:SUMMARY_ROWS]
    }
    ids = list(attended) + [a for a in summaries if a not in attended]
    activities = {a.pk: a for a in Activity.objects.filter(community=community, pk__in=ids[:NOTABLE])}
    for pk in ids[:NOTABLE]:
        activity = activities.get(pk)
        if activity is None:
            continue
        notice = summaries.get(pk)
        photos = [data_uri(p.thumb or p.image) for p in (list(notice.photos.all())[:PHOTOS_EACH] if notice else [])]
        if not photos and activity.poster:
            photos = [data_uri(activity.poster)]
        contents.activities.append(
            {
                "activity": activity,
                "attended": attended.get(pk, 0),
                "summary": Truncator(strip_tags(notice.body)).chars(360) if notice else "",
                "summary_title": notice.title if notice else "",
                "photos": [p for p in photos if p],
            }
        )


@replica.reads
def read_contributions(contents: Contents) -> None:
    """What people gave in the year, per project by kind and unit (one grouped query, counted contributions,
    reversals netted), and each project's money in and out of its counted ledger in the year (one grouped
    query). Contributors are never named here: the totals are the report's, the names stay on the 公示 page."""
    period = periods.year(contents.report.year)
    rows = (
        Contribution.objects.filter(community=contents.community)
        .filter(within("day", period, aware=False), CONTRIBUTION_COUNTS)
        .order_by()
        .values("project_id", "project__name", "kind", "unit")
        .annotate(
            given=Count("pk", filter=Q(reverses__isnull=True)),
            reversed=Count("pk", filter=Q(reverses__isnull=False)),
            quantity=Sum("quantity"),
            value=Sum("value_fen"),
        )
    )
    money = (
        MoneyEntry.objects.filter(community=contents.community)
        .filter(within("day", period, aware=False), COUNTED)
        .order_by()
        .values("project_id", "project__name")
        .annotate(
            received=Sum("amount_fen", filter=Q(type=MoneyEntry.Type.RECEIPT) | Q(reverses__type="receipt")),
            spent=Sum("amount_fen", filter=Q(type=MoneyEntry.Type.EXPENDITURE) | Q(reverses__type="expenditure")),
        )
    )
    order = list(Kind.values)
    projects: dict[int, dict[str, Any]] = {}

    def project(pk: int, name: str) -> dict[str, Any]:
        return projects.setdefault(pk, {"name": name, "kinds": [], "count": 0, "received_yuan": 0, "spent_yuan": 0})

    for row in rows:
        if not row["quantity"]:
            continue
        p = project(row["project_id"], row["project__name"])
        count = row["given"] - row["reversed"]
        p["count"] += count
        p["kinds"].append(
            {
                "kind": Kind(row["kind"]).label if row["kind"] in order else row["kind"],
                "order": order.index(row["kind"]) if row["kind"] in order else len(order),
                "count": count,
                "quantity": quantity_label(row["quantity"], row["unit"]),
                "value_yuan": round((row["value"] or 0) / 100),
            }
        )
    for row in money:
        if not (row["received"] or row["spent"]):
            continue
        p = project(row["project_id"], row["project__name"])
        p["received_yuan"] = round((row["received"] or 0) / 100, 2)
        p["spent_yuan"] = round(-(row["spent"] or 0) / 100, 2)
    for p in projects.values():
        p["kinds"].sort(key=lambda k: (k["order"], k["quantity"]))
    contents.contributions = sorted(projects.values(), key=lambda p: p["name"])


@replica.reads
def read_honours(contents: Contents) -> None:
    """The honour roll of the year: the campaigns made final in it and their honoured nominees, by the name the
    public roll shows (one query, the campaign joined)."""
    rows = (
        Nomination.objects.filter(
            community=contents.community,
            status=NominationStatus.HONOURED,
            campaign__status=CampaignStatus.FINAL,
            campaign__finalised_on__year=contents.report.year,
        )
        .order_by("campaign__finalised_on", "campaign_id", "rank", "pk")
        .values(
            "campaign_id",
            "campaign__title",
            "campaign__subject",
            "campaign__period_start",
            "campaign__period_end",
            "campaign__finalised_on",
            "name",
            "rank",
            "score",
            "votes",
        )
    )
    campaigns: dict[int, dict[str, Any]] = {}
    for row in rows:
        campaign = campaigns.setdefault(
            row["campaign_id"],
            {
                "title": row["campaign__title"],
                "subject": Subject(row["campaign__subject"]).label,
                "start": row["campaign__period_start"],
                "end": row["campaign__period_end"],
                "final": row["campaign__finalised_on"],
                "honoured": [],
            },
        )
        campaign["honoured"].append({"name": row["name"], "rank": row["rank"], "score": row["score"]})
    contents.honours = list(campaigns.values())


def month_label(month: Any) -> str:
    return formats.date_format(month, "M")


def chart_pages(contents: Contents) -> list[dict[str, Any]]:
    """The charts chapter: each section's figures this year beside the year before and its month by month
    (server-rendered SVG, as on the dashboard)."""
    dash = contents.figures()
    legend = [_("This year"), _("The year before")]
    out = []
    for s in dash.sections:
        groups = [
            (str(r.figure.label), [r.now, r.previous], r.figure.unit)
            for r in s.rows
            if not r.figure.live and r.figure.unit != "%" and (r.now or r.previous)
        ]
        svgs = []
        if groups:
            svgs.append(
                charts.periods_bars(
                    groups,
                    title=_("%(section)s: this year and the year before") % {"section": s.section.title},
                    chart_id=f"report-{s.section.key}",
                    legend=legend,
                )
            )
        months = contents.extra.get("monthly", {}).get(s.section.key)
        if months and any(v for _m, v in months):
            svgs.append(
                charts.bars(
                    months,
                    title=_("%(section)s month by month") % {"section": s.section.title},
                    chart_id=f"report-{s.section.key}-months",
                )
            )
        if svgs:
            out.append({"section": s, "charts": svgs})
    return out


def method_charts(contents: Contents) -> dict[str, list[tuple[str, Any]]]:
    """The breakdowns of each method's section (appeals by category, where they came from …) as bar charts."""
    dash = contents.figures()
    out: dict[str, list[tuple[str, Any]]] = {}
    for s in dash.sections:
        if not s.section.method:
            continue
        out[s.section.key] = [
            (
                str(b.title),
                charts.bars(
                    [(label, value) for label, value, _q in b.rows[:10]],
                    title=str(b.title),
                    chart_id=f"report-{s.section.key}-{b.key}",
                    unit=b.unit,
                ),
            )
            for b in s.breakdowns
            if b.rows
        ]
    return out


def render_html(contents: Contents) -> str:
    dash = contents.figures()
    methods = [s for s in dash.sections if s.section.method]
    return render_to_string(
        "insights/report/annual.html",
        {
            "c": contents,
            "report": contents.report,
            "community": contents.community,
            "dash": dash,
            "charts": chart_pages(contents),
            "method_charts": method_charts(contents),
            "methods": methods,
            "generated_at": timezone.localtime(),
        },
    )


def data_only_fetcher() -> Any:
    """WeasyPrint loads the ``data:`` URIs of the embedded photos and nothing else: no text in a report makes the
    server request a URL."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=["data"])


def pdf_of(html: str) -> tuple[bytes, int]:
    """The PDF of the report's page and its number of pages."""
    from weasyprint import HTML  # imported here: Pango loads only when a PDF is made

    document = HTML(string=html, base_url="/", url_fetcher=data_only_fetcher()).render()
    return bytes(document.write_pdf()), len(document.pages)


STEPS: list[tuple[str, int, Callable[[Contents], None]]] = [
    ("figures", 30, read_figures),
    ("station", 40, read_station),
    ("activities", 55, read_activities),
    ("contributions", 60, read_contributions),
    ("honours", 65, read_honours),
]


def build(*, report_id: int) -> None:
    """The job's body: safe to run twice (a finished report is left alone; a crashed run starts again)."""
    report = services.report_claim(report_id=report_id)
    if report is None:
        return
    try:
        with translation.override(report.language):
            contents = Contents(report=report, community=report.community)
            for phase, progress, step in STEPS:
                step(contents)
                services.report_progress(report_id=report.pk, progress=progress, phase=phase)
            html = render_html(contents)
            services.report_progress(report_id=report.pk, progress=70, phase="layout")
            pdf, pages = pdf_of(html)
        services.report_finish(report_id=report.pk, pdf=pdf, pages=pages)
    except Exception as exc:  # a failed report says so on its page; it can be asked for again
        log.exception("annual report %s failed", report.pk)
        services.report_fail(report_id=report.pk, error=f"{type(exc).__name__}: {exc}")
