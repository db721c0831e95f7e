"""Fixtures of the portal tests: the demo catalogue, an SMS outbox and an upload store per test, families
with phones, and a signed-in resident."""

from __future__ import annotations

import io

import pytest
from django.utils import translation

from dajiuzhu.core.testing import LINYI_TOWN, LINYI_VILLAGE, make_household, make_user, member_input

HEAD_PHONE = "13800000001"


@pytest.fixture(autouse=True)
def _portal_settings(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    settings.PORTAL_UPLOAD_ROOT = tmp_path / "uploads"
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def catalogue(db, monkeypatch):
    from dajiuzhu.programs import evaluation
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue

    monkeypatch.setattr(evaluation, "_COMPILED", {})
    ensure_demo_catalogue()


_phones = iter(range(13800000100, 13800099999))


def family(region_code: str = LINYI_VILLAGE, *, phone: str | None = None, wages: str = "1196.00", **facts):
    """A two-adult family whose head has a mobile phone; rural 临邑 by default (低保 standard 720)."""
    from decimal import Decimal

    phone = phone or str(next(_phones))
    members = [member_input("王建国", phone=phone), member_input("李秀英", relation="spouse", sex="F", age=43)]
    household = make_household(region_code, members=members, facts={"monthly_wages": Decimal(wages), **facts})
    household.phone = phone
    household.head_id_number = members[0].id_number
    return household


def resident_of(household):
    from dajiuzhu.accounts.models import User

    user = User.objects.filter(username=f"resident-{household.pk}").first()
    return user or User.objects.create_user(username=f"resident-{household.pk}", role="resident",
                                            region_id=household.region_code, person_id_hash=household.head.id_hash)


def png_bytes(size=(40, 30), color=(200, 20, 20)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(size=(64, 48)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 20)).save(out, format="JPEG")
    return out.getvalue()


def last_code(phone: str) -> str:
    from dajiuzhu.core.sms import outbox

    sent = [m for m in outbox(phone) if m["template"] in ("login_code", "sign_code")]
    message = sent[-1]
    return message["params"][0] if message["template"] == "login_code" else message["params"][1]


@pytest.fixture
def linyi_handler(db):
    return make_user("township_handler", LINYI_TOWN)
