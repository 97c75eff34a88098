"""Excel export of a filtered resident list: masked, or unmasked with a reason (logged per resident)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from anju.access import policy
from anju.audit.actions import Action
from anju.audit.models import PiiAccess
from anju.audit.reasons import clean_reveal_reason
from anju.audit.services import client_ip, record
from anju.people import layout
from anju.people.importing.columns import COLUMNS
from anju.people.importing.template import rows_to_xlsx
from anju.people.models import Resident
from anju.people.selectors import Viewer

EXPORT_MAX_ROWS = 20_000
STATUS_HEADER = ("状态", "Status")  # shown for reading; the import ignores it


def headers() -> list[str]:
    """The export's header row: the import's columns in the user's language (``people.layout``), then the status."""
    return [layout.header(c.key, c.header) for c in COLUMNS] + [
        STATUS_HEADER[0] if layout.chinese() else STATUS_HEADER[1]
    ]


def export_row(viewer: Viewer, r: Resident, *, unmasked: bool) -> list[Any]:
    """One resident in the import's layout: what this viewer may see, masked cells marked with ``*`` (which
    the import reads as "unchanged"), the resident's number so that a corrected sheet updates them."""
    view = viewer.row(r)
    profile = viewer.profile(r)
    household = r.household
    address = household.address
    values: dict[str, Any] = {
        "name": view["name"],
        "gender": layout.gender_word(r.gender),
        "birth_date": view["birth_date"].isoformat() if view["birth_date"] else "",
        "id_number": r.id_number if unmasked else view["id_number"],
        "mobile": r.mobile if unmasked else view["mobile"],
        "building": address.unit.name,
        "entrance": address.entrance,
        "door": address.door if profile.door else layout.MASK * 3,
        "household_number": household.number,
        "relation": layout.relation_word(r.relation),
        "tags": "、".join(view["tag_names"]),
        "is_party_member": layout.yes_no(r.is_party_member),
        "party_branch": r.party_branch,
        "is_central": layout.yes_no(household.is_central),
        layout.RESIDENT_NUMBER: r.pk,
    }
    return [values.get(c.key, "") for c in COLUMNS] + [view["status_label"]]


def export_residents(
    *,
    actor: Any,
    residents: QuerySet[Resident],
    unmasked: bool = False,
    purpose: str = "",
    reason: str = "",
    request: HttpRequest | None = None,
) -> bytes:
    viewer = Viewer(actor)
    people = list(residents[:EXPORT_MAX_ROWS])
    if unmasked:
        if not policy.can(actor, "people.reveal"):
            raise PermissionDenied
        why = clean_reveal_reason(purpose, reason)
        if any(not viewer.may_reveal(r) for r in people):
            raise PermissionDenied
    rows = [export_row(viewer, r, unmasked=unmasked) for r in people]
    data = rows_to_xlsx(headers(), iter(rows))
    with transaction.atomic():
        if unmasked:
            ip = client_ip(request)
            PiiAccess.objects.bulk_create(
                [
                    PiiAccess(
                        actor=actor,
                        subject_type=r._meta.label_lower,
                        subject_id=str(r.pk),
                        subject_label=str(r)[:200],
                        field="export:mobile,id_number",
                        purpose=why.purpose,
                        reason=why.text,
                        community_id=r.community_id,
                        ip=ip,
                    )
                    for r in people
                ],
                batch_size=1000,
            )
        record(
            Action.RESIDENT_EXPORTED,
            actor=actor,
            request=request,
            data={"rows": len(people), "unmasked": unmasked, "columns": len(COLUMNS)},
        )
    return data
