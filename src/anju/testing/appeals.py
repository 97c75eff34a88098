"""Shared builders of the appeals tests (imported by tests/test_appeals_*.py)."""

from __future__ import annotations

import importlib
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from anju.access.roles import Role
from anju.appeals.dispatch import services as dispatch
from anju.appeals.handling import services as handling
from anju.appeals.intake import services as intake
from anju.appeals.models import Appeal, Category, CategoryRoute, Channel, SatisfactionLevel
from anju.orgs.models import UnitKind
from anju.people import fakes
from anju.people import services as people_services
from anju.people.models import Resident
from anju.testing import Tree, make_user
from anju.testing import unit as make_unit


@dataclass
class AppealsWorld:
    tree: Tree
    category: Category
    resident: Any
    other_resident: Any
    worker: Any
    gridworker: Any
    volunteer: Any
    liaison: Any
    other_liaison: Any
    supervisor: Any
    admin: Any

    def file(self, **kw: Any) -> Appeal:
        args: dict[str, Any] = {
            "actor": self.resident,
            "community": self.tree.community,
            "category": self.category,
            "description": "路灯不亮",
            "location": self.tree.building,
            "channel": Channel.APP,
        }
        args.update(kw)
        return intake.appeal_file(**args)

    def level(self, code: str) -> SatisfactionLevel:
        return SatisfactionLevel.objects.get(code=code)

    def to_status(self, appeal: Appeal, target: str) -> Appeal:
        """Drive an appeal through the normal path up to ``target``, from wherever on that path it is."""
        steps = [
            ("accepted", lambda: dispatch.appeal_accept(actor=self.worker, appeal=appeal)),
            (
                "dispatched",
                lambda: dispatch.appeal_dispatch(actor=self.worker, appeal=appeal, department=self.tree.department),
            ),
            ("signed", lambda: handling.appeal_sign(actor=self.liaison, appeal=appeal)),
            ("in_progress", lambda: handling.appeal_contact(actor=self.liaison, appeal=appeal, note="电话联系")),
            ("handled", lambda: handling.appeal_feedback(actor=self.liaison, appeal=appeal, note="已修复")),
            ("verified", lambda: dispatch.appeal_verify(actor=self.worker, appeal=appeal)),
        ]
        path = ["received", *(name for name, _step in steps)]
        start = path.index(appeal.status) if appeal.status in path else 0
        for _name, step in steps[start:]:
            if appeal.status == target:
                break
            step()
        if appeal.status != target:
            raise AssertionError(f"appeal stopped at {appeal.status}, not {target}")
        return appeal


def make_appeals_world(tree: Tree) -> AppealsWorld:
    # A transactional test that ran earlier flushes every table, the seeded catalogue included: seed it again
    # (idempotent) so that these tests do not depend on the order they run in.
    importlib.import_module("anju.appeals.migrations.0002_seed_catalogue").seed(django_apps, None)
    category = Category.objects.get(code="street-lamp")
    CategoryRoute.objects.create(category=category, unit=tree.community, department=tree.department)
    return AppealsWorld(
        tree=tree,
        category=category,
        resident=make_user(Role.RESIDENT, tree.building, mobile="17000000011"),
        other_resident=make_user(Role.RESIDENT, tree.building),
        worker=make_user(Role.COMMUNITY_WORKER, tree.community),
        gridworker=make_user(Role.GRID_WORKER, tree.grid),
        volunteer=make_user(Role.VOLUNTEER, tree.area),
        liaison=make_user(Role.DEPARTMENT_LIAISON, tree.street, department=tree.department),
        other_liaison=make_user(Role.DEPARTMENT_LIAISON, tree.street, department=_other_dept(tree)),
        supervisor=make_user(Role.SUPERVISOR, tree.district),
        admin=make_user(Role.ADMIN, tree.province),
    )


def _other_dept(tree: Tree) -> Any:
    from anju.orgs import services as org_services
    from anju.orgs.models import Department

    return org_services.department_create(
        actor=None, name="东湖街道供电所", kind=Department.Kind.POWER, unit=tree.street
    )


def jpeg_bytes(size: tuple[int, int] = (40, 30), *, exif_gps: bool = False) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (30.0, 27.0, 0.0)}  # GPS IFD
        img.save(buffer, format="JPEG", exif=exif)
    else:
        img.save(buffer, format="JPEG")
    return buffer.getvalue()


def upload(name: str = "p.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else jpeg_bytes(), content_type="image/jpeg")


def make_resident(unit: Any, name: str, n: int, *, mobile: str | None = None) -> Resident:
    """A registered resident heading their own household (door ``100 + n``) in ``unit``, or in a new building
    under it; ``n`` picks the fake ID number and, unless ``mobile`` is given, the fake mobile."""
    if unit.kind != UnitKind.BUILDING:
        unit = make_unit(UnitKind.BUILDING, f"{name}楼", unit)
    household = people_services.household_create(actor=None, unit=unit, door=f"{100 + n}")
    return people_services.resident_create(
        actor=None,
        household=household,
        name=name,
        relation="head",
        id_number=fakes.id_number(date(1950, 5, 17), n, male=True),
        mobile=fakes.mobile(n) if mobile is None else mobile,
        birth_date=date(1950, 5, 17),
    )


def anonymous_appeal(world: AppealsWorld, mobile: str = "17000000055") -> Appeal:
    """An appeal filed without an account, with only a contact name and mobile."""
    return world.file(actor=None, channel=Channel.ANONYMOUS, contact_name="王大妈", contact_mobile=mobile)


def follow(user: Any, appeal: Appeal) -> Any:
    """``user`` follows ``appeal`` (我也遇到) as offered while filing: with the token the offer carries."""
    from anju.appeals import privacy

    return intake.appeal_follow(actor=user, appeal=appeal, offer=privacy.offer_token(user, appeal))


def rollup_rows() -> list[tuple[Any, ...]]:
    """The roll-up as sorted tuples (key, then every counter), rows that count nothing left out: what the
    services kept, comparable with what ``anju rollup_rebuild`` writes."""
    from anju.appeals.models import DailyRollup

    return sorted(
        (r.day, r.community_id, r.grid_key, r.department_key, r.category_key, *[getattr(r, n) for n in r.COUNTERS])
        for r in DailyRollup.objects.all()
        if any(getattr(r, n) for n in r.COUNTERS)
    )
