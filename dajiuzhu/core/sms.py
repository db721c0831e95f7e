"""The SMS gateway: one interface any app uses to send a text message to a phone.

``sms_send(phone=..., template=..., params=[...])`` renders the message of a named template
(``TEMPLATES``: the wording a provider approved, with ``{0}``, ``{1}`` … for the parameters) and
hands it to the configured backend (``settings.SMS_BACKEND``):

- ``console`` (development default): writes the message to the server log, the phone masked.
  A one-time code therefore appears in the log of ``make run``.
- ``file`` (tests): appends one JSON line per message to ``settings.SMS_FILE_PATH`` with the
  masked phone and its blind index (never the number itself), so a test reads what was sent.
- ``tencent``: Tencent Cloud SMS (``SendSms``, API version 2021-01-11) signed with TC3-HMAC-SHA256.
  Settings: ``SMS_TENCENT`` (secret id and key, SDK app id, sign name, region, endpoint) and
  ``SMS_TEMPLATE_IDS`` (our template name → the provider's template id).

A send never raises for a provider refusal: it returns an ``SmsResult`` the caller records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence

from django.conf import settings
from django.utils.module_loading import import_string

from .crypto import blind_index
from .ids import mask_phone

logger = logging.getLogger("dajiuzhu.sms")

# Template name -> wording (Chinese: what the family reads). The provider holds the same text under its id.
TEMPLATES = {
    "login_code": "【大救助】您的验证码是{0}，{1}分钟内有效。请勿告诉他人。",
    "sign_code": "【大救助】您正在签署{0}，验证码{1}，{2}分钟内有效。",
    "notice": "【大救助】{0}",
}


@dataclasses.dataclass(frozen=True)
class SmsResult:
    ok: bool
    backend: str
    provider_id: str = ""
    error: str = ""


class SmsError(ValueError):
    """A message that cannot be sent at all (unknown template, wrong parameters, no phone)."""


def render(template: str, params: Sequence[str]) -> str:
    if template not in TEMPLATES:
        raise SmsError(f"unknown SMS template {template!r}")
    try:
        return TEMPLATES[template].format(*[str(p) for p in params])
    except IndexError:
        raise SmsError(f"SMS template {template!r} needs more parameters") from None


class ConsoleBackend:
    name = "console"

    def send(self, *, phone: str, template: str, params: Sequence[str], text: str) -> SmsResult:
        logger.info("SMS to %s: %s", mask_phone(phone), text)
        return SmsResult(True, self.name)


class FileBackend:
    """One JSON line per message in ``settings.SMS_FILE_PATH`` (a test's outbox)."""

    name = "file"
    _lock = threading.Lock()

    def send(self, *, phone: str, template: str, params: Sequence[str], text: str) -> SmsResult:
        path = settings.SMS_FILE_PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": dt.datetime.now(dt.UTC).isoformat(), "phone_masked": mask_phone(phone),
                           "phone_hash": blind_index(phone), "template": template, "params": [str(p) for p in params],
                           "text": text}, ensure_ascii=False)
        with self._lock, open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
        return SmsResult(True, self.name)


def outbox(phone: str | None = None) -> list[dict]:
    """The messages the file backend wrote (to ``phone`` only, if given), oldest first."""
    path = settings.SMS_FILE_PATH
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if phone is not None:
        wanted = blind_index(phone)
        rows = [r for r in rows if r["phone_hash"] == wanted]
    return rows


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tc3_authorization(*, secret_id: str, secret_key: str, host: str, action: str, payload: bytes, timestamp: int,
                      service: str = "sms") -> str:
    """The ``Authorization`` header of a Tencent Cloud API v3 request (TC3-HMAC-SHA256)."""
    day = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host;x-tc-action"
    canonical = "\n".join([
        "POST", "/", "",
        f"content-type:application/json; charset=utf-8\nhost:{host}\nx-tc-action:{action.lower()}\n",
        signed_headers, _sha256_hex(payload),
    ])
    scope = f"{day}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope, _sha256_hex(canonical.encode())])
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), day), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"


class TencentBackend:
    """Tencent Cloud SMS (短信) ``SendSms``: the template id and parameters, never our own text."""

    name = "tencent"
    action, version = "SendSms", "2021-01-11"

    def __init__(self, config: dict | None = None):
        self.config = dict(config if config is not None else settings.SMS_TENCENT)
        missing = [k for k in ("secret_id", "secret_key", "sdk_app_id", "sign_name") if not self.config.get(k)]
        if missing:
            raise SmsError("Tencent SMS is not configured: " + ", ".join(missing))

    def send(self, *, phone: str, template: str, params: Sequence[str], text: str) -> SmsResult:
        template_id = settings.SMS_TEMPLATE_IDS.get(template)
        if not template_id:
            return SmsResult(False, self.name, error=f"no provider template for {template}")
        endpoint = self.config.get("endpoint") or "https://sms.tencentcloudapi.com"
        host = self.config.get("host") or endpoint.split("://", 1)[-1].split("/", 1)[0]
        payload = json.dumps({
            "PhoneNumberSet": [phone if phone.startswith("+") else "+86" + phone],
            "SmsSdkAppId": self.config["sdk_app_id"], "SignName": self.config["sign_name"],
            "TemplateId": template_id, "TemplateParamSet": [str(p) for p in params],
        }, ensure_ascii=False).encode()
        timestamp = int(time.time())
        headers = {
            "Authorization": tc3_authorization(secret_id=self.config["secret_id"], secret_key=self.config["secret_key"],
                                               host=host, action=self.action, payload=payload, timestamp=timestamp),
            "Content-Type": "application/json; charset=utf-8", "Host": host, "X-TC-Action": self.action,
            "X-TC-Timestamp": str(timestamp), "X-TC-Version": self.version,
            "X-TC-Region": self.config.get("region") or "ap-guangzhou",
        }
        request = urllib.request.Request(endpoint, data=payload, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=float(self.config.get("timeout", 5))) as response:  # noqa: S310
                body = json.loads(response.read().decode())
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            return SmsResult(False, self.name, error=f"provider unreachable: {exc.__class__.__name__}")
        answer = body.get("Response", {})
        if "Error" in answer:
            return SmsResult(False, self.name, error=f"{answer['Error'].get('Code')}: {answer['Error'].get('Message')}")
        status = (answer.get("SendStatusSet") or [{}])[0]
        if status.get("Code") != "Ok":
            return SmsResult(False, self.name, error=f"{status.get('Code')}: {status.get('Message')}")
        return SmsResult(True, self.name, provider_id=str(status.get("SerialNo", "")))


BACKENDS = {"console": ConsoleBackend, "file": FileBackend, "tencent": TencentBackend}


def get_backend():
    name = settings.SMS_BACKEND
    factory = BACKENDS.get(name) or import_string(name)
    return factory()


def sms_send(*, phone: str, template: str, params: Sequence[str] = ()) -> SmsResult:
    """Send one templated message to ``phone`` through the configured backend."""
    phone = (phone or "").strip()
    if not phone:
        raise SmsError("no phone number")
    text = render(template, params)
    backend = get_backend()
    try:
        return backend.send(phone=phone, template=template, params=list(params), text=text)
    except OSError as exc:
        logger.warning("SMS to %s failed: %s", mask_phone(phone), exc.__class__.__name__)
        return SmsResult(False, getattr(backend, "name", "?"), error=exc.__class__.__name__)
