"""Writing an import: check again, then every row in one transaction, or nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import record
from anju.core import crypto
from anju.orgs.models import OrgUnit
from anju.people import services, updates, validation
from anju.people.importing.columns import BATCH, BY_KEY, ImportRejected, Plan, Problem, Progress, no_progress
from anju.people.importing.validate import dry_run
from anju.people.models import Address, Household, Resident, ResidentEvent


def commit(
    *,
    actor: Any,
    community: OrgUnit,
    data: bytes,
    progress: Progress = no_progress,
    actor_label: str = "",
    filename: str = "",
    on_written: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Check, then write every row in one transaction; raises :class:`ImportRejected` and writes
    nothing when any row has a problem. ``on_written(summary)`` runs inside that transaction after
    the rows, so whatever it records (a batch's status) commits with them or not at all."""
    plan = dry_run(community, data, progress)
    if not plan.ok:
        raise ImportRejected(plan.problems)
    try:
        return _write(
            actor=actor,
            community=community,
            plan=plan,
            progress=progress,
            actor_label=actor_label,
            filename=filename,
            on_written=on_written,
        )
    except IntegrityError as exc:
        # Someone registered one of these people between the check and the write.
        raise ImportRejected([Problem(None, "", _("The registry changed during the import; run it again."))]) from exc


def _write(
    *,
    actor: Any,
    community: OrgUnit,
    plan: Plan,
    progress: Progress,
    actor_label: str,
    filename: str,
    on_written: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    today = timezone.localdate()
    total = len(plan.rows)
    with transaction.atomic():
        progress("writing", 0, total)
        tag_ids = {t.name: t.pk for t in services.tags_ensure_default(community=community)}
        # Addresses.
        wanted = {(r.unit.pk, r.entrance, r.door) for r in plan.rows}
        addresses = {
            (a.unit_id, a.entrance, a.door): a
            for a in Address.objects.filter(community=community, unit_id__in={w[0] for w in wanted})
        }
        Address.objects.bulk_create(
            [
                Address(community=community, unit_id=u, entrance=e, door=d)
                for (u, e, d) in wanted
                if (u, e, d) not in addresses
            ],
            batch_size=BATCH,
        )
        addresses = {
            (a.unit_id, a.entrance, a.door): a
            for a in Address.objects.filter(community=community, unit_id__in={w[0] for w in wanted})
        }
        # Households.
        households = {
            (h.address_id, h.number): h
            for h in Household.objects.filter(community=community, status=Household.Status.ACTIVE)
        }
        new_households = {}
        central: set[tuple[int, str]] = set()
        for r in plan.rows:
            address = addresses[(r.unit.pk, r.entrance, r.door)]
            key = (address.pk, r.household_number)
            if r.is_central:
                central.add(key)
            if key not in households and key not in new_households:
                new_households[key] = Household(
                    community=community, address=address, unit_id=r.unit.pk, number=r.household_number
                )
        for key, household in new_households.items():
            household.is_central = key in central
        Household.objects.bulk_create(list(new_households.values()), batch_size=BATCH)
        made_central = [h for k, h in households.items() if k in central and not h.is_central]
        for h in made_central:
            h.is_central = True
        Household.objects.bulk_update(made_central, ["is_central"], batch_size=BATCH)
        households.update(new_households)
        # Residents.
        residents = []
        for done, r in enumerate(plan.rows, start=1):
            address = addresses[(r.unit.pk, r.entrance, r.door)]
            household = households[(address.pk, r.household_number)]
            resident = Resident(community=community, household=household, unit_id=r.unit.pk)
            person = r.person
            resident.name = person["name"]
            resident.name_pinyin, resident.name_initials = validation.name_keys(resident.name)
            if person.get("mobile"):
                resident.mobile_sealed = crypto.encrypt(person["mobile"])
                resident.mobile_index = services.mobile_index(person["mobile"])
            resident.id_number_sealed = crypto.encrypt(person["id_number"])
            resident.id_number_index = r.id_index
            resident.gender = person.get("gender", "")
            resident.birth_date = person.get("birth_date")
            resident.relation = person["relation"]
            resident.is_party_member = person.get("is_party_member", False)
            resident.party_branch = person.get("party_branch", "")
            residents.append(resident)
            if done % BATCH == 0:
                progress("writing", done // 2, total)
        Resident.objects.bulk_create(residents, batch_size=BATCH)
        through = Resident.tags.through
        through.objects.bulk_create(
            [
                through(resident_id=res.pk, tag_id=tag_ids[t])
                for res, r in zip(residents, plan.rows, strict=True)
                for t in r.tags
            ],
            batch_size=BATCH * 4,
        )
        ResidentEvent.objects.bulk_create(
            [
                ResidentEvent(
                    community=community,
                    resident=res,
                    kind=ResidentEvent.Kind.IMPORTED,
                    on_date=today,
                    note=filename[:200],
                    actor=real_actor,
                )
                for res in residents
            ],
            batch_size=BATCH,
        )
        refused = updates.apply(actor=actor, updates=plan.updates, header=lambda key: BY_KEY[key].header)
        if refused:
            raise ImportRejected([Problem(*p) for p in refused])  # leaves the transaction: nothing is written
        summary = plan.summary()
        summary.update({"households_created": len(new_households), "residents_created": len(residents)})
        record(
            Action.RESIDENT_IMPORTED,
            actor=actor,
            community=community,
            actor_label=actor_label,
            data={"file": filename[:100], **summary},
        )
        if on_written is not None:
            on_written(summary)
        progress("writing", total, total)
    return summary
