"""Every state change of contributions: keyword-only services, one transaction and one audit row each.

The money ledger: an entry counts toward its project's balance when it is recorded (or, over the community's
threshold, when a second person approves it); counting moves ``Project.balance_fen`` by a conditional UPDATE
(``balance_fen >= amount`` for money going out), so two expenditures racing against a balance that covers one
cannot both count: on PostgreSQL the second UPDATE waits for the first's row lock and re-reads the balance, on
SQLite the IMMEDIATE write transaction serialises them; the CHECK ``balance_fen + advanced_fen >= 0`` stands
behind both. Entries are never changed: a correction is a reversal with a reason (once; never of a reversal)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import record
from anju.contributions.models import (
    DEFAULT_APPROVAL_THRESHOLD_FEN,
    UNITS_OF_KIND,
    Approval,
    Contribution,
    Goal,
    HoursImport,
    Kind,
    MoneyEntry,
    Photo,
    Project,
    Setting,
    Unit,
)
from anju.core.images import clean_image
from anju.core.params import parse_int

#: The largest amount one entry may carry: ¥100,000,000 (in fen).
MAX_FEN = 10_000_000_000
MAX_QUANTITY = Decimal("999999999")
#: Hours of labour that make one person-day when hours come from the duty ledger.
HOURS_PER_DAY = Decimal(8)


# --- parsing ----------------------------------------------------------------------------------------------------


def fen_of(value: Any, *, field: str = "amount") -> int:
    """An amount typed in yuan (``300000``, ``12.5``, ``0.01``) as integer fen; a clear error for anything that
    is not a positive amount in whole fen."""
    if isinstance(value, bool):
        value = ""
    text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    text = text.removeprefix("¥").removeprefix("￥").strip()
    try:
        yuan = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [_("Enter the amount in yuan, e.g. 300000 or 12.50.")]}) from None
    if not yuan.is_finite():
        raise ValidationError({field: [_("Enter the amount in yuan, e.g. 300000 or 12.50.")]})
    if yuan <= 0:
        raise ValidationError({field: [_("The amount must be more than zero.")]})
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise ValidationError({field: [_("The amount cannot be smaller than one fen (0.01 yuan).")]})
    if fen > MAX_FEN:
        raise ValidationError({field: [_("The amount is too large for one entry.")]})
    return int(fen)


def quantity_of(value: Any, *, field: str = "quantity") -> Decimal:
    message = _("Enter the quantity as a number more than zero, e.g. 80 or 1.5.")
    if isinstance(value, bool):
        raise ValidationError({field: [message]})
    try:
        q = Decimal(str(value if value is not None else "").strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [message]}) from None
    if not q.is_finite() or q <= 0:
        raise ValidationError({field: [message]})
    if q != q.quantize(Decimal("0.01"), rounding=ROUND_DOWN):
        raise ValidationError({field: [_("Give the quantity to at most two decimal places.")]})
    if q > MAX_QUANTITY:
        raise ValidationError({field: [_("The quantity is too large.")]})
    return q


def check_unit(kind: str, unit: str, *, field: str = "unit") -> None:
    if kind not in Kind.values:
        raise ValidationError({"kind": [_("Choose what kind of contribution this is.")]})
    if unit not in UNITS_OF_KIND[kind]:
        allowed = "、".join(str(Unit(u).label) for u in UNITS_OF_KIND[kind])
        raise ValidationError(
            {
                field: [
                    _("%(kind)s is counted in %(units)s, not %(unit)s.")
                    % {
                        "kind": Kind(kind).label,
                        "units": allowed,
                        "unit": Unit(unit).label if unit in Unit.values else unit,
                    }
                ]
            }
        )


def yuan(fen: int) -> str:
    """Fen shown as yuan with two decimals and thousands separators (¥ left to the template)."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{part:02d}"


def _text(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _day(value: date | None, field: str = "day") -> date:
    if value is None:
        raise ValidationError({field: [_("Enter the date.")]})
    if value > timezone.localdate():
        raise ValidationError({field: [_("This date is still to come.")]})
    if value.year < 1900:
        raise ValidationError({field: [_("Enter the date.")]})
    return value


# --- settings -----------------------------------------------------------------------------------------------------


def setting_of(community_id: int) -> Setting:
    """The community's setting (unsaved defaults when it never chose)."""
    found = Setting.objects.filter(community_id=community_id).first()
    return found or Setting(community_id=community_id)


def threshold_fen(community_id: int) -> int:
    found = Setting.objects.filter(community_id=community_id).values_list("approval_threshold_fen", flat=True).first()
    return DEFAULT_APPROVAL_THRESHOLD_FEN if found is None else int(found)


def setting_set(
    *, actor: Any, community: Any, public: bool, threshold: Any, request: HttpRequest | None = None
) -> Setting:
    """Whether the community's project pages are public, and above what amount a money entry needs a second
    person's approval."""
    fen = fen_of(threshold, field="threshold")
    with transaction.atomic():
        setting, _created = Setting.objects.get_or_create(community_id=community.pk)
        Setting.objects.filter(pk=setting.pk).update(public=bool(public), approval_threshold_fen=fen)
        setting.refresh_from_db()
        record(
            Action.CONTRIBUTIONS_SETTING_CHANGED,
            actor=actor,
            obj=setting,
            request=request,
            data={"public": bool(public), "threshold_fen": fen},
        )
    return setting


def _next_receipt(community_id: int, day: date) -> str:
    """The next receipt number of the community (inside the caller's transaction; the row lock numbers them
    one by one)."""
    Setting.objects.get_or_create(community_id=community_id)
    setting = Setting.objects.select_for_update().get(community_id=community_id)
    n = setting.last_receipt + 1
    Setting.objects.filter(pk=setting.pk).update(last_receipt=n)
    return f"{day.year}-{n:05d}"


# --- projects -----------------------------------------------------------------------------------------------------


def _goals(goals: Iterable[tuple[str, str, Any]]) -> list[tuple[str, str, Decimal]]:
    out: list[tuple[str, str, Decimal]] = []
    seen: set[tuple[str, str]] = set()
    for kind, unit, quantity in goals:
        check_unit(kind, unit, field="goals")
        q = quantity_of(quantity, field="goals")
        if (kind, unit) in seen:
            raise ValidationError({"goals": [_("Give each goal once per kind and unit.")]})
        seen.add((kind, unit))
        out.append((kind, unit, q))
    return out


def project_create(
    *,
    actor: Any,
    community: Any,
    name: str,
    description: str = "",
    status: str = Project.Status.PLANNED,
    goals: Iterable[tuple[str, str, Any]] = (),
    request: HttpRequest | None = None,
) -> Project:
    errors: dict[str, list[str]] = {}
    name = _text(name, 100)
    if not name:
        errors["name"] = [_("Name the project.")]
    if status not in Project.Status.values:
        errors["status"] = [_("Choose the project's status.")]
    if errors:
        raise ValidationError(errors)
    clean_goals = _goals(goals)
    with transaction.atomic():
        project = Project.objects.create(
            community_id=community.pk,
            name=name,
            description=_text(description, 4000),
            status=status,
            created_by=actor,
        )
        for kind, unit, q in clean_goals:
            Goal.objects.create(community_id=community.pk, project=project, kind=kind, unit=unit, quantity=q)
        record(
            Action.CONTRIBUTIONS_PROJECT_CREATED,
            actor=actor,
            obj=project,
            request=request,
            data={"name": name, "goals": len(clean_goals)},
        )
    return project


def project_update(
    *,
    actor: Any,
    project: Project,
    name: str,
    description: str,
    status: str,
    request: HttpRequest | None = None,
) -> Project:
    """Name, description and status (the balance is never written here)."""
    name = _text(name, 100)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Name the project.")]
    if status not in Project.Status.values:
        errors["status"] = [_("Choose the project's status.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Project.objects.filter(pk=project.pk).update(name=name, description=_text(description, 4000), status=status)
        record(
            Action.CONTRIBUTIONS_PROJECT_UPDATED,
            actor=actor,
            obj=project,
            request=request,
            data={"name": name, "status": status},
        )
    project.refresh_from_db()
    return project


def goal_set(
    *, actor: Any, project: Project, kind: str, unit: str, quantity: Any, request: HttpRequest | None = None
) -> Goal:
    ((kind, unit, q),) = _goals([(kind, unit, quantity)])
    with transaction.atomic():
        goal, _c = Goal.objects.update_or_create(
            project=project, kind=kind, unit=unit, defaults={"quantity": q, "community_id": project.community_id}
        )
        record(
            Action.CONTRIBUTIONS_PROJECT_UPDATED,
            actor=actor,
            obj=project,
            request=request,
            data={"goal": [kind, unit, str(q)]},
        )
    return goal


def photo_add(
    *, actor: Any, project: Project, stage: str, image: Any, caption: str = "", request: HttpRequest | None = None
) -> Photo:
    if stage not in Photo.Stage.values:
        raise ValidationError({"stage": [_("Choose before or after.")]})
    if image is None:
        raise ValidationError({"image": [_("Choose a photo.")]})
    clean = clean_image(image, field="image", max_side=2000)
    with transaction.atomic():
        photo = Photo(community_id=project.community_id, project=project, stage=stage, caption=_text(caption, 100))
        photo.image = clean.content
        photo.save()
        record(
            Action.CONTRIBUTIONS_PROJECT_UPDATED,
            actor=actor,
            obj=project,
            request=request,
            data={"photo": photo.pk, "stage": stage},
        )
    return photo


# --- the money ledger ---------------------------------------------------------------------------------------------


def is_counted(entry: MoneyEntry) -> bool:
    """Whether the entry moves the balance: not awaiting or refused approval."""
    if not entry.needs_approval:
        return True
    try:
        approval = entry.approval
    except Approval.DoesNotExist:
        approval = None
    return approval is not None and approval.decision == Approval.Decision.APPROVED


def _beyond_balance(project: Project, amount_fen: int) -> ValidationError:
    current = Project.objects.filter(pk=project.pk).values_list("balance_fen", flat=True).first() or 0
    return ValidationError(
        {
            "amount": [
                _(
                    "¥%(amount)s is more than the project's balance of ¥%(balance)s; mark it as advanced (垫付) if "
                    "someone paid it in advance."
                )
                % {"amount": yuan(amount_fen), "balance": yuan(current)}
            ]
        }
    )


def _count(entry: MoneyEntry) -> None:
    """Move the project's balance by the entry (inside the caller's transaction). Money going out needs the
    balance to cover it unless it is an advanced expenditure; raises ValidationError otherwise."""
    amount = entry.amount_fen
    rows = Project.objects.filter(pk=entry.project_id)
    if entry.advanced:  # an advanced expenditure or its reversal: the advance moves with the balance
        rows.update(balance_fen=F("balance_fen") + amount, advanced_fen=F("advanced_fen") - amount)
        return
    if amount >= 0:
        rows.update(balance_fen=F("balance_fen") + amount)
        return
    try:
        with transaction.atomic():
            moved = rows.filter(balance_fen__gte=-amount).update(balance_fen=F("balance_fen") + amount)
    except IntegrityError:
        moved = 0
    if not moved and entry.type == MoneyEntry.Type.REVERSAL:
        raise ValidationError(
            {
                "__all__": [
                    _(
                        "Reversing this receipt would take the project's balance below zero: its money is "
                        "already spent. Reverse the expenditures first."
                    )
                ]
            }
        )
    if not moved:
        raise _beyond_balance(entry.project, -amount)


def _entry(
    *,
    actor: Any,
    project: Project,
    type: str,
    amount_fen: int,
    day: date,
    purpose: str = "",
    payee: str = "",
    invoice: Any = None,
    advanced: bool = False,
) -> MoneyEntry:
    """Write one receipt or expenditure and count it when it needs no approval (inside a transaction)."""
    needs = abs(amount_fen) > threshold_fen(project.community_id)
    entry = MoneyEntry(
        community_id=project.community_id,
        project=project,
        type=type,
        amount_fen=amount_fen,
        day=day,
        purpose=purpose,
        payee=payee,
        advanced=advanced,
        needs_approval=needs,
        recorded_by=actor,
    )
    if invoice is not None:
        entry.invoice = invoice.content
    entry.save()
    if not needs:
        _count(entry)
    return entry


def expenditure_record(
    *,
    actor: Any,
    project: Project,
    amount: Any,
    day: date | None,
    purpose: str,
    payee: str = "",
    invoice: Any = None,
    advanced: bool = False,
    request: HttpRequest | None = None,
) -> MoneyEntry:
    """Money paid out of a project (with the invoice photo and what it paid for). Beyond the balance only when
    marked as advanced (垫付); over the threshold it counts once a second person approves it."""
    errors: dict[str, list[str]] = {}
    fen = 0
    try:
        fen = fen_of(amount)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    purpose = _text(purpose, 200)
    if not purpose:
        errors["purpose"] = [_("Say what the money paid for.")]
    try:
        clean_day = _day(day)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    clean_invoice = None
    if invoice is not None:
        try:
            clean_invoice = clean_image(invoice, field="invoice", max_side=2400)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if not errors and not advanced:
        current = Project.objects.filter(pk=project.pk).values_list("balance_fen", flat=True).first() or 0
        if fen > current:  # checked again, under the balance row's lock, when it counts
            errors.update(_beyond_balance(project, fen).message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        entry = _entry(
            actor=actor,
            project=project,
            type=MoneyEntry.Type.EXPENDITURE,
            amount_fen=-fen,
            day=clean_day,
            purpose=purpose,
            payee=_text(payee, 100),
            invoice=clean_invoice,
            advanced=bool(advanced),
        )
        record(
            Action.CONTRIBUTIONS_EXPENDITURE_RECORDED,
            actor=actor,
            obj=project,
            request=request,
            data={"entry": entry.pk, "amount_fen": fen, "advanced": bool(advanced), "pending": entry.needs_approval},
        )
    return entry


def entry_decide(
    *, actor: Any, entry: MoneyEntry, approve: bool, note: str = "", request: HttpRequest | None = None
) -> Approval:
    """The second person approves (the entry counts now) or rejects (it never counts) an entry over the
    threshold. The one who recorded it cannot decide on it."""
    if not entry.needs_approval:
        raise ValidationError({"__all__": [_("This entry needs no approval: it already counts.")]})
    if entry.recorded_by_id == actor.pk:
        raise ValidationError(
            {"__all__": [_("You recorded this entry: a second person must approve it (four-eyes principle).")]}
        )
    decision = Approval.Decision.APPROVED if approve else Approval.Decision.REJECTED
    try:
        with transaction.atomic():
            locked = MoneyEntry.objects.select_related("project").get(pk=entry.pk)
            Project.objects.select_for_update().filter(pk=locked.project_id).first()
            if Approval.objects.filter(entry=locked).exists():
                raise ValidationError({"__all__": [_("This entry has already been decided.")]})
            approval = Approval.objects.create(
                community_id=locked.community_id,
                entry=locked,
                decision=decision,
                entry_recorded_by_id=locked.recorded_by_id,
                decided_by=actor,
                note=_text(note, 200),
            )
            if approve:
                _count(locked)
            record(
                Action.CONTRIBUTIONS_ENTRY_APPROVED if approve else Action.CONTRIBUTIONS_ENTRY_REJECTED,
                actor=actor,
                obj=locked.project,
                request=request,
                data={"entry": locked.pk, "amount_fen": locked.amount_fen},
            )
    except IntegrityError:
        raise ValidationError({"__all__": [_("This entry has already been decided.")]}) from None
    return approval


def entry_reverse(*, actor: Any, entry: MoneyEntry, reason: str, request: HttpRequest | None = None) -> MoneyEntry:
    """Cancel a counted entry with a reversing one (the opposite amount, the reason). A receipt whose money is
    already spent cannot be reversed below a zero balance."""
    with transaction.atomic():
        rev = _reverse_entry(actor=actor, entry=entry, reason=reason)
        record(
            Action.CONTRIBUTIONS_ENTRY_REVERSED,
            actor=actor,
            obj=entry.project,
            request=request,
            data={"entry": entry.pk, "reversal": rev.pk, "reason": rev.reason},
        )
    return rev


def _reverse_entry(*, actor: Any, entry: MoneyEntry, reason: str) -> MoneyEntry:
    reason = _text(reason, 200)
    if not reason:
        raise ValidationError({"reason": [_("Say why the entry is reversed.")]})
    if entry.type == MoneyEntry.Type.REVERSAL:
        raise ValidationError({"__all__": [_("A reversal cannot be reversed; record the entry again instead.")]})
    try:
        with transaction.atomic():
            Project.objects.select_for_update().filter(pk=entry.project_id).first()
            entry = MoneyEntry.objects.select_related("project").get(pk=entry.pk)
            if MoneyEntry.objects.filter(reverses=entry).exists():
                raise ValidationError({"__all__": [_("This entry is already reversed.")]})
            if not is_counted(entry):
                raise ValidationError(
                    {"__all__": [_("This entry does not count yet: it awaits approval or was rejected.")]}
                )
            rev = MoneyEntry.objects.create(
                community_id=entry.community_id,
                project_id=entry.project_id,
                type=MoneyEntry.Type.REVERSAL,
                amount_fen=-entry.amount_fen,
                day=timezone.localdate(),
                purpose=entry.purpose,
                payee=entry.payee,
                advanced=entry.advanced,
                reverses=entry,
                reason=reason,
                recorded_by=actor,
            )
            rev.reverses = entry
            _count(rev)
    except IntegrityError:
        raise ValidationError({"__all__": [_("This entry is already reversed.")]}) from None
    return rev


# --- contributions ------------------------------------------------------------------------------------------------


def contribution_record(
    *,
    actor: Any,
    project: Project,
    contributor: str,
    name: str,
    kind: str,
    quantity: Any,
    unit: str,
    day: date | None,
    anonymous: bool = False,
    resident: Any = None,
    household: Any = None,
    tenure: str = "",
    people: int | None = None,
    days: Any = None,
    value: Any = None,
    description: str = "",
    evidence: Any = None,
    request: HttpRequest | None = None,
) -> Contribution:
    """Record what one contributor gave. Money (in yuan) goes into the ledger as a receipt, counted at once or,
    over the threshold, once a second person approves it. Every contribution gets the next receipt number."""
    errors: dict[str, list[str]] = {}
    if contributor not in Contribution.Contributor.values:
        errors["contributor"] = [_("Choose who gave it.")]
    if resident is not None and resident.community_id != project.community_id:
        errors["resident"] = [_("Choose a resident of this community.")]
    if household is not None and household.community_id != project.community_id:
        errors["household"] = [_("Choose a household of this community.")]
    name = _text(name, 100)
    if not name and resident is not None:
        name = resident.name
    if not name:
        errors["name"] = [_("Name who gave it (it stays hidden from the public if anonymous).")]
    q = Decimal(0)
    try:
        check_unit(kind, unit)
        q = Decimal(fen_of(quantity, field="quantity")) / 100 if kind == Kind.MONEY else quantity_of(quantity)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if kind in (Kind.LAND, Kind.SPACE):
        if tenure not in Contribution.Tenure.values:
            errors["tenure"] = [_("Say whether the land or space is given or lent.")]
    else:
        tenure = ""
    value_fen = None
    if value not in (None, ""):
        try:
            value_fen = fen_of(value, field="value")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        clean_day = _day(day)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    clean_evidence = None
    if evidence is not None:
        try:
            clean_evidence = clean_image(evidence, field="evidence", max_side=2400)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        money = None
        if kind == Kind.MONEY:
            money = _entry(
                actor=actor,
                project=project,
                type=MoneyEntry.Type.RECEIPT,
                amount_fen=int(q * 100),
                day=clean_day,
                purpose=str(_("Donation")),
                payee="",
            )
            value_fen = int(q * 100)
        c = Contribution(
            community_id=project.community_id,
            project=project,
            contributor=contributor,
            name=name,
            resident=resident,
            household=household,
            anonymous=bool(anonymous),
            kind=kind,
            tenure=tenure,
            quantity=q,
            unit=unit,
            people=people,
            days=days,
            value_fen=value_fen,
            day=clean_day,
            description=_text(description, 200),
            receipt_no=_next_receipt(project.community_id, clean_day),
            money_entry=money,
            recorded_by=actor,
        )
        if clean_evidence is not None:
            c.evidence = clean_evidence.content
        c.save()
        record(
            Action.CONTRIBUTIONS_RECORDED,
            actor=actor,
            obj=project,
            request=request,
            data={
                "contribution": c.pk,
                "receipt": c.receipt_no,
                "kind": kind,
                "quantity": str(q),
                "unit": unit,
                "anonymous": bool(anonymous),
                "pending": bool(money and money.needs_approval),
            },
        )
    return c


def labour_record(
    *,
    actor: Any,
    project: Project,
    name: str,
    people: Any,
    days: Any,
    day: date | None,
    description: str = "",
    contributor: str = Contribution.Contributor.ORGANISATION,
    anonymous: bool = False,
    value: Any = None,
    request: HttpRequest | None = None,
) -> Contribution:
    """Labour entered as a group: ``days`` × ``people`` on a work day, counted in person-days."""
    errors: dict[str, list[str]] = {}
    n_people = parse_int(str(people).strip())
    if n_people is None or not 1 <= n_people <= 100_000:
        errors["people"] = [_("Enter how many people worked, e.g. 35.")]
    n_days = Decimal(0)
    try:
        n_days = quantity_of(days, field="days")
        if n_days > 3660:
            raise ValidationError({"days": [_("Enter how many days they worked, e.g. 10.")]})
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    assert n_people is not None  # noqa: S101  checked above
    return contribution_record(
        actor=actor,
        project=project,
        contributor=contributor,
        name=name,
        kind=Kind.LABOUR,
        quantity=(n_days * n_people).quantize(Decimal("0.01")),
        unit=Unit.PERSON_DAY,
        people=n_people,
        days=n_days,
        day=day,
        anonymous=anonymous,
        value=value,
        description=description,
        request=request,
    )


def contribution_reverse(
    *, actor: Any, contribution: Contribution, reason: str, request: HttpRequest | None = None
) -> Contribution:
    """Cancel a contribution with a reversing one (the reason); a money contribution's receipt is reversed in
    the ledger as well (refused when its money is already spent)."""
    reason = _text(reason, 200)
    if not reason:
        raise ValidationError({"reason": [_("Say why the entry is reversed.")]})
    if contribution.reverses_id is not None:
        raise ValidationError({"__all__": [_("A reversal cannot be reversed; record the entry again instead.")]})
    try:
        with transaction.atomic():
            if Contribution.objects.filter(reverses=contribution).exists():
                raise ValidationError({"__all__": [_("This entry is already reversed.")]})
            money_rev = None
            entry = contribution.money_entry
            if entry is not None and is_counted(entry):
                money_rev = _reverse_entry(actor=actor, entry=entry, reason=reason)
            elif entry is not None and not hasattr(entry, "approval"):
                raise ValidationError(
                    {"__all__": [_("This donation awaits approval: reject it instead of reversing it.")]}
                )
            rev = Contribution.objects.create(
                community_id=contribution.community_id,
                project_id=contribution.project_id,
                contributor=contribution.contributor,
                name=contribution.name,
                resident_id=contribution.resident_id,
                household_id=contribution.household_id,
                anonymous=contribution.anonymous,
                kind=contribution.kind,
                tenure=contribution.tenure,
                quantity=-contribution.quantity,
                unit=contribution.unit,
                people=contribution.people,
                days=contribution.days,
                value_fen=-contribution.value_fen if contribution.value_fen else None,
                day=timezone.localdate(),
                description=contribution.description,
                receipt_no=contribution.receipt_no,
                money_entry=money_rev,
                reverses=contribution,
                reason=reason,
                recorded_by=actor,
            )
            record(
                Action.CONTRIBUTIONS_REVERSED,
                actor=actor,
                obj=contribution.project,
                request=request,
                data={"contribution": contribution.pk, "reversal": rev.pk, "reason": reason},
            )
    except IntegrityError:
        raise ValidationError({"__all__": [_("This entry is already reversed.")]}) from None
    return rev


# --- labour from the duty hours ledger, thanks on the notice board ---------------------------------------------


def hours_import(
    *,
    actor: Any,
    project: Project,
    start: date | None,
    end: date | None,
    category: str = "",
    name: str = "",
    request: HttpRequest | None = None,
) -> Contribution:
    """Labour from the duty hours ledger: the net hours of the community's volunteers between two dates (one
    duty category, or all), as person-days (8 hours each) in one labour contribution. Each hours entry is taken
    once; a second import of the same days finds nothing new."""
    from anju.duty import selectors as duty

    errors: dict[str, list[str]] = {}
    if start is None or end is None:
        errors["start"] = [_("Choose the first and last day of the work.")]
    elif end < start:
        errors["end"] = [_("The last day must not be before the first.")]
    elif end > timezone.localdate():
        errors["end"] = [_("This date is still to come.")]
    if errors:
        raise ValidationError(errors)
    assert start is not None  # noqa: S101  checked above
    assert end is not None  # noqa: S101  checked above
    entries = duty.ledger(actor).filter(community_id=project.community_id, day__gte=start, day__lte=end)
    if category:
        entries = entries.filter(category=category[:40])
    taken = set(HoursImport.objects.filter(community_id=project.community_id).values_list("hours_entry_id", flat=True))
    rows = [(e.pk, e.volunteer_id, e.hours) for e in entries.order_by("pk") if e.pk not in taken]
    hours = sum((h for _pk, _v, h in rows), Decimal(0))
    people = len({v for _pk, v, _h in rows})
    if not rows or hours <= 0:
        raise ValidationError({"__all__": [_("No hours of these days are left to take in.")]})
    days = (hours / HOURS_PER_DAY).quantize(Decimal("0.01"))
    with transaction.atomic():
        c = contribution_record(
            actor=actor,
            project=project,
            contributor=Contribution.Contributor.ORGANISATION,
            name=_text(name, 100) or str(_("Volunteers")),
            kind=Kind.LABOUR,
            quantity=days,
            unit=Unit.PERSON_DAY,
            people=people,
            day=end,
            description=_("%(hours)s hours from the duty ledger, %(start)s to %(end)s")
            % {"hours": hours, "start": start.isoformat(), "end": end.isoformat()},
        )
        try:
            with transaction.atomic():
                HoursImport.objects.bulk_create(
                    [
                        HoursImport(community_id=project.community_id, contribution=c, hours_entry_id=pk)
                        for pk, _v, _h in rows
                    ]
                )
        except IntegrityError:
            raise ValidationError({"__all__": [_("These hours were taken in at the same time; try again.")]}) from None
        record(
            Action.CONTRIBUTIONS_HOURS_IMPORTED,
            actor=actor,
            obj=project,
            request=request,
            data={"contribution": c.pk, "entries": len(rows), "hours": str(hours), "people": people},
        )
    return c


def thanks_post(*, actor: Any, contribution: Contribution, request: HttpRequest | None = None) -> Any:
    """A thank-you notice on the community's notice board: the contributor's name, or "a contributor who wishes
    to stay anonymous", what they gave and to which project."""
    from anju.bulletin import services as bulletin
    from anju.contributions.selectors import public_name, quantity_label

    if contribution.reverses_id is not None or Contribution.objects.filter(reverses=contribution).exists():
        raise ValidationError({"__all__": [_("This contribution was reversed: there is nothing to thank for.")]})
    entry = contribution.money_entry
    if entry is not None and not is_counted(entry):
        raise ValidationError(
            {"__all__": [_("This donation does not count yet: thank the giver once it is approved.")]}
        )
    who = str(_("A contributor who wishes to stay anonymous")) if contribution.anonymous else public_name(contribution)
    what = (
        f"¥{yuan(int(contribution.quantity * 100))}"
        if contribution.kind == Kind.MONEY
        else f"{Kind(contribution.kind).label} {quantity_label(contribution.quantity, contribution.unit)}"
    )
    title = _("Thank you: %(who)s gave %(what)s to %(project)s") % {
        "who": who,
        "what": what,
        "project": contribution.project.name,
    }
    text = _("%(who)s gave %(what)s to %(project)s. Receipt %(no)s. Thank you for building our community together.") % {
        "who": who,
        "what": what,
        "project": contribution.project.name,
        "no": contribution.receipt_no,
    }
    with transaction.atomic():
        notice = bulletin.notice_create(
            actor=actor,
            community=contribution.project.community,
            title=title,
            body=f"<p>{escape(text)}</p>",
            request=request,
        )
        record(
            Action.CONTRIBUTIONS_THANKS_POSTED,
            actor=actor,
            obj=contribution.project,
            request=request,
            data={"contribution": contribution.pk, "notice": notice.pk, "anonymous": contribution.anonymous},
        )
    return notice
