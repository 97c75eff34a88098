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
