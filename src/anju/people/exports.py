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
from anju.people.importing.columns import COLUMNS
from anju.people.importing.template import rows_to_xlsx
from anju.people.models import Resident
from anju.people.selectors import Viewer

EXPORT_MAX_ROWS = 20_000
HEADERS = [
    "姓名",
    "性别",
    "出生日期或年龄",
    "身份证号",
    "手机号",
    "住址",
    "与户主关系",
    "标签",
    "党员",
    "所属党支部",
    "状态",
]


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
    rows = []
    for r in people:
        view = viewer.row(r)
        rows.append(
            [
                view["name"],
                view["gender_label"],
                view["birth"],
                r.id_number if unmasked else view["id_number"],
                r.mobile if unmasked else view["mobile"],
                view["address"],
                view["relation_label"],
                "、".join(view["tags"]),
                "是" if r.is_party_member else "否",
                view["party_branch"],
                view["status_label"],
            ]
        )
    data = rows_to_xlsx([str(h) for h in HEADERS], iter(rows))
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
