"""Demo mediation cases for ``anju demo``, through the services: fictional people only, one case in every state
(being mediated with a session booked in the mediation room, agreed and followed up, closed, no agreement,
referred on, reopened after a broken agreement). Idempotent: nothing is added once the community has a case."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from anju.core.registry import Demo
from anju.mediation import services
from anju.mediation.models import Case, FollowUp, Kind, Party, ReferredTo

P = Party.Role


def _open(staff: Any, community: Any, kind: str, account: str, names: tuple[str, str], **extra: Any) -> Case:
    return services.case_open(
        actor=staff,
        community=community,
        kind=kind,
        account=account,
        parties=[services.PartyIn(role=P.APPLICANT, name=names[0]), services.PartyIn(role=P.RESPONDENT, name=names[1])],
        lead=staff,
        **extra,
    )


def _agree(staff: Any, case: Case, facts: str, promise: str) -> None:
    parties = list(case.parties.all())
    due = timezone.localdate() + dt.timedelta(days=14)
    services.agreement_record(
        actor=staff,
        case=case,
        facts=facts,
        undertakings=[services.UndertakingIn(parties[1], promise, due)],
    )


def load(demo: Demo) -> int:
    community = demo.units["community"]
    staff = demo.staff
    if Case.objects.filter(community=community).exists():
        return 0
    station = demo.made.get("spaces")
    rooms = services.mediation_rooms(community) if station is not None else []
    ongoing = _open(
        staff,
        community,
        Kind.NOISE,
        "楼上夜间搬动家具，楼下休息受影响，双方多次争吵。",
        ("（示例）赵甲", "（示例）钱乙"),
    )
    if rooms:
        day = timezone.localdate() + dt.timedelta(days=3)
        starts = dt.datetime.combine(day, dt.time(15), tzinfo=timezone.get_current_timezone())
        try:
            services.session_schedule(
                actor=staff, case=ongoing, space=rooms[0], starts_at=starts, ends_at=starts + dt.timedelta(hours=1)
            )
        except Exception as exc:  # noqa: BLE001  the demo goes on without the session
            demo.log(f"  mediation session: {exc}")
    agreed = _open(
        staff, community, Kind.NEIGHBOURS, "邻居在公共走道堆放杂物，影响通行。", ("（示例）孙丙", "（示例）李丁")
    )
    _agree(staff, agreed, "双方确认走道杂物系李丁家堆放。", "一周内清理走道杂物，今后不再堆放")
    closed = _open(
        staff, community, Kind.PROPERTY, "业主对物业维修费用有异议。", ("（示例）周戊", "（示例）某物业公司")
    )
    _agree(staff, closed, "双方确认维修费用按实际材料费结算。", "退还多收的维修费")
    for f in closed.follow_ups.all():
        services.follow_up_record(actor=staff, follow_up=f, result=FollowUp.Result.KEPT, note="已履行")
    failed = _open(
        staff, community, Kind.FAMILY, "兄弟二人就老人赡养费分担发生争执。", ("（示例）吴己", "（示例）吴庚")
    )
    services.no_agreement_record(actor=staff, case=failed, reason="双方分歧较大，未能达成一致，已告知诉讼途径。")
    referred = _open(
        staff,
        community,
        Kind.DEBT,
        "邻居之间借款两万元到期未还。",
        ("（示例）郑辛", "（示例）王壬"),
        violence_risk=True,
    )
    services.referral_record(
        actor=staff, case=referred, referred_to=ReferredTo.JUSTICE, reason="金额较大，建议司法所主持调解。"
    )
    reopened = _open(staff, community, Kind.LAND, "两户菜地边界争议。", ("（示例）冯癸", "（示例）陈子"))
    _agree(staff, reopened, "双方确认以原界桩为准。", "拆除越界篱笆")
    first = reopened.follow_ups.order_by("due_on").first()
    if first is not None:
        services.follow_up_record(actor=staff, follow_up=first, result=FollowUp.Result.BROKEN, note="篱笆未拆")
        services.case_reopen(actor=staff, case=reopened)
    demo.log("  mediation: 6 fictional cases")
    return 6
