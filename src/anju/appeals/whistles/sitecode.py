"""The whistle's site code (部门报到): a QR code of a signed check-in link, printed and posted on site.

One code per whistle: every department the whistle summoned scans the same code on arrival. The code is a
signed link (``django.core.signing``, its own salt) to the check-in page; scanning it needs a signed-in
liaison of a summoned department, and the page records the arrival time of their department once (scanning
twice, or two liaisons of one department, record one arrival) as "scanned the site code". The button on the
appeal page stays but records a self-declared arrival, which does not count as on time; a later scan
replaces it.

A code is refused, with a message saying why, when it was forged or altered, when it is older than
``CODE_MAX_AGE`` (expired), when it is for a whistle that did not summon the liaison's department, and when
the appeal is closed. Links of the earlier per-summons form (``whistles.checkin_token``) are still read.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from typing import Any

import segno
from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from anju.appeals.models import OPEN_STATUSES, Summons, Whistle
from anju.appeals.policies import liaison_departments
from anju.appeals.services import InvalidTransition
from anju.appeals.whistles import services as whistles

SALT = "anju.appeals.whistle-site-code"
CODE_MAX_AGE = 2 * 24 * 3600


class Refused(Exception):
    """A code that cannot check anyone in; ``status`` is the HTTP status the page answers with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def site_codes(appeal: Any) -> list[dict[str, Any]]:
    """The site codes of the appeal's whistles, newest first: the whistle, its SVG image and printable page."""
    return [
        {
            "whistle": whistle,
            "svg": reverse("appeals:whistle_code_image", args=[appeal.pk, whistle.pk, "svg"]),
            "page": reverse("appeals:whistle_code", args=[appeal.pk, whistle.pk]),
        }
        for whistle in Whistle.objects.filter(appeal=appeal).order_by("-blown_at")
    ]


def whistle_token(whistle: Whistle) -> str:
    return signing.dumps({"w": whistle.pk}, salt=SALT)


def _read(token: str) -> tuple[str, int]:
    for salt, key in ((SALT, "w"), (whistles.TOKEN_SALT, "s")):
        try:
            data = signing.loads(token, salt=salt, max_age=CODE_MAX_AGE)
        except signing.SignatureExpired as exc:
            raise Refused(
                _("This check-in code has expired. Ask the community for the current code or use the button."),
                410,
            ) from exc
        except signing.BadSignature:
            continue
        try:
            return key, int(data[key])
        except (KeyError, TypeError, ValueError):
            break
    raise Refused(_("This is not a valid check-in code. Scan the code posted on site again."), 404)


@dataclass
class Site:
    whistle: Whistle
    mine: list[Summons] = field(default_factory=list)  # the liaison's departments' summonses
    recorded: list[Summons] = field(default_factory=list)  # arrivals recorded by this scan


def read_code(user: Any, token: str) -> Site:
    """The whistle of a code and the summonses the user may check in with it, or :class:`Refused`."""
    kind, pk = _read(token)
    depts = liaison_departments(user)
    if kind == "w":
        whistle = Whistle.objects.select_related("appeal", "appeal__community").filter(pk=pk).first()
        if whistle is None:
            raise Refused(_("This is not a valid check-in code. Scan the code posted on site again."), 404)
        mine = list(whistle.summonses.filter(department_id__in=depts).select_related("department").order_by("id"))
    else:
        summons = Summons.objects.select_related("whistle__appeal__community", "department").filter(pk=pk).first()
        if summons is None:
            raise Refused(_("This is not a valid check-in code. Scan the code posted on site again."), 404)
        whistle = summons.whistle
        mine = [summons] if summons.department_id in depts else []
    if not mine:
        raise Refused(
            _("This code is for another whistle: your department was not summoned by it. Nothing was recorded."),
            404,
        )
    if whistle.appeal.status not in OPEN_STATUSES:
        raise Refused(_("The appeal is closed; arrivals are no longer recorded."), 409)
    return Site(whistle=whistle, mine=mine)


def checkin_by_code(*, actor: Any, token: str, request: HttpRequest | None = None) -> Site:
    """Record the arrival of the actor's summoned department(s), once each (idempotent): a summons already
    checked in is left as it is, and nothing is written for it."""
    site = read_code(actor, token)
    for summons in site.mine:
        if summons.verified:
            continue
        # Checked in a moment ago (a double scan, or a colleague): the first verified arrival stands. A
        # self-declared arrival (the button) is replaced by the scan: the scan proves the department came.
        with contextlib.suppress(InvalidTransition):
            site.recorded.append(
                whistles.summons_checkin(actor=actor, summons=summons, method=Summons.Arrival.SCANNED, request=request)
            )
    site.mine = list(Summons.objects.filter(pk__in=[s.pk for s in site.mine]).select_related("department"))
    return site


def qr_image(url: str, kind: str) -> bytes:
    """The QR code of ``url`` as PNG or SVG bytes, large enough to print and scan from a metre away."""
    qr = segno.make(url, error="m")
    buffer = io.BytesIO()
    if kind == "png":
        qr.save(buffer, kind="png", scale=10, border=4)
    else:
        # No fixed width/height, only the viewBox: the page scales it to the screen (a phone shows it whole).
        qr.save(buffer, kind="svg", scale=10, border=4, xmldecl=False, omitsize=True, title=_("Check-in code"))
    return buffer.getvalue()
