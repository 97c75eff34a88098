"""The SMS provider adapters against local HTTP servers that check each request the way the provider
documents it and answer as the provider does.

The servers recompute the signatures from their documentation, independently of the adapters' code:

* Alibaba Cloud (dysmsapi, RPC style): the parameters but ``Signature``, sorted, each name and value
  percent-encoded per RFC 3986 (``+`` as %20, ``*`` as %2A, ``~`` kept), joined with ``&``; the string to
  sign is ``POST&%2F&`` + that, percent-encoded; the signature is Base64(HMAC-SHA1(secret + "&", it)).
* Tencent Cloud (API 3.0, TC3-HMAC-SHA256): the canonical request (method, URI, query, the signed headers
  in lower case, their names, SHA-256 of the body), the string to sign (algorithm, timestamp, credential
  scope, SHA-256 of the canonical request), keys derived from "TC3" + SecretKey over date, service and
  "tc3_request", and the ``Authorization`` header that carries it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from anju.inbox import smsproviders
from anju.inbox.smsproviders import GIVE_UP, RETRY, SENT, UNKNOWN, AliyunBackend, TencentBackend

ALI_ID, ALI_SECRET = "LTAI-test-id", "test-secret-ali"
TC_ID, TC_KEY = "AKID-test-id", "test-secret-tencent"
OK_PHONE = "13800000001"


def serve(handle: Callable[[BaseHTTPRequestHandler, bytes], tuple[int, dict[str, Any]]]) -> Iterator[str]:
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, answer = handle(self, body)
            seen.append(answer)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- Alibaba Cloud --------------------------------------------------------------------------------------


def ali_encode(value: str) -> str:
    """Alibaba's documented encoding (as their Java sample: URLEncoder, then fix + * %7E)."""
    return (
        urllib.parse.quote_plus(value, safe="", encoding="utf-8")
        .replace("+", "%20")
        .replace("*", "%2A")
        .replace("%7E", "~")
    )


ALI_ANSWERS = {
    OK_PHONE: (200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5"}),
    "13800000002": (
        200,
        {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1", "RequestId": "r2"},
    ),
    "13800000003": (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号 13800000003", "RequestId": "r3"}),
    "13800000004": (200, {"Code": "isp.SYSTEM_ERROR", "Message": "isp.SYSTEM_ERROR", "RequestId": "r4"}),
    "13800000005": (200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法", "RequestId": "r5"}),
}


@pytest.fixture
def aliyun() -> Iterator[tuple[str, list[dict[str, str]]]]:
    received: list[dict[str, str]] = []
    nonces: set[str] = set()

    def handle(request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, Any]]:
        assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
        params = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        received.append(params)
        signature = params.pop("Signature", "")
        canonical = "&".join(f"{ali_encode(k)}={ali_encode(v)}" for k, v in sorted(params.items()))
        to_sign = "POST&" + ali_encode("/") + "&" + ali_encode(canonical)
        expected = base64.b64encode(
            hmac.new(f"{ALI_SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest()
        ).decode()
        if params.get("AccessKeyId") != ALI_ID:
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}
        if signature != expected:
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched."}
        stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs((datetime.now(tz=UTC) - stamp).total_seconds()) > 900:
            return 400, {"Code": "InvalidTimeStamp.Expired", "Message": "expired"}
        if params["SignatureNonce"] in nonces:
            return 400, {"Code": "SignatureNonceUsed", "Message": "nonce used"}
        nonces.add(params["SignatureNonce"])
        for name, value in {
            "Action": "SendSms",
            "Version": "2017-05-25",
            "Format": "JSON",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
        }.items():
            assert params[name] == value, name
        json.loads(params["TemplateParam"])
        return ALI_ANSWERS.get(params["PhoneNumbers"], ALI_ANSWERS["13800000003"])

    for url in serve(handle):
        yield url, received


def ali(url: str, secret: str = ALI_SECRET) -> AliyunBackend:
    return AliyunBackend(
        {"access_key_id": ALI_ID, "access_key_secret": secret, "sign_name": "安居社区", "endpoint": url}
    )


def ali_send(backend: AliyunBackend, phone: str) -> smsproviders.Result:
    return backend.send(
        phone=phone,
        template_code="SMS_153055065",
        params={"number": "A-2026-0012", "space": "共享 客厅*~"},
        order=["number", "space"],
        reference="sms:42",
    )


def test_aliyun_signed_request_is_accepted_and_sent(aliyun: Any) -> None:
    url, received = aliyun
    result = ali_send(ali(url), OK_PHONE)
    assert result == smsproviders.Result(SENT, "OK", "OK", "900619746936498440^0")
    params = received[0]
    assert params["PhoneNumbers"] == OK_PHONE
    assert params["SignName"] == "安居社区"
    assert params["TemplateCode"] == "SMS_153055065"
    assert json.loads(params["TemplateParam"]) == {"number": "A-2026-0012", "space": "共享 客厅*~"}
    assert params["OutId"] == "sms:42"
    # A second send carries a fresh nonce (the server refuses a replay).
    assert ali_send(ali(url), OK_PHONE).outcome == SENT


def test_aliyun_wrong_secret_is_refused_by_the_signature_check(aliyun: Any) -> None:
    url, _ = aliyun
    result = ali_send(ali(url, secret="not-the-secret"), OK_PHONE)
    assert (result.outcome, result.code) == (GIVE_UP, "SignatureDoesNotMatch")


@pytest.mark.parametrize(
    ("phone", "outcome", "code"),
    [
        ("13800000002", RETRY, "isv.BUSINESS_LIMIT_CONTROL"),
        ("13800000004", RETRY, "isp.SYSTEM_ERROR"),
        ("13800000003", GIVE_UP, "isv.MOBILE_NUMBER_ILLEGAL"),
        ("13800000005", GIVE_UP, "isv.SMS_TEMPLATE_ILLEGAL"),
    ],
)
def test_aliyun_error_codes_map_to_retry_or_give_up(aliyun: Any, phone: str, outcome: str, code: str) -> None:
    url, _ = aliyun
    result = ali_send(ali(url), phone)
    assert (result.outcome, result.code) == (outcome, code)
    assert phone not in result.detail  # the provider's text echoed the number: it is not kept


# --- Tencent Cloud --------------------------------------------------------------------------------------

TC_STATUS = {
    "+86" + OK_PHONE: {"Code": "Ok", "Message": "send success", "SerialNo": "2028:f825e6b16e23f73f4123", "Fee": 1},
    "+8613800000002": {
        "Code": "LimitExceeded.PhoneNumberDailyLimit",
        "Message": "the number of sms messages sent from a single mobile number every day exceeds the upper limit",
        "SerialNo": "",
    },
    "+8613800000003": {
        "Code": "InvalidParameterValue.IncorrectPhoneNumber",
        "Message": "phone number +8613800000003 format error",
        "SerialNo": "",
    },
    "+8613800000004": {
        "Code": "FailedOperation.TemplateIncorrectOrUnapproved",
        "Message": "template unapproved",
        "SerialNo": "",
    },
    "+8613800000005": {
        "Code": "FailedOperation.InsufficientBalanceInSmsPackage",
        "Message": "insufficient balance",
        "SerialNo": "",
    },
}


def tc_hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


@pytest.fixture
def tencent() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    def handle(request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, Any]]:
        auth = request.headers["Authorization"]
        algorithm, _, rest = auth.partition(" ")
        fields = dict(part.strip().split("=", 1) for part in rest.split(","))
        credential = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        timestamp = request.headers["X-TC-Timestamp"]
        date = datetime.fromtimestamp(int(timestamp), tz=UTC).strftime("%Y-%m-%d")
        canonical_headers = "".join(f"{h}:{request.headers[h].strip().lower()}\n" for h in signed)
        canonical = "\n".join(["POST", "/", "", canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()])
        scope = f"{date}/sms/tc3_request"
        to_sign = "\n".join(["TC3-HMAC-SHA256", timestamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = tc_hmac(tc_hmac(tc_hmac(("TC3" + TC_KEY).encode(), date), "sms"), "tc3_request")
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        request_id = "ee6b2c3b-0b66-4d2c-8a5e-0f7e3c1e1a29"
        if (
            algorithm != "TC3-HMAC-SHA256"
            or credential != [TC_ID, date, "sms", "tc3_request"]
            or fields["Signature"] != expected
            or not {"content-type", "host"} <= set(signed)
        ):
            return 200, {
                "Response": {
                    "Error": {
                        "Code": "AuthFailure.SignatureFailure",
                        "Message": "The provided credentials could not be validated.",
                    },
                    "RequestId": request_id,
                }
            }
        if abs(time.time() - int(timestamp)) > 300:
            return 200, {
                "Response": {
                    "Error": {"Code": "AuthFailure.SignatureExpire", "Message": "expired"},
                    "RequestId": request_id,
                }
            }
        assert request.headers["X-TC-Action"] == "SendSms"
        assert request.headers["X-TC-Version"] == "2021-01-11"
        assert request.headers["Host"] == "sms.tencentcloudapi.com"
        data = json.loads(body)
        received.append(data)
        phone = data["PhoneNumberSet"][0]
        status = {
            **TC_STATUS.get(phone, TC_STATUS["+8613800000003"]),
            "PhoneNumber": phone,
            "SessionContext": data.get("SessionContext", ""),
            "IsoCode": "CN",
        }
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}}

    for url in serve(handle):
        yield url, received


def tc(url: str, key: str = TC_KEY) -> TencentBackend:
    return TencentBackend(
        {"secret_id": TC_ID, "secret_key": key, "sdk_app_id": "1400006666", "sign_name": "安居社区", "endpoint": url}
    )


def tc_send(backend: TencentBackend, phone: str) -> smsproviders.Result:
    return backend.send(
        phone=phone,
        template_code="1110",
        params={"space": "共享客厅", "number": "A-2026-0012"},
        order=["number", "space"],
        reference="sms:43",
    )


def test_tencent_signed_request_is_accepted_and_sent(tencent: Any) -> None:
    url, received = tencent
    result = tc_send(tc(url), OK_PHONE)
    assert result == smsproviders.Result(SENT, "Ok", "send success", "2028:f825e6b16e23f73f4123")
    assert received[0] == {
        "PhoneNumberSet": ["+8613800000001"],
        "SmsSdkAppId": "1400006666",
        "SignName": "安居社区",
        "TemplateId": "1110",
        "TemplateParamSet": ["A-2026-0012", "共享客厅"],  # in the template's order
        "SessionContext": "sms:43",
    }


def test_tencent_wrong_key_is_refused_by_the_signature_check(tencent: Any) -> None:
    url, received = tencent
    result = tc_send(tc(url, key="not-the-key"), OK_PHONE)
    assert (result.outcome, result.code) == (GIVE_UP, "AuthFailure.SignatureFailure")
    assert received == []


@pytest.mark.parametrize(
    ("phone", "outcome", "code"),
    [
        ("13800000002", RETRY, "LimitExceeded.PhoneNumberDailyLimit"),
        ("13800000005", RETRY, "FailedOperation.InsufficientBalanceInSmsPackage"),
        ("13800000003", GIVE_UP, "InvalidParameterValue.IncorrectPhoneNumber"),
        ("13800000004", GIVE_UP, "FailedOperation.TemplateIncorrectOrUnapproved"),
    ],
)
def test_tencent_error_codes_map_to_retry_or_give_up(tencent: Any, phone: str, outcome: str, code: str) -> None:
    url, _ = tencent
    result = tc_send(tc(url), phone)
    assert (result.outcome, result.code) == (outcome, code)
    assert phone not in result.detail


# --- transport ------------------------------------------------------------------------------------------


def test_no_server_is_retried_a_silent_one_is_unknown(monkeypatch: Any) -> None:
    """Nothing listening: the request never left, try again. A server that takes the request and never
    answers: it may have been sent, so it is not sent again."""
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    assert ali_send(ali(f"http://127.0.0.1:{port}/"), OK_PHONE).outcome == RETRY

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    monkeypatch.setattr(smsproviders, "TIMEOUT_SECONDS", 0.5)
    try:
        result = tc_send(tc(f"http://127.0.0.1:{silent.getsockname()[1]}/"), OK_PHONE)
    finally:
        silent.close()
    assert result.outcome == UNKNOWN


def test_backend_is_chosen_in_settings(settings: Any, tmp_path: Any) -> None:
    settings.ANJU_SMS_BACKEND = "tencent"
    assert isinstance(smsproviders.backend(), TencentBackend)
    settings.ANJU_SMS_BACKEND = "file"
    settings.ANJU_SMS_FILE = str(tmp_path / "sms.jsonl")
    result = smsproviders.backend().send(
        phone=OK_PHONE, template_code="T1", params={"number": "1"}, order=["number"], reference="sms:1"
    )
    assert result.outcome == SENT
    line = json.loads((tmp_path / "sms.jsonl").read_text())
    assert line == {"to": "138****0001", "template": "T1", "params": {"number": "1"}, "ref": "sms:1"}
    settings.ANJU_SMS_BACKEND = "carrier-pigeon"
    with pytest.raises(LookupError):
        smsproviders.backend()
