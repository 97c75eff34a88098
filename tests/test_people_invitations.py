"""Desk invitations: issue, open on the phone, confirm the number by code, linked account; single use, expiry,
revocation, recovery at the desk."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anju.access.roles import Role
from anju.accounts.models import RoleGrant, User
from anju.audit.models import AuditEvent
from anju.inbox import smsproviders
from anju.inbox.tasks import deliver_sms
from anju.people.models import Invitation
from anju.testing.people import PeopleWorld

MOBILE = "13612345678"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(
        self, *, phone: str, template_code: str, params: Mapping[str, str], order: Sequence[str], reference: str
    ) -> smsproviders.Result:
        self.sent.append({"phone": phone, "params": dict(params)})
        return smsproviders.Result(smsproviders.SENT, "OK")


@pytest.fixture
def sms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    recorder = Recorder()
    monkeypatch.setattr(smsproviders, "backend", lambda: recorder)
    return recorder


def _issue(client_for: Callable[[User], Client], world: PeopleWorld, resident_index: int = 0) -> tuple[str, Any]:
    worker = world.users["community_worker"]
    resident = world.residents[resident_index]
    response = client_for(worker).post(
        reverse("people:invitation_issue", kwargs={"pk": resident.pk}), {"identified_by": "id_card"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    token = re.search(r"/people/invite/([A-Za-z0-9_-]+)/", html)
    assert token is not None
    return token.group(1), resident


def _accept(token: str, sms: Recorder, mobile: str = MOBILE) -> Client:
    phone = Client()
    assert phone.get(reverse("people:invite_open", kwargs={"token": token})).status_code == 200
    response = phone.post(reverse("people:invite_open", kwargs={"token": token}), {"mobile": mobile})
    assert response.status_code == 302, response.content.decode()[:2000]
    deliver_sms()
    code = sms.sent[-1]["params"]["code"]
    response = phone.post(reverse("people:invite_code", kwargs={"token": token}), {"code": code})
    assert response.status_code == 302, response.content.decode()[:2000]
    return phone


@pytest.mark.django_db
def test_invitation_creates_a_linked_account(
    people_world: PeopleWorld, client_for: Callable[[User], Client], sms: Recorder
) -> None:
    token, resident = _issue(client_for, people_world)
    invitation = Invitation.objects.get()
    assert token not in invitation.token_hash
    assert len(invitation.token_hash) == 64
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    phone = _accept(token, sms)
    assert phone.get(reverse("accounts:profile")).status_code == 200
    resident.refresh_from_db()
    user = resident.account
    assert user is not None
    assert user.mobile == MOBILE
    assert user.display_name == resident.name
    assert not user.has_usable_password()
    assert RoleGrant.objects.filter(user=user, role=Role.RESIDENT, unit=resident.unit).exists()
    used = AuditEvent.objects.get(action="invitation.used")
    assert used.data["issued_by"] == people_world.users["community_worker"].pk
    assert used.data["identified_by"] == "id_card"
    assert used.data["household"] == resident.household_id
    assert sms.sent[-1]["phone"] == MOBILE


@pytest.mark.django_db
def test_invitation_is_single_use(
    people_world: PeopleWorld, client_for: Callable[[User], Client], sms: Recorder
) -> None:
    token, _resident = _issue(client_for, people_world)
    _accept(token, sms)
    again = Client().get(reverse("people:invite_open", kwargs={"token": token}))
    assert again.status_code == 410
    assert User.objects.filter(mobile_index__isnull=False).count() == 1


@pytest.mark.django_db
def test_expired_and_revoked_invitations(
    people_world: PeopleWorld, client_for: Callable[[User], Client], sms: Recorder
) -> None:
    token, _resident = _issue(client_for, people_world)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(reverse("people:invite_open", kwargs={"token": token})).status_code == 410
    token2, _resident = _issue(client_for, people_world, 1)
    invitation = Invitation.objects.get(resident=people_world.residents[1])
    worker = client_for(people_world.users["community_worker"])
    assert worker.post(reverse("people:invitation_revoke", kwargs={"pk": invitation.pk})).status_code == 302
    response = Client().post(reverse("people:invite_open", kwargs={"token": token2}), {"mobile": MOBILE})
    assert response.status_code == 410
    assert AuditEvent.objects.filter(action="invitation.revoked").count() == 1
    deliver_sms()
    assert sms.sent == []
    assert Client().get(reverse("people:invite_open", kwargs={"token": "nonsense"})).status_code == 410


@pytest.mark.django_db
def test_a_code_for_one_invitation_does_not_fit_another(
    people_world: PeopleWorld, client_for: Callable[[User], Client], sms: Recorder
) -> None:
    token, _r = _issue(client_for, people_world, 0)
    token2, _r2 = _issue(client_for, people_world, 1)
    phone = Client()
    phone.post(reverse("people:invite_open", kwargs={"token": token}), {"mobile": MOBILE})
    deliver_sms()
    code = sms.sent[-1]["params"]["code"]
    phone.post(reverse("people:invite_open", kwargs={"token": token2}), {"mobile": MOBILE})  # too soon: refused
    response = phone.post(reverse("people:invite_code", kwargs={"token": token2}), {"code": code})
    assert response.status_code == 422
    assert not User.objects.filter(mobile_index__isnull=False).exists()


@pytest.mark.django_db
def test_recovery_at_the_desk_moves_the_account_to_a_new_number(
    people_world: PeopleWorld, client_for: Callable[[User], Client], sms: Recorder, settings: Any
) -> None:
    settings.ANJU_CODE_RESEND_SECONDS = 0
    token, resident = _issue(client_for, people_world)
    _accept(token, sms)
    resident.refresh_from_db()
    account = resident.account
    token2, _r = _issue(client_for, people_world)
    _accept(token2, sms, mobile="13612340000")
    resident.refresh_from_db()
    assert resident.account == account
    assert resident.account is not None
    assert resident.account.mobile == "13612340000"
    assert AuditEvent.objects.filter(action="account.recovered").count() == 1


@pytest.mark.django_db
def test_other_community_worker_cannot_invite(people_world: PeopleWorld, client_for: Callable[[User], Client]) -> None:
    outsider = client_for(people_world.users["other_worker"])
    url = reverse("people:invitation_issue", kwargs={"pk": people_world.residents[0].pk})
    assert outsider.post(url, {"identified_by": "known"}).status_code == 404
    resident_client = client_for(people_world.users["resident"])
    assert resident_client.post(url, {"identified_by": "known"}).status_code == 403
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_invitation_api(people_world: PeopleWorld, client_for: Callable[[User], Client], sms: Recorder) -> None:
    worker = client_for(people_world.users["community_worker"])
    resident = people_world.residents[2]
    url = f"/api/v1/people/residents/{resident.pk}/invitations"
    bad = worker.post(url, {"identified_by": "guess"}, content_type="application/json")
    assert bad.status_code == 422
    issued = worker.post(url, {"identified_by": "household_register"}, content_type="application/json")
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert issued.json()["state"] == "open"
    listed = worker.get(url).json()
    assert [i["id"] for i in listed] == [issued.json()["id"]]
    assert "token" not in listed[0]
    phone = Client()
    sent = phone.post(
        "/api/v1/people/invitations/code", {"token": token, "mobile": MOBILE}, content_type="application/json"
    )
    assert sent.status_code == 200
    assert sent.json()["mobile_masked"] == "136****5678"
    deliver_sms()
    code = sms.sent[-1]["params"]["code"]
    accepted = phone.post(
        "/api/v1/people/invitations/accept",
        {"token": token, "mobile": MOBILE, "code": code},
        content_type="application/json",
    )
    assert accepted.status_code == 200
    resident.refresh_from_db()
    assert accepted.json()["me"]["id"] == resident.account_id
    again = phone.post(
        "/api/v1/people/invitations/accept",
        {"token": token, "mobile": MOBILE, "code": code},
        content_type="application/json",
    )
    assert again.status_code == 410
    revoke = worker.post(f"/api/v1/people/invitations/{issued.json()['id']}/revoke")
    assert revoke.status_code == 409


@pytest.mark.django_db
def test_demo_has_an_open_invitation(tree: Any) -> None:
    from anju.people.demo import load_demo_invitation, load_demo_people

    load_demo_people(community=tree.community, households=3)
    lines: list[str] = []
    token = load_demo_invitation(community=tree.community, actor=None, log=lines.append)
    assert token
    assert lines == [line for line in lines if token in line]
    assert Invitation.objects.filter(community=tree.community, used_at__isnull=True).count() == 1
    assert load_demo_invitation(community=tree.community, actor=None) == ""  # run twice: still one
    assert Client().get(reverse("people:invite_open", kwargs={"token": token})).status_code == 200
