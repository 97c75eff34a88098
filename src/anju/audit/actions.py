"""Every audit action name, enumerated in one place.

Names are dotted ``<object>.<verb>``. A service may only record an action
listed here; the audit page offers this list as a filter.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    ACCOUNT_LOGIN = "account.login", _("Signed in")
    ACCOUNT_LOGIN_FAILED = "account.login_failed", _("Failed sign-in")
    ACCOUNT_LOCKED = "account.locked", _("Account locked after failures")
    ACCOUNT_LOGOUT = "account.logout", _("Signed out")
    ACCOUNT_CREATED = "account.created", _("Account created")
    ACCOUNT_UPDATED = "account.updated", _("Account updated")
    ACCOUNT_DISABLED = "account.disabled", _("Account disabled")
    ACCOUNT_ENABLED = "account.enabled", _("Account enabled")
    ACCOUNT_PASSWORD_CHANGED = "account.password_changed", _("Password changed")
    ACCOUNT_PASSWORD_RESET = "account.password_reset", _("Password reset by an administrator")
    ROLE_GRANTED = "role.granted", _("Role granted")
    ROLE_REVOKED = "role.revoked", _("Role revoked")
    TOKEN_CREATED = "token.created", _("API token created")
    TOKEN_REVOKED = "token.revoked", _("API token revoked")
    ORGUNIT_CREATED = "orgunit.created", _("Org unit created")
    ORGUNIT_UPDATED = "orgunit.updated", _("Org unit updated")
    DEPARTMENT_CREATED = "department.created", _("Department created")
    DEPARTMENT_UPDATED = "department.updated", _("Department updated")
    TASKFORCE_CREATED = "taskforce.created", _("Task force created")
    TASKFORCE_MEMBER_ADDED = "taskforce.member_added", _("Task force member added")
    TASKFORCE_MEMBER_REMOVED = "taskforce.member_removed", _("Task force member removed")
    STATION_CREATED = "station.created", _("Station created")
    SPACE_CREATED = "space.created", _("Space created")
    SYSTEM_BACKUP = "system.backup", _("Backup made")
    SYSTEM_RESTORE = "system.restore", _("Backup restored")
    SYSTEM_DEMO_LOADED = "system.demo_loaded", _("Demo data loaded")
