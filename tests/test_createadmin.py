"""``anju createadmin``: the admin flags are set through a service that writes an audit row."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from anju.accounts import services
from anju.accounts.models import User
from anju.audit.actions import Action
from anju.audit.models import AuditEvent
from anju.audit.services import diff
from anju.testing import TEST_PASSWORD, Tree, make_user

pytestmark = pytest.mark.django_db


def createadmin(monkeypatch: Any, *args: str) -> str:
    monkeypatch.setenv("ANJU_ADMIN_PASSWORD", TEST_PASSWORD)
    out = io.StringIO()
    call_command("createadmin", *args, stdout=out)
    return out.getvalue()


def test_first_admin_before_any_org_unit_is_a_superuser_with_an_audit_row(monkeypatch: Any) -> None:
    createadmin(monkeypatch, "root.admin")
    user = User.objects.get(username="root.admin")
    assert user.is_staff
    assert user.is_superuser
    event = AuditEvent.objects.get(action=Action.ACCOUNT_ADMIN_ACCESS_SET, object_id=str(user.pk))
    assert event.data == {"changed": {"is_staff": [False, True], "is_superuser": [False, True]}}


def test_admin_of_a_unit_is_staff_but_not_superuser(monkeypatch: Any, tree: Tree) -> None:
    createadmin(monkeypatch, "unit.admin", "--unit", str(tree.community.pk))
    user = User.objects.get(username="unit.admin")
    assert user.is_staff
    assert not user.is_superuser
    event = AuditEvent.objects.get(action=Action.ACCOUNT_ADMIN_ACCESS_SET, object_id=str(user.pk))
    assert event.data == {"changed": {"is_staff": [False, True]}}


def test_admin_access_unchanged_writes_nothing(tree: Tree) -> None:
    user = make_user()
    services.user_set_admin_access(actor=None, user=user, staff=False, superuser=False)
    assert not AuditEvent.objects.filter(action=Action.ACCOUNT_ADMIN_ACCESS_SET).exists()


def test_diff_keeps_only_changed_fields_as_old_new_pairs() -> None:
    assert diff({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5, "d": 4}) == {"b": [2, 5], "c": [3, None], "d": [None, 4]}
