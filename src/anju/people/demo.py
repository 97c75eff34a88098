"""Demo households and residents for the demo community: fictional people only (see ``fakes``).

Made through the services, so the demo is audited like real work; idempotent
(nothing is added once the community has residents).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from anju.core.registry import Demo
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import fakes, services
from anju.people.models import DEFAULT_TAGS, Household, Resident, Tag

BRANCH = "安居社区第一党支部"

# (relation, age, tags, party member) per member; one plan per household, cycled over the buildings.
HOUSEHOLD_PLANS: list[list[tuple[str, int, tuple[str, ...], bool]]] = [
    [("head", 78, ("老人", "独居老人"), False)],
    [("head", 66, ("老人", "退役军人"), True), ("spouse", 63, ("老人",), False)],
    [("head", 41, (), True), ("spouse", 38, ("孕产妇",), False), ("child", 9, (), False)],
    [("head", 72, ("老人", "低保"), False), ("grandchild", 10, ("留守儿童",), False)],
    [("head", 52, ("残疾", "低保"), False), ("spouse", 50, (), False)],
    [("head", 35, (), False), ("spouse", 33, (), False), ("child", 6, (), False), ("parent", 69, ("老人",), False)],
    [("head", 84, ("老人", "独居老人", "残疾"), True)],
    [("head", 46, ("退役军人",), True), ("spouse", 44, (), True), ("child", 17, (), False)],
]


def load_demo_people(*, community: OrgUnit, actor: Any = None, households: int = 24) -> int:
    """Returns the number of residents made (0 when the community had some already)."""
    if Resident.objects.filter(community=community).exists():
        return 0
    services.tags_ensure_default(community=community)
    tags = {t.name: t for t in Tag.objects.filter(community=community)}
    assert set(DEFAULT_TAGS) <= set(tags)  # noqa: S101  every tag is covered below
    buildings = list(OrgUnit.objects.filter(community=community, kind=UnitKind.BUILDING).order_by("path"))
    if not buildings:
        return 0
    rng = random.Random(2026)  # noqa: S311  fictional data, not security
    today = date(2026, 1, 1)
    sequence = 0
    made = 0
    for n in range(households):
        building = buildings[n % len(buildings)]
        plan = HOUSEHOLD_PLANS[n % len(HOUSEHOLD_PLANS)]
        household = Household.objects.filter(
            unit=building, address__door=f"{n // len(buildings) + 1}0{n % 4 + 1}"
        ).first()
        if household is None:
            household = services.household_create(
                actor=actor,
                unit=building,
                entrance=str(n % 2 + 1),
                door=f"{n // len(buildings) + 1}0{n % 4 + 1}",
                is_central=any(member[3] for member in plan) and n % 3 == 1,
            )
        for relation, age, tag_names, party in plan:
            sequence += 1
            male = rng.random() < 0.5
            born = today - timedelta(days=age * 365 + rng.randint(0, 300))
            services.resident_create(
                actor=actor,
                household=household,
                name=fakes.name(rng),
                id_number=fakes.id_number(born, sequence, male=male),
                relation=relation,
                birth_date=born,
                mobile=fakes.mobile(10_000 + sequence) if age >= 16 else "",
                tags=[tags[t] for t in tag_names],
                is_party_member=party,
                party_branch=BRANCH if party else "",
            )
            made += 1
    # History: one resident moved out, one died.
    living = list(Resident.objects.filter(community=community).order_by("id"))
    if len(living) > 5:
        services.resident_archive(actor=actor, resident=living[3], reason=Resident.Status.MOVED_OUT, note="迁往武汉市")
        services.resident_archive(actor=actor, resident=living[0], reason=Resident.Status.DECEASED)
    return made


def load(demo: Demo) -> int:
    """``anju demo``'s households and residents in the demo community, and one open desk invitation (the
    resident page shows it; its token is printed once, like at the desk)."""
    made = load_demo_people(community=demo.units["community"], actor=None)
    load_demo_invitation(community=demo.units["community"], actor=demo.staff, log=demo.log)
    return made


def load_demo_invitation(*, community: OrgUnit, actor: Any, log: Any = None) -> str:
    """An open invitation for the first living resident without an account (none when one is open already)."""
    from anju.people.invitations import services as invitations
    from anju.people.models import Invitation

    if Invitation.objects.filter(community=community, used_at__isnull=True, revoked_at__isnull=True).exists():
        return ""
    resident = Resident.objects.active().filter(community=community, account__isnull=True).order_by("id").first()
    if resident is None:
        return ""
    _invitation, token = invitations.invitation_issue(actor=actor, resident=resident, identified_by="known")
    if log is not None:
        log(f"demo invitation for resident #{resident.pk}: /people/invite/{token}/")
    return token
