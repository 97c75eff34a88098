"""Sign-in codes by SMS: lifetime, single use, hashing, limits, equal answers, and one SMS per code."""

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
from anju.accounts import codes
from anju.accounts.models import LoginThrottle, SignInCode, User
from anju.audit.models import AuditEvent
from anju.inbox import smsproviders
from anju.inbox.models import SmsOutbox
from anju.inbox.tasks import deliver_sms
from anju.testing import Tree

MOBILE = "13912345678"
UNKNOWN = "13987654321"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(
        self, *, phone: str, template_code: str, params: Mapping[str, str], order: Sequence[str], reference: str
    ) -> smsproviders.Result:
        self.sent.append({"phone": phone, "params": dict(params), "reference": reference})
        return smsproviders.Result(smsproviders.SENT, "OK")


@pytest.fixture
def sms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    recorder = Recorder()
    monkeypatch.setattr(smsproviders, "backend", lambda: recorder)
    return recorder


@pytest.fixture
def resident(tree: Tree, user_factory: Callable[..., User]) -> User:
    return user_factory(Role.RESIDENT, tree.building, mobile=MOBILE)


def _rf(ip: str = "10.0.0.1") -> Any:
    from django.test import RequestFactory

    request = RequestFactory().post("/", REMOTE_ADDR=ip)
    request.COOKIES = {}
    return request


def _last_code(sms: Recorder) -> str:
    deliver_sms()
    return str(sms.sent[-1]["params"]["code"])


def _request(mobile: str = MOBILE, ip: str = "10.0.0.1", **kw: Any) -> codes.CodeSent:
    return codes.code_request(mobile=mobile, purpose=codes.Purpose.SIGN_IN, request=_rf(ip), **kw)


def _age_codes(seconds: int) -> None:
    SignInCode.objects.update(created_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.django_db
def test_code_signs_in_once_and_is_stored_hashed(resident: User, sms: Recorder) -> None:
    sent = _request()
    assert sent.mobile_masked == "139****5678"
    code = _last_code(sms)
    assert len(sms.sent) == 1
    assert sms.sent[0]["phone"] == MOBILE
    row = SignInCode.objects.get()
    assert code not in row.code_hash
    assert len(row.code_hash) == 64
    assert row.code_hash == codes.code_hash(purpose="sign_in", context="", mobile_index=row.mobile_index, code=code)
    # The outbox does not keep the code once the provider has it.
    assert SmsOutbox.objects.get().template_params == {"code": "******"}
    assert codes.code_sign_in(mobile=MOBILE, code=code, request=_rf()) == resident
    with pytest.raises(codes.CodeError) as reused:
        codes.code_sign_in(mobile=MOBILE, code=code, request=_rf())
    assert reused.value.reason == "expired"


@pytest.mark.django_db
def test_code_expires_after_five_minutes(resident: User, sms: Recorder) -> None:
    _request()
    code = _last_code(sms)
    SignInCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(codes.CodeError) as exc:
        codes.code_sign_in(mobile=MOBILE, code=code, request=_rf())
    assert exc.value.reason == "expired"
    row = SignInCode.objects.get()
    assert row.expires_at - row.created_at <= timedelta(minutes=5, seconds=1)


@pytest.mark.django_db
def test_a_new_code_retires_the_old_one(resident: User, sms: Recorder) -> None:
    _request()
    first = _last_code(sms)
    _age_codes(120)
    _request()
    second = _last_code(sms)
    if first != second:
        with pytest.raises(codes.CodeError):
            codes.code_sign_in(mobile=MOBILE, code=first, request=_rf())
    assert codes.code_sign_in(mobile=MOBILE, code=second, request=_rf()) == resident


@pytest.mark.django_db
def test_five_wrong_codes_lock_the_code(resident: User, sms: Recorder) -> None:
    _request()
    code = _last_code(sms)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(5):
        with pytest.raises(codes.CodeError) as exc:
            codes.code_sign_in(mobile=MOBILE, code=wrong, request=_rf(ip="10.9.9.9"))
        assert exc.value.reason == "wrong"
    with pytest.raises(codes.CodeError) as exc:
        codes.code_sign_in(mobile=MOBILE, code=code, request=_rf(ip="10.9.9.8"))
    assert exc.value.reason == "code_locked"
    assert AuditEvent.objects.filter(action="account.code_locked").count() == 1
    # Wrong codes count on the one sign-in throttle, like wrong passwords.
    assert LoginThrottle.objects.filter(key="ip:10.9.9.9", failures=5).exists()


@pytest.mark.django_db
def test_a_code_for_another_number_does_not_fit(
    tree: Tree, resident: User, user_factory: Callable[..., User], sms: Recorder
) -> None:
    user_factory(Role.RESIDENT, tree.building, mobile=UNKNOWN)
    _request(MOBILE)
    code = _last_code(sms)
    _request(UNKNOWN, ip="10.0.0.2")
    with pytest.raises(codes.CodeError):
        codes.code_sign_in(mobile=UNKNOWN, code=code, request=_rf())


@pytest.mark.django_db
def test_bad_input_writes_nothing(resident: User, sms: Recorder) -> None:
    for mobile in ("", "12345", "abc"):
        with pytest.raises(codes.CodeError):
            _request(mobile)
    _request()
    before = list(SignInCode.objects.values_list("failures", flat=True))
    for code in ("", "12345", "12a456", "1234567"):
        with pytest.raises(codes.CodeError) as exc:
            codes.code_sign_in(mobile=MOBILE, code=code, request=_rf())
        assert exc.value.reason == "malformed"
    assert list(SignInCode.objects.values_list("failures", flat=True)) == before
    assert SignInCode.objects.count() == 1
    assert not LoginThrottle.objects.exists()


@pytest.mark.django_db
def test_full_width_digits_and_spaces_are_accepted(resident: User, sms: Recorder) -> None:
    _request()
    code = _last_code(sms)
    typed = " ".join(code[:3].translate(str.maketrans("0123456789", "０１２３４５６７８９"))) + " " + code[3:]
    assert codes.code_sign_in(mobile=MOBILE, code=typed, request=_rf()) == resident


@pytest.mark.django_db
def test_resend_limit_per_number(resident: User, sms: Recorder) -> None:
    _request()
    with pytest.raises(codes.CodeError) as exc:
        _request(ip="10.0.0.7")
    assert exc.value.reason == "resend"
    assert SignInCode.objects.count() == 1
    deliver_sms()
    assert len(sms.sent) == 1


@pytest.mark.django_db
def test_daily_limit_per_number(resident: User, sms: Recorder, settings: Any) -> None:
    settings.ANJU_CODE_PER_NUMBER_DAY = 3
    for n in range(3):
        _request(ip=f"10.0.1.{n}")
        _age_codes(120)
    with pytest.raises(codes.CodeError) as exc:
        _request(ip="10.0.1.9")
    assert exc.value.reason == "number_day"
    deliver_sms()
    assert len(sms.sent) == 3


@pytest.mark.django_db
def test_hourly_limit_per_address(tree: Tree, sms: Recorder, settings: Any) -> None:
    settings.ANJU_CODE_PER_ADDRESS_HOUR = 3
    for n in range(3):
        _request(f"1390000000{n}", ip="10.0.2.1")
    with pytest.raises(codes.CodeError) as exc:
        _request("13900000009", ip="10.0.2.1")
    assert exc.value.reason == "address_hour"
    assert SignInCode.objects.count() == 3


@pytest.mark.django_db
def test_unknown_number_gets_the_same_answer_and_no_sms(resident: User, sms: Recorder) -> None:
    known = _request(MOBILE, ip="10.0.3.1")
    unknown = _request(UNKNOWN, ip="10.0.3.2")
    assert type(known) is type(unknown)
    assert known.resend_after == unknown.resend_after
    assert unknown.mobile_masked == "139****4321"
    deliver_sms()
    assert [s["phone"] for s in sms.sent] == [MOBILE]
    # Its row counts towards the limits like any other...
    with pytest.raises(codes.CodeError) as exc:
        _request(UNKNOWN, ip="10.0.3.3")
    assert exc.value.reason == "resend"
    # ...and no code ever signs in with it.
    with pytest.raises(codes.CodeError) as wrong:
        codes.code_sign_in(mobile=UNKNOWN, code="123456", request=_rf())
    assert wrong.value.reason == "wrong"


@pytest.mark.django_db
def test_pages_answer_alike_for_known_and_unknown_numbers(resident: User, sms: Recorder) -> None:
    answers = []
    for n, mobile in enumerate((MOBILE, UNKNOWN)):
        client = Client(REMOTE_ADDR=f"10.0.4.{n}")
        response = client.post(reverse("accounts:code_start"), {"mobile": mobile}, follow=True)
        assert response.status_code == 200
        text = re.sub(r'(value|nonce)="[^"]{20,}"', "", response.content.decode()).replace(mobile[-4:], "####")
        answers.append(text.replace(f"{mobile[:3]}****", "139****"))
        assert mobile not in response.content.decode()
    assert answers[0] == answers[1]


@pytest.mark.django_db
def test_sign_in_page_with_a_code(resident: User, sms: Recorder) -> None:
    client = Client()
    client.post(reverse("accounts:code_start"), {"mobile": MOBILE})
    page = client.get(reverse("accounts:code_enter"))
    html = page.content.decode()
    assert 'inputmode="numeric"' in html
    assert 'autocomplete="one-time-code"' in html
    assert "139****5678" in html
    assert MOBILE not in html
    wrong = client.post(reverse("accounts:code_enter"), {"code": "12"})
    assert wrong.status_code == 422
    code = _last_code(sms)
    response = client.post(reverse("accounts:code_enter"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


@pytest.mark.django_db
def test_a_code_unlocks_an_account_locked_by_wrong_passwords(resident: User, sms: Recorder, settings: Any) -> None:
    client = Client(REMOTE_ADDR="10.0.5.1")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": MOBILE, "password": "wrong-password"})
    assert LoginThrottle.objects.filter(key=f"id:#{resident.pk}", locked_until__isnull=False).exists()
    _request(ip="10.0.5.2")
    assert codes.code_sign_in(mobile=MOBILE, code=_last_code(sms), request=_rf("10.0.5.2")) == resident
    assert not LoginThrottle.objects.filter(key=f"id:#{resident.pk}").exists()


@pytest.mark.django_db
def test_the_sms_adapter_is_called_once_per_code_however_often_the_worker_runs(resident: User, sms: Recorder) -> None:
    _request()
    row = SignInCode.objects.get()
    # The sender asked again for the same code (a retried request): no second outbox row.
    from anju.inbox.services import sms_code_send

    sms_code_send(mobile=MOBILE, code="000000", user=resident, reference=f"code:{row.pk}")
    assert SmsOutbox.objects.count() == 1
    deliver_sms()
    deliver_sms()
    from anju.inbox.tasks import deliver_sms_now

    deliver_sms_now(row=0)
    assert len(sms.sent) == 1


@pytest.mark.django_db
def test_staff_second_factor(tree: Tree, user_factory: Callable[..., User], sms: Recorder, settings: Any) -> None:
    settings.ANJU_CODE_SECOND_FACTOR_ROLES = [Role.COMMUNITY_WORKER]
    worker = user_factory(Role.COMMUNITY_WORKER, tree.community, mobile="13700000001")
    resident = user_factory(Role.RESIDENT, tree.building, mobile=MOBILE)
    from anju.testing import TEST_PASSWORD

    client = Client()
    response = client.post(reverse("accounts:login"), {"username": worker.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:code_second")
    assert client.get(reverse("accounts:profile")).status_code == 302  # not signed in yet
    code = _last_code(sms)
    assert sms.sent[-1]["phone"] == "13700000001"
    assert client.post(reverse("accounts:code_second"), {"code": code}).status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200
    # A resident's password sign-in needs no code.
    other = Client()
    response = other.post(reverse("accounts:login"), {"username": resident.username, "password": TEST_PASSWORD})
    assert response["Location"] == reverse("core:home")


@pytest.mark.django_db
def test_api_request_and_verify(resident: User, sms: Recorder) -> None:
    api = Client()
    known = api.post("/api/v1/accounts/code", {"mobile": MOBILE}, content_type="application/json")
    assert known.status_code == 200
    assert known.json()["mobile_masked"] == "139****5678"
    assert MOBILE not in known.content.decode()
    unknown = Client(REMOTE_ADDR="10.0.6.2").post(
        "/api/v1/accounts/code", {"mobile": UNKNOWN}, content_type="application/json"
    )
    assert unknown.status_code == 200
    assert set(unknown.json()) == set(known.json())
    again = api.post("/api/v1/accounts/code", {"mobile": MOBILE}, content_type="application/json")
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "throttled"
    bad = api.post("/api/v1/accounts/code/verify", {"mobile": MOBILE, "code": "1"}, content_type="application/json")
    assert bad.status_code == 422
    code = _last_code(sms)
    ok = api.post("/api/v1/accounts/code/verify", {"mobile": MOBILE, "code": code}, content_type="application/json")
    assert ok.status_code == 200
    body = ok.json()
    assert body["me"]["id"] == resident.pk
    assert body["me"]["mobile_masked"] == "139****5678"
    me = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200
    reused = api.post("/api/v1/accounts/code/verify", {"mobile": MOBILE, "code": code}, content_type="application/json")
    assert reused.status_code == 422
