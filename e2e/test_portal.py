"""掌上办 in a real browser on a 390×844 phone: sign in by code, the questionnaire, applying for 低保 with a
photo, the instant decision and the timeline; a village service room's proxied application waiting for the
township; a resident refused another household's case. Every resident page is checked with axe-core and
for sideways scrolling."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db(transaction=True)

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@pytest.fixture(autouse=True)
def _portal(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    settings.PORTAL_UPLOAD_ROOT = tmp_path / "uploads"
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def catalogue(transactional_db):
    from dajiuzhu.programs import cache, evaluation
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue

    evaluation._COMPILED.clear()
    cache.catalogue_clear()
    ensure_demo_catalogue()


def _family(phone: str, region_code: str | None = None):
    from decimal import Decimal

    from dajiuzhu.core.testing import LINYI_VILLAGE, make_household, member_input

    head = member_input("王建国", phone=phone)
    household = make_household(region_code or LINYI_VILLAGE, facts={"monthly_wages": Decimal("1196.00")},
                               members=[head, member_input("李秀英", relation="spouse", sex="F", age=43)])
    household.id_number, household.phone = head.id_number, phone
    return household


def _code(phone: str) -> str:
    from dajiuzhu.core.sms import outbox

    message = outbox(phone)[-1]
    return message["params"][0] if message["template"] == "login_code" else message["params"][1]


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 90, 160)).save(out, format="JPEG")
    return out.getvalue()


def _check(page, axe, fits, shot, name):
    axe(page)
    fits(page)
    shot(page, name)
    text = page.inner_text("main")
    english = [w for w in LATIN_WORD.findall(text)]
    assert not english, f"English on a Chinese resident page {page.url}: {english[:10]}"


def _login_cookie(page, live_server, user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])


def test_a_resident_signs_in_estimates_applies_for_dibao_and_follows_it(catalogue, live_server, phone, axe, fits, shot):
    from dajiuzhu.cases.models import Case

    household = _family("13800000001")
    page = phone
    page.goto(f"{live_server.url}/m/")
    _check(page, axe, fits, shot, "landing")
    page.get_by_role("link", name="用身份证和手机号登录").click()
    page.get_by_label("身份证号码").fill(household.id_number)
    page.get_by_label("手机号码").fill(household.phone)
    _check(page, axe, fits, shot, "sign-in")
    page.get_by_role("button", name="给我发验证码").click()
    page.get_by_label("短信验证码").fill(_code(household.phone))
    _check(page, axe, fits, shot, "code")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/m/")
    assert "王建国" in page.inner_text("h1")
    _check(page, axe, fits, shot, "home")

    page.get_by_role("link", name="我家能享受什么？").click()
    page.get_by_label("家里一共住着几口人？").fill("2")
    page.get_by_label("16到59岁能劳动的有几人？").fill("2")
    page.get_by_label("全家每月工资收入（元）").fill("1196")
    page.get_by_role("button", name="看看我家能享受什么").click()
    finding = page.locator("li.finding", has_text="最低生活保障")
    assert "244.00" in finding.inner_text() and "720" in finding.inner_text()
    _check(page, axe, fits, shot, "estimate")
    finding.get_by_role("link", name="马上申请").click()

    assert page.get_by_label("全家每月工资收入（元）").input_value() == "1196.00"  # from the registry
    page.get_by_label("照片").set_input_files({"name": "户口簿.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()})
    _check(page, axe, fits, shot, "apply")
    page.get_by_role("button", name="下一步：阅读并签署").click()
    assert "信用承诺书" in page.inner_text("main") and "授权书" in page.inner_text("main")
    page.get_by_role("button", name="两份都已读完，给我发验证码").click()
    page.get_by_label("短信验证码").fill(_code(household.phone))
    _check(page, axe, fits, shot, "sign")
    page.get_by_role("button", name="签署并提交申请").click()
    page.wait_for_url(re.compile(r"/m/cases/\d+/$"))

    case = Case.objects.get(household=household)
    assert case.channel == "online"
    main = page.inner_text("main")
    assert "已批准" in main and "244.00" in main
    assert "已受理您的申请（网上提交）" in page.inner_text("ol.timeline")
    _check(page, axe, fits, shot, "case")
    page.get_by_role("link", name="返回").click()
    page.get_by_role("link", name=re.compile("消息")).click()
    assert "已批准" in page.inner_text("main")
    _check(page, axe, fits, shot, "inbox")


def test_a_village_worker_proxies_an_application_that_waits_for_the_township(catalogue, live_server, phone, desktop,
                                                                             axe, fits, shot):
    from dajiuzhu.core.testing import LINYI_TOWN, LINYI_VILLAGE, make_user
    from dajiuzhu.portal.models import ProxyApplication

    household = _family("13800000002")
    worker = make_user("village_worker", LINYI_VILLAGE)
    page = phone
    _login_cookie(page, live_server, worker)
    page.goto(f"{live_server.url}/m/village/new/")
    page.get_by_label("申请人身份证号码").fill(household.id_number)
    page.get_by_label("申请事项").select_option("dibao")
    page.get_by_label("全家每月工资收入（元）").fill("1196")
    page.locator("#signpad").scroll_into_view_if_needed()
    pad = page.locator("#signpad").bounding_box()
    page.mouse.move(pad["x"] + 20, pad["y"] + 40)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(pad["x"] + 20 + step * 25, pad["y"] + 40 + (step % 3) * 20)
    page.mouse.up()
    _check(page, axe, fits, shot, "proxy-form")
    with page.expect_navigation():
        page.get_by_role("button", name="送乡镇窗口受理").click()
    assert page.url == f"{live_server.url}/m/village/", [e.inner_text() for e in page.locator(".error").all()]
    assert "等待乡镇受理" in page.inner_text("main")
    _check(page, axe, fits, shot, "worklist")
    proxy = ProxyApplication.objects.get()
    assert proxy.status == "waiting" and proxy.case is None
    assert proxy.documents.get().kind == "signature"

    township = desktop
    _login_cookie(township, live_server, make_user("township_handler", LINYI_TOWN))
    township.goto(f"{live_server.url}/m/township/")
    assert "王建国" in township.inner_text("main")
    township.get_by_role("link", name=re.compile("王建国")).click()
    axe(township)
    fits(township)
    township.get_by_role("button", name="受理并审批").click()
    township.wait_for_url(re.compile(r"/cases/\d+/$"))
    proxy.refresh_from_db()
    assert proxy.status == "accepted" and proxy.case.channel == "proxy"
    page.goto(f"{live_server.url}/m/village/")
    assert "乡镇已受理" in page.inner_text("main")


def test_a_resident_cannot_open_another_households_case(catalogue, live_server, phone, shot):
    from dajiuzhu.accounts.models import User
    from dajiuzhu.cases.window import window_submit

    mine, theirs = _family("13800000003"), _family("13800000004")
    other_user = User.objects.create_user(username="other", role="resident", region_id=theirs.region_code,
                                          person_id_hash=theirs.head.id_hash)
    case = window_submit(actor=other_user, item_codes=["dibao"], facts={"monthly_wages": "1196"}, promise_signed=True,
                         authorisation_signed=True)
    me = User.objects.create_user(username="me", role="resident", region_id=mine.region_code,
                                  person_id_hash=mine.head.id_hash)
    _login_cookie(phone, live_server, me)
    response = phone.goto(f"{live_server.url}/m/cases/{case.pk}/")
    assert response.status == 404
    assert "王建国" not in phone.content() or "244" not in phone.content()
    shot(phone, "not-found")
