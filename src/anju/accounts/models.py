"""Users, role grants, login throttling and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from anju.access.roles import Role
from anju.core import crypto
from anju.core.masking import mask_email, mask_mobile

username_validator = RegexValidator(
    r"^[A-Za-z0-9_.\-]{3,40}$",
    _("Use 3 to 40 letters, digits, dots, dashes or underscores."),
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(_("username"), max_length=40, unique=True, validators=[username_validator])
    display_name = models.CharField(_("name"), max_length=60)
    mobile_sealed = models.TextField(blank=True, editable=False)
    mobile_index = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("may use the admin site"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    disabled_reason = models.CharField(_("reason for disabling"), max_length=200, blank=True)
    preferred_language = models.CharField(_("language"), max_length=10, blank=True)
    # Optional, for notices by email; sealed like the mobile number. Not unique: a family may share one
    # address (a grown-up child reading for elderly parents), one person may hold a staff and a resident
    # account, and no one signs in with it -- and a uniqueness error would tell whoever typed an address
    # that someone else registered it.
    email_sealed = models.TextField(blank=True, editable=False)
    notify_by_email = models.BooleanField(_("also by email"), default=True)
    # Raised to sign the user out everywhere: every session's auth hash includes it (see
    # ``_get_session_auth_hash``), so Django's auth middleware drops older sessions on their next request.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        from anju.accounts.usercache import forget_user  # the middleware's module loads after the models

        super().save(*args, **kwargs)
        forget_user(self.pk)  # a new password, a deactivation: the next request reads the row again

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        from anju.accounts.usercache import forget_user

        pk = self.pk
        result = super().delete(*args, **kwargs)
        forget_user(pk)
        return result

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's HMAC of the password, with the session epoch mixed in once it was raised (epoch 0 keeps
        the hash Django computes, so existing sessions survive the upgrade)."""
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "anju.accounts.User.session_auth_hash",
            f"{self.password}\x00{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def mobile(self) -> str:
        return crypto.decrypt(self.mobile_sealed) if self.mobile_sealed else ""

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)

    @property
    def email(self) -> str:
        return crypto.decrypt(self.email_sealed) if self.email_sealed else ""

    @property
    def email_masked(self) -> str:
        return mask_email(self.email)

    @property
    def notice_email(self) -> str:
        """Where notices go by email: the address, unless the user turned email off."""
        return self.email if self.notify_by_email else ""


class RoleGrant(models.Model):
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="role_grants"
    )
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaisons",
    )
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        ordering = ["user_id", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="rolegrant_unique"),
            models.CheckConstraint(
                condition=~models.Q(role=Role.DEPARTMENT_LIAISON) | models.Q(department__isnull=False),
                name="rolegrant_liaison_has_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


class LoginThrottle(models.Model):
    """Failed sign-ins per key (a username, or an IP address)."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class ApiToken(models.Model):
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class ProxyGrant(models.Model):
    """A resident lets a family member's account act for them (子女代办): for a period and a set of scopes
    (``accounts.acting`` registers the scopes and re-checks the grant on every request). Granted by the
    resident, or by a community worker with the resident's recorded consent; ended by either at once."""

    class Consent(models.TextChoices):
        IN_PERSON = "in_person", _("In person at the station")
        SIGNED_FORM = "signed_form", _("Signed form")
        PHONE = "phone", _("By phone, call noted")
        HOME_VISIT = "home_visit", _("At a home visit")

    grantor = models.ForeignKey(
        User, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="proxies_given"
    )
    proxy = models.ForeignKey(
        User, verbose_name=_("family member"), on_delete=models.CASCADE, related_name="proxies_held"
    )
    #: The grantor's community: where a worker may record or end the grant, and the audit row's community.
    community = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    scopes = models.JSONField(_("what they may do"), default=list)
    valid_from = models.DateTimeField(_("from"))
    valid_until = models.DateTimeField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    consent_method = models.CharField(_("consent"), max_length=20, choices=Consent.choices, blank=True)
    consent_note = models.CharField(_("consent note"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("family proxy")
        verbose_name_plural = _("family proxies")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["proxy", "ended_at"], name="proxygrant_proxy_open")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(grantor=models.F("proxy")), name="proxygrant_not_self"),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=models.F("valid_from")),
                name="proxygrant_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proxy} → {self.grantor}"

    def is_active_at(self, when: Any) -> bool:
        return (
            self.ended_at is None and self.valid_from <= when and (self.valid_until is None or self.valid_until > when)
        )


class SignInCode(models.Model):
    """One six-digit code sent (or, for a number no account uses, pretended to be sent) by SMS.

    Only an HMAC of the code is kept (``accounts.codes``). A code is valid for a few minutes, used once, and
    dies after a few wrong tries; asking for a new one retires the number's earlier codes. The rows also
    count the requests each number and address made, for the limits.
    """

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", _("Sign in")
        SECOND_FACTOR = "second_factor", _("Second step of a staff sign-in")
        CONFIRM = "confirm", _("Confirm a mobile number")

    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    mobile_index = models.CharField(max_length=64, db_index=True, editable=False)
    # The account the code signs in to; empty when the number belongs to none (nothing was sent).
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # What the code confirms a number for, e.g. ``invitation:12`` (a code for one thing fits no other).
    context = models.CharField(max_length=60, blank=True)
    code_hash = models.CharField(max_length=64, editable=False)
    address = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [models.Index(fields=["mobile_index", "created_at"], name="accounts_code_number_idx")]

    def __str__(self) -> str:
        return f"code #{self.pk} {self.purpose}"
