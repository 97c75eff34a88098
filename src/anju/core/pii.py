"""Where every personal-data field lives, and why (PIPL: purpose, minimum necessary, retention).

Each field that holds personal information is listed once in :data:`PERSONAL`
with its category, purpose and retention. Fields whose names look personal but
are not (a department's duty phone) are listed in :data:`NOT_PERSONAL` with the
reason. ``tests/test_people_pii.py`` walks every model of every installed app
and fails on a field that looks personal and is in neither list.

The detection rule (:func:`looks_personal`):

* a field whose name contains ``mobile``, ``phone``, ``tel``, ``id_number``,
  ``id_card``, ``birth``, ``gender``, ``sex``, ``ethnic``, ``address``, ``door``,
  ``sealed``, ``blind``, ``pinyin``, ``initials``, ``party``, ``tags``,
  ``health`` or ``email`` looks personal wherever it is;
* a field named ``name`` or ``…_name`` looks personal on a *person model*:
  accounts.User, people.Resident, or any model with a foreign key to either
  (the name then belongs to a person, as with a task-force member).

Sealed fields (``*_sealed``) are also what ``anju rotate_keys`` re-encrypts:
:func:`sealed_fields` reads them from this registry; :func:`screened_fields` lists the free-text
columns whose typed numbers are sealed in a trailer (``core.screening``), re-sealed the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models


class Category:
    IDENTITY = "identity"  # a name
    CONTACT = "contact"  # mobile number
    GOVERNMENT_ID = "government_id"  # resident ID number (sensitive under PIPL art. 28)
    DEMOGRAPHIC = "demographic"  # gender, birth date
    ADDRESS = "address"  # where a household lives
    SOCIAL = "social"  # tags: disability, minimum-income, pregnancy … (sensitive)
    POLITICAL = "political"  # party membership
    LOOKUP = "lookup"  # keyed hashes and search keys derived from the above


@dataclass(frozen=True)
class PersonalField:
    model: str  # "app_label.ModelName"
    field: str
    category: str
    purpose: str
    retention: str
    sensitive: bool = False


_RESIDENT = "Kept while the person lives here; anonymised ANJU_PEOPLE_RETENTION_DAYS after archiving."
_ACCOUNT = "Kept while the account exists."

PERSONAL: tuple[PersonalField, ...] = (
    PersonalField("accounts.User", "display_name", Category.IDENTITY, "Show who did what", _ACCOUNT),
    PersonalField("accounts.User", "mobile_sealed", Category.CONTACT, "Sign-in and notices", _ACCOUNT),
    PersonalField("accounts.User", "mobile_index", Category.LOOKUP, "Exact lookup of the mobile number", _ACCOUNT),
    PersonalField("accounts.User", "email_sealed", Category.CONTACT, "Notices by email (optional)", _ACCOUNT),
    PersonalField("orgs.TaskForceMember", "name", Category.IDENTITY, "List a task force's members", "While a member"),
    PersonalField("people.Resident", "name", Category.IDENTITY, "Serve and contact the resident", _RESIDENT),
    PersonalField("people.Resident", "name_pinyin", Category.LOOKUP, "Search by pinyin", _RESIDENT),
    PersonalField("people.Resident", "name_initials", Category.LOOKUP, "Search by pinyin initials", _RESIDENT),
    PersonalField("people.Resident", "gender", Category.DEMOGRAPHIC, "Statistics and targeted services", _RESIDENT),
    PersonalField("people.Resident", "birth_date", Category.DEMOGRAPHIC, "Age-based services (elderly)", _RESIDENT),
    PersonalField("people.Resident", "mobile_sealed", Category.CONTACT, "Contact the resident", _RESIDENT),
    PersonalField("people.Resident", "mobile_index", Category.LOOKUP, "Exact search by mobile number", _RESIDENT),
    PersonalField(
        "people.Resident", "id_number_sealed", Category.GOVERNMENT_ID, "Identify the person", _RESIDENT, True
    ),
    PersonalField(
        "people.Resident", "id_number_index", Category.LOOKUP, "Duplicate detection and exact search", _RESIDENT
    ),
    PersonalField("people.Resident", "tags", Category.SOCIAL, "Target care and assistance", _RESIDENT, True),
    PersonalField("people.Resident", "is_party_member", Category.POLITICAL, "Party-member services", _RESIDENT, True),
    PersonalField("people.Resident", "party_branch", Category.POLITICAL, "Party-member services", _RESIDENT, True),
    PersonalField("people.Address", "door", Category.ADDRESS, "Find the household", "Kept; not linked to a person"),
    PersonalField(
        "accounts.SignInCode",
        "mobile_index",
        Category.LOOKUP,
        "Check a sign-in code and count the codes a number asked for",
        "Two days (accounts.purge_sign_in_codes)",
    ),
    PersonalField(
        "inbox.SmsOutbox", "phone_sealed", Category.CONTACT, "Send a sign-in code by SMS", "Kept with the SMS row"
    ),
    PersonalField(
        "appeals.Appeal", "contact_name_sealed", Category.IDENTITY, "Call the requester back", "Kept with the appeal"
    ),
    PersonalField(
        "appeals.Appeal", "contact_mobile_sealed", Category.CONTACT, "Call the requester back", "Kept with the appeal"
    ),
    PersonalField(
        "appeals.Appeal", "contact_mobile_index", Category.LOOKUP, "Find a requester's appeals", "Kept with the appeal"
    ),
    PersonalField(
        "appeals.Appeal", "address", Category.ADDRESS, "Where the problem is (may be a home)", "Kept with the appeal"
    ),
    PersonalField(
        "appeals.Appeal",
        "requester_resident",
        Category.IDENTITY,
        "Who asked, in the registry: call back and serve the resident",
        "Kept with the appeal; the registry entry follows its own retention",
    ),
    PersonalField(
        "activities.Registration",
        "name",
        Category.IDENTITY,
        "Who takes part (roster, check-in)",
        "Kept with the activity",
    ),
    PersonalField(
        "activities.Registration",
        "guardian",
        Category.IDENTITY,
        "Who collected a child (guardian check-out)",
        "Kept with the activity",
    ),
    PersonalField(
        "activities.Helper",
        "name",
        Category.IDENTITY,
        "Which volunteer helped at an activity (hours ledger)",
        "Kept with the activity",
    ),
    PersonalField(
        "duty.Volunteer",
        "name",
        Category.IDENTITY,
        "Who is on duty (roster, attendance, hours certificate); masked for other volunteers",
        "Kept while the person volunteers; the hours ledger keeps it for certificates",
    ),
    PersonalField(
        "pairing.Care",
        "level",
        Category.SOCIAL,
        "How often the household is visited (living alone, disability, minimum allowance …)",
        "Kept while the household lives here",
        True,
    ),
    PersonalField(
        "pairing.Care",
        "reason",
        Category.SOCIAL,
        "Why the care level was set",
        "Kept while the household lives here",
        True,
    ),
    PersonalField("pairing.Visit", "met", Category.IDENTITY, "Whom the visitor met", "Kept with the visit log"),
    PersonalField(
        "pairing.Visit",
        "note",
        Category.SOCIAL,
        "What the visitor found (typed numbers sealed, core.screening)",
        "Kept with the visit log",
        True,
    ),
    PersonalField(
        "contributions.Contribution",
        "name",
        Category.IDENTITY,
        "Who gave what (receipt, thanks, the public notice unless the gift is anonymous)",
        "Kept with the project's ledger (append-only: a public record of what was given)",
    ),
    PersonalField(
        "mediation.Party",
        "name",
        Category.IDENTITY,
        "Who is a party to a confidential mediation case (sessions, the agreement)",
        "Kept with the case; read only by its mediators, every read logged",
        True,
    ),
    PersonalField(
        "people.ImportBatch",
        "file_sealed",
        Category.GOVERNMENT_ID,
        "Hold an uploaded workbook between check and import",
        "Emptied when the import finishes or is rejected",
        True,
    ),
    PersonalField(
        "consult.Nomination",
        "name",
        Category.IDENTITY,
        "The name an honour (评比) nominee is published under on the notice board and certificate",
        "Kept with the honours campaign",
    ),
)

NOT_PERSONAL: dict[str, str] = {
    "orgs.Department.phone": "A department's public duty phone.",
    "spaces.Station.address": "The station's public address.",
    "spaces.Station.phone": "The station's public phone.",
    "people.Household.address": "A link to the address row; the door number is classified there.",
    "accounts.ApiToken.name": "A label the user gives a token.",
    "accounts.User.notify_by_email": "A yes/no preference, not an address.",
    "accounts.SignInCode.address": "The network address a code was asked from (its limit), purged after two days.",
    "orgs.TaskForceMember.role": "A role in the team, not a person.",
    "people.Household.is_central": "A household attribute (central household), not about one person.",
    "people.ImportBatch.filename": "The uploaded file's name.",
    "people.ResidentEvent.fields": "Names of changed fields, never their values.",
    "audit.PiiAccess.subject_label": "A masked label.",
    "activities.Activity.target_tags": "The groups an activity is meant for, not anyone's own tags.",
    "contributions.Project.name": "A project's title (a new bench, a garden), not a person's name.",
    "mediation.Undertaking.party": "A link to the party row; the party's name is classified there.",
}

STRONG = re.compile(
    r"mobile|phone|(^|_)tel($|_)|id_number|id_card|idcard|birth|gender|(^|_)sex($|_)|ethnic|address|door|"
    r"sealed|blind|pinyin|initials|party|tags|health|e_?mail"
)
WEAK = re.compile(r"(^|_)name$")
PERSON_MODELS = frozenset({"accounts.User", "people.Resident"})


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def is_person_model(model: type[models.Model]) -> bool:
    if _label(model) in PERSON_MODELS:
        return True
    for field in model._meta.get_fields():
        target = getattr(field, "related_model", None)
        if getattr(field, "concrete", False) and field.many_to_one and target and _label(target) in PERSON_MODELS:
            return True
    return False


def looks_personal(model: type[models.Model], field_name: str) -> bool:
    name = field_name.lower()
    return bool(STRONG.search(name) or (WEAK.search(name) and is_person_model(model)))


def classified() -> dict[str, PersonalField]:
    return {f"{p.model}.{p.field}": p for p in PERSONAL}


def unclassified_fields() -> list[str]:
    """Every concrete field of every installed model that looks personal and is not classified."""
    known = classified()
    found = []
    for model in apps.get_models(include_auto_created=False):
        for field in model._meta.get_fields():
            if not (getattr(field, "concrete", False) or field.many_to_many) or field.auto_created:
                continue
            key = f"{_label(model)}.{field.name}"
            if key in known or key in NOT_PERSONAL:
                continue
            if looks_personal(model, field.name):
                found.append(key)
    return sorted(found)


#: Free-text columns whose typed numbers are sealed in a trailer (``core.screening``) and that are not a
#: ``ScreenedCharField`` (those are found by their class): ``anju rotate_keys`` re-seals their trailers.
SCREENED_TEXT: tuple[str, ...] = (
    "appeals.Appeal.description",
    "appeals.Appeal.address",
    "appeals.AppealEvent.note",
    "appeals.Callback.comment",
    "pairing.Visit.note",
    "consult.Nomination.reason",
    "consult.Objection.body",
)


def screened_fields() -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every free-text column that holds screened (sealed) numbers."""
    from anju.core.screening import ScreenedCharField

    found = []
    for label in SCREENED_TEXT:
        app_model, _dot, field = label.rpartition(".")
        found.append((apps.get_model(app_model), field))
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if isinstance(f, ScreenedCharField) and (model, f.name) not in found:
                found.append((model, f.name))
    return found


def sealed_fields() -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every sealed personal field, for key rotation."""
    result = []
    for p in PERSONAL:
        if p.field.endswith("_sealed"):
            result.append((apps.get_model(p.model), p.field))
    return result


def reseal_all(*, batch_size: int = 500, progress: object = None) -> dict[str, int]:
    """Re-seal every sealed value under the current key (``anju rotate_keys``).

    Runs table by table in batches, each batch in its own transaction; safe to
    run twice and to resume after an interruption (values already under the
    current key are left alone). Returns the number of values re-sealed per field.
    """
    from django.db import transaction

    from anju.core import crypto, screening

    counts: dict[str, int] = {}
    current = crypto.keyring().current
    columns: list[tuple[type[models.Model], str, Callable[[str], str | None], bool]]
    columns = [(model, field, crypto.reseal, False) for model, field in sealed_fields()]
    columns += [(model, field, screening.reseal, True) for model, field in screened_fields()]
    for model, field, reseal, screened in columns:
        key = f"{_label(model)}.{field}"
        counts[key] = 0
        if screened:  # only texts with a trailer, and not already under the current key
            qs = model._default_manager.filter(**{f"{field}__contains": "⟦pii v1:"}).exclude(
                **{f"{field}__contains": f"⟦pii v1:{current}:"}
            )
        else:
            qs = model._default_manager.exclude(**{field: ""}).exclude(**{f"{field}__startswith": f"v1:{current}:"})
        last_pk = 0
        while True:
            rows = list(qs.filter(pk__gt=last_pk).order_by("pk").only("pk", field)[:batch_size])
            if not rows:
                break
            changed = []
            for row in rows:
                value = getattr(row, field)
                fresh = reseal(getattr(value, "stored", value))
                if fresh is not None:
                    setattr(row, field, fresh)
                    changed.append(row)
            with transaction.atomic():
                model._default_manager.bulk_update(changed, [field])
            counts[key] += len(changed)
            last_pk = rows[-1].pk
            if callable(progress):
                progress(key, counts[key])
    return counts
