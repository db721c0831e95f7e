"""The SMS gateway: console and file backends, and the Tencent Cloud adapter against a local fake server."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from dajiuzhu.core import sms

SECRET_ID, SECRET_KEY = "AKIDtest", "secret-key-for-tests"


def test_the_console_backend_writes_the_message_to_the_log_with_the_phone_masked(settings, caplog):
    settings.SMS_BACKEND = "console"
    with caplog.at_level(logging.INFO, logger="dajiuzhu.sms"):
        result = sms.sms_send(phone="13812345678", template="login_code", params=["123456", 5])
    assert result.ok and result.backend == "console"
    assert "123456" in caplog.text and "13812345678" not in caplog.text


def test_the_file_backend_keeps_an_outbox_without_the_phone_number(settings, tmp_path):
    settings.SMS_BACKEND, settings.SMS_FILE_PATH = "file", tmp_path / "out.jsonl"
    sms.sms_send(phone="13812345678", template="notice", params=["您的申请已受理"])
    sms.sms_send(phone="13900000000", template="notice", params=["别人的"])
    mine = sms.outbox("13812345678")
    assert [m["text"] for m in mine] == ["【大救助】您的申请已受理"]
    assert "13812345678" not in settings.SMS_FILE_PATH.read_text()


def test_an_unknown_template_is_refused():
    with pytest.raises(sms.SmsError):
        sms.sms_send(phone="13812345678", template="nope")


def _expected_signature(headers, body: bytes) -> str:
    """TC3-HMAC-SHA256 written out again from Tencent Cloud's specification (an independent check)."""
    timestamp = int(headers["X-TC-Timestamp"])
    day = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical_headers = (f"content-type:{headers['Content-Type']}\nhost:{headers['Host']}\n"
                         f"x-tc-action:{headers['X-TC-Action'].lower()}\n")
    canonical_request = "POST\n/\n\n" + canonical_headers + "\ncontent-type;host;x-tc-action\n" + \
        hashlib.sha256(body).hexdigest()
    string_to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{day}/sms/tc3_request\n"
                      + hashlib.sha256(canonical_request.encode()).hexdigest())
    k = hmac.new(("TC3" + SECRET_KEY).encode(), day.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"sms", hashlib.sha256).digest()
    k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
    return hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()


class _FakeTencent(BaseHTTPRequestHandler):
    received: list = []
    answer_error = False

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        auth = self.headers["Authorization"]
        signature = auth.rsplit("Signature=", 1)[1]
        valid = signature == _expected_signature(self.headers, body) and f"Credential={SECRET_ID}/" in auth
        type(self).received.append({"valid": valid, "body": json.loads(body), "action": self.headers["X-TC-Action"]})
        if not valid:
            answer = {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad signature"}}}
        elif type(self).answer_error:
            answer = {"Response": {"SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberDailyLimit",
                                                       "Message": "daily limit"}]}}
        else:
            answer = {"Response": {"SendStatusSet": [{"SerialNo": "2645:1234", "Code": "Ok", "Message": "send success"}],
                                   "RequestId": "abc"}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_tencent(settings):
    server = HTTPServer(("127.0.0.1", 0), _FakeTencent)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeTencent.received, _FakeTencent.answer_error = [], False
    settings.SMS_BACKEND = "tencent"
    settings.SMS_TENCENT = {"secret_id": SECRET_ID, "secret_key": SECRET_KEY, "sdk_app_id": "1400000000",
                            "sign_name": "大救助", "region": "ap-guangzhou",
                            "endpoint": f"http://127.0.0.1:{server.server_port}/", "host": "sms.tencentcloudapi.com"}
    settings.SMS_TEMPLATE_IDS = {"login_code": "100001", "notice": "100002"}
    yield _FakeTencent
    server.shutdown()
    server.server_close()


def test_the_tencent_adapter_signs_the_request_the_provider_accepts(fake_tencent):
    result = sms.sms_send(phone="13812345678", template="login_code", params=["654321", 5])
    assert result.ok and result.provider_id == "2645:1234"
    request = fake_tencent.received[0]
    assert request["valid"] and request["action"] == "SendSms"
    assert request["body"]["PhoneNumberSet"] == ["+8613812345678"]
    assert request["body"]["TemplateId"] == "100001" and request["body"]["TemplateParamSet"] == ["654321", "5"]


def test_a_provider_refusal_is_returned_not_raised(fake_tencent):
    fake_tencent.answer_error = True
    result = sms.sms_send(phone="13812345678", template="notice", params=["x"])
    assert not result.ok and "LimitExceeded" in result.error


def test_a_template_without_a_provider_id_is_not_sent(fake_tencent):
    result = sms.sms_send(phone="13812345678", template="sign_code", params=["a", "b", "c"])
    assert not result.ok and fake_tencent.received == []


def test_an_unreachable_provider_is_a_failed_result(settings):
    settings.SMS_BACKEND = "tencent"
    settings.SMS_TENCENT = {"secret_id": "a", "secret_key": "b", "sdk_app_id": "c", "sign_name": "d",
                            "endpoint": "http://127.0.0.1:9/", "timeout": 1}
    settings.SMS_TEMPLATE_IDS = {"notice": "1"}
    result = sms.sms_send(phone="13812345678", template="notice", params=["x"])
    assert not result.ok and "unreachable" in result.error
