"""SMS providers: a console and a file backend for development, and adapters for Alibaba Cloud SMS
(dysmsapi ``SendSms``) and Tencent Cloud SMS (``sms.tencentcloudapi.com`` ``SendSms``), written against
their public HTTP APIs with the standard library.

A backend sends one templated SMS to one number and answers a :class:`Result`: ``sent``, ``retry``
(nothing was delivered and trying later may work: flow control, a provider fault, an empty balance),
``give_up`` (it will never work as asked: a bad number, an unapproved template) or ``unknown`` (the request
may have reached the provider but no answer came: not retried, so nothing is sent twice).

The number is passed in and used only in the request: no backend logs it (the console and file backends
write it masked) and no error text keeps it.

Settings: ``ANJU_SMS_BACKEND`` (``console`` | ``file`` | ``aliyun`` | ``tencent``), ``ANJU_SMS_FILE``,
``ANJU_SMS_ALIYUN`` and ``ANJU_SMS_TENCENT`` (dicts of credentials and the sign name, below).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

from anju.core.masking import mask_mobile

log = logging.getLogger(__name__)

SENT, RETRY, GIVE_UP, UNKNOWN = "sent", "retry", "give_up", "unknown"
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Result:
    outcome: str
    code: str = ""
    detail: str = ""
    provider_ref: str = ""


class Backend(Protocol):
    def send(
        self, *, phone: str, template_code: str, params: Mapping[str, str], order: Sequence[str], reference: str
    ) -> Result: ...


_DIGITS = re.compile(r"\+?\d[\d\s-]{6,}\d")


def scrub(text: str) -> str:
    """Provider text without anything that looks like a phone number, cut to fit ``last_error``."""
    return _DIGITS.sub("…", str(text))[:250]


# --- development backends ---------------------------------------------------------------------------------


class ConsoleBackend:
    """Writes each SMS (number masked) to the log: the default."""

    def send(
        self, *, phone: str, template_code: str, params: Mapping[str, str], order: Sequence[str], reference: str
    ) -> Result:
        log.info("sms to %s template %s params %s ref %s", mask_mobile(phone), template_code, dict(params), reference)
        return Result(SENT, "OK", provider_ref=f"console-{reference}")


class FileBackend:
    """Appends each SMS as one JSON line (number masked) to ``ANJU_SMS_FILE`` (``var/sms.jsonl``)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or getattr(settings, "ANJU_SMS_FILE", "") or Path(settings.VAR_DIR) / "sms.jsonl")

    def send(
        self, *, phone: str, template_code: str, params: Mapping[str, str], order: Sequence[str], reference: str
    ) -> Result:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {"to": mask_mobile(phone), "template": template_code, "params": dict(params), "ref": reference}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        return Result(SENT, "OK", provider_ref=f"file-{reference}")


# --- HTTP ----------------------------------------------------------------------------------------------------


def _post(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes] | Result:
    """POST and return (status, body), or the :class:`Result` of a transport failure: ``retry`` when the
    request never left (no connection), ``unknown`` when it may have arrived (no answer in time)."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310  (https URL from settings)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except urllib.error.URLError as exc:
        # Raised while connecting or writing the request: the provider never had a whole request to act on.
        return Result(RETRY, "connection", scrub(str(exc.reason)))
    except TimeoutError:
        return Result(UNKNOWN, "timeout", "no answer in time")
    except (ConnectionError, OSError) as exc:
        return Result(UNKNOWN, "connection-lost", scrub(str(exc)))


# --- Alibaba Cloud SMS -----------------------------------------------------------------------------------

#: Alibaba error codes worth trying again later (flow control, provider faults, balance); others give up.
ALIYUN_RETRY = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",  # per-number minute/hour/day flow control
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",  # balance: may be topped up
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "Throttling.User",
        "Throttling",
        "ServiceUnavailable",
        "InternalError",
    }
)
#: Documented codes that never succeed as asked (listed for readers; any unknown code also gives up).
ALIYUN_GIVE_UP = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.ACCOUNT_NOT_EXISTS",
        "isv.ACCOUNT_ABNORMAL",
        "isv.OUT_OF_SERVICE",
        "isp.RAM_PERMISSION_DENY",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId.NotFound",
    }
)


def aliyun_percent(value: str) -> str:
    """Alibaba's POP percent-encoding: RFC 3986 (space as %20, ``*`` as %2A, ``~`` kept), UTF-8."""
    return urllib.parse.quote(value, safe="~")


def aliyun_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(f"{aliyun_percent(k)}={aliyun_percent(v)}" for k, v in sorted(params.items()))
    return f"{method}&{aliyun_percent('/')}&{aliyun_percent(canonical)}"


def aliyun_signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """RPC-style signature: Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))."""
    digest = hmac.new((secret + "&").encode(), aliyun_string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunBackend:
    """Alibaba Cloud SMS ``SendSms`` (API version 2017-05-25), RPC style, signed with HMAC-SHA1.

    ``ANJU_SMS_ALIYUN = {"access_key_id": …, "access_key_secret": …, "sign_name": "安居社区",
    "endpoint": "https://dysmsapi.aliyuncs.com/", "region": "cn-hangzhou"}``.
    """

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        conf = dict(config if config is not None else getattr(settings, "ANJU_SMS_ALIYUN", {}) or {})
        self.key_id = str(conf.get("access_key_id", ""))
        self.secret = str(conf.get("access_key_secret", ""))
        self.sign_name = str(conf.get("sign_name", ""))
        self.endpoint = str(conf.get("endpoint") or "https://dysmsapi.aliyuncs.com/")
        self.region = str(conf.get("region") or "cn-hangzhou")

    def request_params(
        self, *, phone: str, template_code: str, params: Mapping[str, str], reference: str, now: datetime | None = None
    ) -> dict[str, str]:
        stamp = (now or datetime.now(tz=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        query = {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": stamp,
            "Version": "2017-05-25",
            "PhoneNumbers": phone,
            "SignName": self.sign_name,
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")),
            "OutId": reference,
        }
        query["Signature"] = aliyun_signature(self.secret, "POST", query)
        return query

    def send(
        self, *, phone: str, template_code: str, params: Mapping[str, str], order: Sequence[str], reference: str
    ) -> Result:
        query = self.request_params(phone=phone, template_code=template_code, params=params, reference=reference)
        body = "&".join(f"{aliyun_percent(k)}={aliyun_percent(v)}" for k, v in query.items()).encode()
        answer = _post(self.endpoint, body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        if isinstance(answer, Result):
            return answer
        status, raw = answer
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return Result(RETRY if status >= 500 else GIVE_UP, f"http-{status}", "unreadable answer")
        code = str(data.get("Code", ""))
        detail = scrub(str(data.get("Message", "")))
        if code == "OK":
            return Result(SENT, code, detail, str(data.get("BizId", ""))[:100])
        if code in ALIYUN_RETRY or (status >= 500 and code not in ALIYUN_GIVE_UP):
            return Result(RETRY, code, detail)
        return Result(GIVE_UP, code or f"http-{status}", detail)


# --- Tencent Cloud SMS -----------------------------------------------------------------------------------

#: Tencent error codes worth trying again later; ``InvalidParameterValue.*``, ``UnauthorizedOperation.*``,
#: ``AuthFailure.*`` and other ``FailedOperation.*`` give up.
TENCENT_RETRY_PREFIXES = ("LimitExceeded.", "InternalError", "RequestLimitExceeded")
TENCENT_RETRY = frozenset(
    {
        "FailedOperation.InsufficientBalanceInSmsPackage",  # balance: may be topped up
        "FailedOperation.FailResolvePacket",
        "FailedOperation.JsonParseFail",
        "InternalError.Timeout",
    }
)


def tencent_outcome(code: str) -> str:
    if code.lower() == "ok":
        return SENT
    if code in TENCENT_RETRY or code.startswith(TENCENT_RETRY_PREFIXES):
        return RETRY
    return GIVE_UP


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_canonical_request(host: str, content_type: str, payload: bytes, action: str) -> tuple[str, str]:
    """(CanonicalRequest, SignedHeaders) of a POST to ``/`` with a JSON body."""
    headers = f"content-type:{content_type}\nhost:{host}\nx-tc-action:{action.lower()}\n"
    signed = "content-type;host;x-tc-action"
    return f"POST\n/\n\n{headers}\n{signed}\n{_sha256_hex(payload)}", signed


def tc3_signature(secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    """API 3.0: SecretDate = HMAC("TC3" + SecretKey, date), then service, then "tc3_request"; hex HMAC."""
    secret_date = _hmac256(("TC3" + secret_key).encode(), date)
    secret_service = _hmac256(secret_date, service)
    secret_signing = _hmac256(secret_service, "tc3_request")
    return hmac.new(secret_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


class TencentBackend:
    """Tencent Cloud SMS ``SendSms`` (API version 2021-01-11), signed with TC3-HMAC-SHA256.

    ``ANJU_SMS_TENCENT = {"secret_id": …, "secret_key": …, "sdk_app_id": "1400…", "sign_name": "安居社区",
    "endpoint": "https://sms.tencentcloudapi.com/", "region": "ap-guangzhou"}``.
    """

    service = "sms"
    action = "SendSms"
    version = "2021-01-11"
    content_type = "application/json; charset=utf-8"

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        conf = dict(config if config is not None else getattr(settings, "ANJU_SMS_TENCENT", {}) or {})
        self.secret_id = str(conf.get("secret_id", ""))
        self.secret_key = str(conf.get("secret_key", ""))
        self.app_id = str(conf.get("sdk_app_id", ""))
        self.sign_name = str(conf.get("sign_name", ""))
        self.endpoint = str(conf.get("endpoint") or "https://sms.tencentcloudapi.com/")
        self.region = str(conf.get("region") or "ap-guangzhou")
        # The signed host is the API's own even when the endpoint is a proxy or a test server.
        self.host = str(conf.get("host") or "sms.tencentcloudapi.com")

    @staticmethod
    def e164(phone: str) -> str:
        digits = phone.strip().replace(" ", "").replace("-", "")
        if digits.startswith("+"):
            return digits
        return "+86" + digits

    def request(
        self,
        *,
        phone: str,
        template_code: str,
        params: Mapping[str, str],
        order: Sequence[str],
        reference: str,
        now: datetime | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        payload = json.dumps(
            {
                "PhoneNumberSet": [self.e164(phone)],
                "SmsSdkAppId": self.app_id,
                "SignName": self.sign_name,
                "TemplateId": template_code,
                "TemplateParamSet": [str(params.get(name, "")) for name in order],
                "SessionContext": reference,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        moment = (now or datetime.now(tz=UTC)).astimezone(UTC)
        timestamp = str(int(moment.timestamp()))
        date = moment.strftime("%Y-%m-%d")
        canonical, signed = tc3_canonical_request(self.host, self.content_type, payload, self.action)
        scope = f"{date}/{self.service}/tc3_request"
        string_to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{_sha256_hex(canonical.encode())}"
        signature = tc3_signature(self.secret_key, date, self.service, string_to_sign)
        headers = {
            "Authorization": (
                f"TC3-HMAC-SHA256 Credential={self.secret_id}/{scope}, SignedHeaders={signed}, Signature={signature}"
            ),
            "Content-Type": self.content_type,
            "Host": self.host,
            "X-TC-Action": self.action,
            "X-TC-Timestamp": timestamp,
            "X-TC-Version": self.version,
            "X-TC-Region": self.region,
        }
        return payload, headers

    def send(
        self, *, phone: str, template_code: str, params: Mapping[str, str], order: Sequence[str], reference: str
    ) -> Result:
        payload, headers = self.request(
            phone=phone, template_code=template_code, params=params, order=order, reference=reference
        )
        answer = _post(self.endpoint, payload, headers)
        if isinstance(answer, Result):
            return answer
        status, raw = answer
        try:
            data = json.loads(raw.decode("utf-8")).get("Response", {})
        except (UnicodeDecodeError, ValueError, AttributeError):
            return Result(RETRY if status >= 500 else GIVE_UP, f"http-{status}", "unreadable answer")
        error = data.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code", ""))
            outcome = tencent_outcome(code)
            return Result(GIVE_UP if outcome == SENT else outcome, code, scrub(str(error.get("Message", ""))))
        statuses = data.get("SendStatusSet") or []
        if not statuses or not isinstance(statuses[0], dict):
            return Result(GIVE_UP, f"http-{status}", "no send status")
        first = statuses[0]
        code = str(first.get("Code", ""))
        return Result(
            tencent_outcome(code), code, scrub(str(first.get("Message", ""))), str(first.get("SerialNo", ""))[:100]
        )


BACKENDS: dict[str, type] = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "aliyun": AliyunBackend,
    "tencent": TencentBackend,
}


def backend() -> Backend:
    name = str(getattr(settings, "ANJU_SMS_BACKEND", "console") or "console")
    try:
        made: Backend = BACKENDS[name]()
        return made
    except KeyError as exc:
        raise LookupError(f"unknown SMS backend {name!r} (ANJU_SMS_BACKEND): one of {sorted(BACKENDS)}") from exc
