"""Pages are in Simplified Chinese by default and in English after switching; catalogues are complete."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import trans_real

from dajiuzhu.core.testing import LINYI_TOWN, LINYI_VILLAGE, make_household, make_user

BASE = Path(settings.BASE_DIR)
CATALOGUES = [
    BASE / "dajiuzhu/core/locale/zh_Hans/LC_MESSAGES/django.po",
    BASE / "dajiuzhu/accounts/locale/zh_Hans/LC_MESSAGES/django.po",
    BASE / "dajiuzhu/registry/locale/zh_Hans/LC_MESSAGES/django.po",
    BASE / "locale/zh_Hans/LC_MESSAGES/django.po",
]


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    """``make`` compiles the catalogues; do it here too so the module runs on its own."""
    call_command("compile_catalogues", verbosity=0)
    trans_real._translations = {}
    trans_real._default = None
    yield


def switch_to_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_login_page_in_chinese_by_default_and_english_after_switching(client):
    body = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="zh-hans">' in body
    assert "登录" in body and "用户名" in body and "密码" in body and "智慧大救助" in body
    switch_to_english(client)
    body = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="en">' in body
    assert "Log in" in body and "Username" in body and "Password" in body
    assert "登录" not in body


@pytest.mark.django_db
def test_household_page_in_chinese_by_default_and_english_after_switching(client):
    household = make_household(LINYI_VILLAGE)
    client.force_login(make_user("township_handler", LINYI_TOWN))
    url = reverse("registry:household_detail", args=[household.pk])
    body = client.get(url).content.decode()
    for text in ("家庭成员", "变更历史", "成员变动历史", "经济状况", "户主", "公民身份号码", "月工资性收入", "健康", "乡镇经办人"):
        assert text in body, text
    switch_to_english(client)
    body = client.get(url).content.decode()
    for text in ("Members", "History of changes", "Membership history", "Economic facts", "head of household",
                 "ID number", "wages per month", "healthy", "township handler"):
        assert text in body, text
    assert "家庭成员" not in body


@pytest.mark.django_db
def test_validation_messages_are_translated(client):
    client.force_login(make_user("township_handler", LINYI_TOWN))
    data = {"region_code": LINYI_VILLAGE, "as_of": "2024-01-01", "housing": "safe",
            "members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "0", "members-MIN_NUM_FORMS": "1",
            "members-MAX_NUM_FORMS": "20", "members-0-name": "张三", "members-0-id_number": "37142419900101123",
            "members-0-relation": "head", "members-0-health": "healthy", "members-0-labour": "full",
            "members-0-employment": "farming"}
    body = client.post(reverse("registry:household_create"), data).content.decode()
    assert "公民身份号码应为 18 位（或 15 位数字），实际为 17 位" in body
    switch_to_english(client)
    body = client.post(reverse("registry:household_create"), data).content.decode()
    assert "ID number must have 18 characters (or 15 digits), got 17" in body


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(BASE)))
def test_catalogue_is_complete(path):
    catalogue = polib.pofile(str(path))
    assert len(catalogue) > 0
    empty = [entry.msgid for entry in catalogue if not entry.obsolete and not entry.translated()]
    assert not empty, f"{path.relative_to(BASE)}: untranslated or fuzzy: {empty}"
