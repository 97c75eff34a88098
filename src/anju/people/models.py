"""Households, residents and their history; the editable tag list; import batches.

Mobile and ID numbers are stored only sealed (``*_sealed``, AES-GCM with a key
id, ``core/crypto.py``) beside a keyed hash (``*_index``) for exact lookup and
duplicate detection. Every personal field is classified in ``core/pii.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from anju.core import crypto
from anju.core.masking import mask_id_number, mask_mobile, mask_name
from anju.orgs.models import CommunityScopedModel

DEFAULT_TAGS = ["老人", "独居老人", "残疾", "低保", "留守儿童", "孕产妇", "退役军人"]
# Health and financial hardship: sensitive personal information (PIPL art. 28), shown only to the roles
# that serve these residents (``people.profiles``).
SENSITIVE_DEFAULT_TAGS = frozenset({"残疾", "低保", "孕产妇"})
# What the default tags say to an English reader. A tag the community added or renamed is its own and is
# shown as typed, in every language (as with the seeded appeal categories).
DEFAULT_TAG_ENGLISH = {
    "老人": _("Older resident"),
    "独居老人": _("Older resident living alone"),
    "残疾": _("Disability"),
    "低保": _("Minimum living allowance"),
    "留守儿童": _("Left-behind child"),
    "孕产妇": _("Pregnant or new mother"),
    "退役军人": _("Veteran"),
}


def tag_label(name: str) -> str:
    """A tag's name in the reader's language: a default tag in English for English readers, else as typed."""
    english = DEFAULT_TAG_ENGLISH.get(name)
    if english is None or (get_language() or "").startswith("zh"):
        return name
    return str(english)


class Tag(CommunityScopedModel):
    """A tag that drives the community's work (老人, 低保 …); each community edits its own list."""

    name = models.CharField(_("name"), max_length=20)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_("Health, income or similar: shown only to the staff who serve these residents."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["community_id", "sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="people_tag_unique_name")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the reader's language (``tag_label``)."""
        return tag_label(self.name)


class Address(CommunityScopedModel):
    """A door: building (an org unit), entrance (单元) and door number (门牌). Not a household."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("building"), on_delete=models.PROTECT, related_name="people_addresses"
    )
    entrance = models.CharField(_("entrance"), max_length=20, blank=True)
    door = models.CharField(_("door number"), max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["unit__path", "entrance", "door"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "entrance", "door"], name="people_address_unique_door"),
        ]

    def __str__(self) -> str:
        parts = [self.unit.name]
        if self.entrance:
            parts.append(f"{self.entrance}单元" if self.entrance.isdigit() else self.entrance)
        parts.append(self.door)
        return " ".join(parts)


class Household(CommunityScopedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    address = models.ForeignKey(Address, verbose_name=_("address"), on_delete=models.PROTECT, related_name="households")
    # The org unit of the address (denormalised), so that a grid worker's scope is one path filter.
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", editable=False)
    number = models.CharField(
        _("household number"), max_length=30, blank=True, help_text=_("Tells apart households sharing one address.")
    )
    is_central = models.BooleanField(_("party-member central household"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["unit__path", "address__entrance", "address__door", "number", "id"]
        indexes = [models.Index(fields=["community", "status"], name="people_household_status")]

    def __str__(self) -> str:
        label = str(self.address)
        return f"{label} ({self.number})" if self.number else label


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    OTHER = "other", _("Other")


# The words used in the Excel template for each relation.
RELATION_WORDS = {
    "户主": Relation.HEAD,
    "配偶": Relation.SPOUSE,
    "妻子": Relation.SPOUSE,
    "丈夫": Relation.SPOUSE,
    "子女": Relation.CHILD,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "父母": Relation.PARENT,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "孙子女": Relation.GRANDCHILD,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "外孙": Relation.GRANDCHILD,
    "外孙女": Relation.GRANDCHILD,
    "祖父母": Relation.GRANDPARENT,
    "兄弟姐妹": Relation.SIBLING,
    "儿媳": Relation.CHILD_IN_LAW,
    "女婿": Relation.CHILD_IN_LAW,
    "其他": Relation.OTHER,
    # An English export writes the relation's English label (``people.layout``); it imports back.
    "Head of household": Relation.HEAD,
    "Spouse": Relation.SPOUSE,
    "Child": Relation.CHILD,
    "Parent": Relation.PARENT,
    "Grandchild": Relation.GRANDCHILD,
    "Grandparent": Relation.GRANDPARENT,
    "Sibling": Relation.SIBLING,
    "Son- or daughter-in-law": Relation.CHILD_IN_LAW,
    "Other": Relation.OTHER,
}


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class ResidentQuerySet(models.QuerySet["Resident"]):
    def active(self) -> ResidentQuerySet:
        return self.filter(status=Resident.Status.ACTIVE)


class Resident(CommunityScopedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Living here")
        MOVED_OUT = "moved_out", _("Moved out")
        DECEASED = "deceased", _("Deceased")

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="members"
    )
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", editable=False)
    relation = models.CharField(_("relation to the head"), max_length=16, choices=Relation.choices)
    name = models.CharField(_("name"), max_length=50)
    name_pinyin = models.CharField(max_length=200, blank=True, editable=False, db_index=True)
    name_initials = models.CharField(max_length=50, blank=True, editable=False, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    mobile_sealed = models.TextField(blank=True, editable=False)
    mobile_index = models.CharField(max_length=64, null=True, blank=True, editable=False, db_index=True)
    id_number_sealed = models.TextField(blank=True, editable=False)
    id_number_index = models.CharField(max_length=64, null=True, blank=True, editable=False, db_index=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="residents")
    is_party_member = models.BooleanField(_("party member"), default=False)
    party_branch = models.CharField(_("party branch"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_date = models.DateField(_("since"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, db_index=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)
    # The resident's own sign-in account, linked when they accept a desk invitation (``people.invitations``).
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registry_entries",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["unit__path", "household_id", "id"]
        constraints = [
            # One living registration per person: duplicates are found through the keyed hash.
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=models.Q(status="active"),
                name="people_resident_unique_active_id",
            ),
        ]
        indexes = [models.Index(fields=["community", "status"], name="people_resident_status")]

    def __str__(self) -> str:
        # Masked on purpose: this label lands in the audit trail and the access log.
        return mask_name(self.name)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def mobile(self) -> str:
        return crypto.decrypt(self.mobile_sealed) if self.mobile_sealed else ""

    @property
    def id_number(self) -> str:
        return crypto.decrypt(self.id_number_sealed) if self.id_number_sealed else ""

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)


class ResidentEvent(CommunityScopedModel):
    """One line of a resident's history. Holds which fields changed, never their values."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        IMPORTED = "imported", _("Imported from Excel")
        UPDATED = "updated", _("Details changed")
        HOUSEHOLD_MOVED = "household_moved", _("Household moved")
        MOVED_OUT = "moved_out", _("Moved out")
        DECEASED = "deceased", _("Died")
        ANONYMISED = "anonymised", _("Anonymised after the retention period")

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    on_date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    fields = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("resident history entry")
        verbose_name_plural = _("resident history")
        ordering = ["-on_date", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.on_date}"


class ImportBatch(CommunityScopedModel):
    """One uploaded workbook: checked, then (all or nothing) committed by a job."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        REJECTED = "rejected", _("Has problems")
        READY = "ready", _("Ready to import")
        COMMITTING = "committing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file"), max_length=200)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    # The workbook itself, sealed like every personal value; emptied once the batch is finished.
    file_sealed = models.TextField(blank=True, editable=False)
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.CHECKING)
    phase = models.CharField(max_length=20, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("resident import")
        verbose_name_plural = _("resident imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0

    @property
    def is_running(self) -> bool:
        return self.status in {self.Status.CHECKING, self.Status.COMMITTING}


class Invitation(CommunityScopedModel):
    """A one-time QR invitation a worker prints or shows at the desk after checking the resident in person.

    The resident scans it, confirms their mobile number by SMS code, and is signed in to an account linked to
    their registry entry (a new one, or their old one: the desk way back into a lost account). Only a hash of
    the token is kept; it is valid ``ANJU_INVITATION_DAYS`` days, can be revoked, and is used once.
    """

    class Identified(models.TextChoices):
        ID_CARD = "id_card", _("ID card seen")
        HOUSEHOLD_REGISTER = "household_register", _("Household register seen")
        KNOWN = "known", _("Known in person")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    identified_by = models.CharField(_("identified by"), max_length=20, choices=Identified.choices)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.revoked_at is None and self.used_at is None and self.expires_at > timezone.now()
