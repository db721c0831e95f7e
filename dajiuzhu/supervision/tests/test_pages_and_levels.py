"""Pages, the API, and the five levels: a city sees its counties (never another city's), no personal data."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_COUNTY, XINGLONG_VILLAGE, make_user
from dajiuzhu.regions.models import Region
from dajiuzhu.supervision.models import Complaint
from dajiuzhu.supervision.timelimits import overdue_scan

from .conftest import LINGCHENG_COUNTY, at, set_times, tekun_case

pytestmark = pytest.mark.django_db
D = __import__("datetime").date


@pytest.fixture
def jinan(db):
    """A second city of Shandong with one county (not in the shipped Dezhou file)."""
    city = Region.objects.create(code="370100000000", name="济南市", level=2, parent_id="370000000000", prefix="3701")
    Region.objects.create(code="370112000000", name="历城区", level=3, parent=city, prefix="370112")
    return city


@pytest.fixture
def levels(db, jinan):
    return {
        "province": make_user("province_supervisor", "370000000000"),
        "dezhou": make_user("city_supervisor", "371400000000"),
        "jinan": make_user("city_supervisor", "370100000000"),
        "county": make_user("supervisor", LINYI_COUNTY),
        "township": make_user("township_handler", "371424105000"),
        "village": make_user("village_worker", XINGLONG_VILLAGE),
    }


@pytest.fixture
def overdue_case(catalogue, linyi_handler):
    case = tekun_case(linyi_handler)
    set_times(case, at(D(2026, 9, 11)))
    overdue_scan(region_prefix="371424", on=D(2026, 10, 19))
    return case


def test_the_city_compares_its_counties_and_drills_down_to_a_village(client, levels, overdue_case):
    client.force_login(levels["dezhou"])
    page = client.get(reverse("supervision:region", args=["371400000000"]))
    assert page.status_code == 200
    rows = {r["name"]: r for r in page.context["rows"]}
    assert rows["临邑县"]["overdue"] == 1 and rows["陵城区"]["overdue"] == 0
    for code in ("371424000000", "371424105000", XINGLONG_VILLAGE, LINGCHENG_COUNTY, "371403101000"):
        assert client.get(reverse("supervision:region", args=[code])).status_code == 200
        assert client.get(reverse("dashboards:region", args=[code])).status_code == 200
    # The overdue list shows the case number and the step, never the resident.
    body = client.get(reverse("supervision:region", args=["371424000000"])).content.decode()
    assert overdue_case.number in body and "孙德顺" not in body
    # No personal data: the case and the household pages are closed to the city.
    assert client.get(reverse("cases:detail", args=[overdue_case.pk])).status_code == 404
    assert client.get(reverse("supervision:home")).status_code == 302  # to its own comparison


@pytest.mark.parametrize("who,code,status", [
    ("jinan", "371400000000", 404), ("jinan", "371424000000", 404), ("jinan", "370112000000", 200),
    ("dezhou", "370100000000", 404), ("dezhou", "370112000000", 404), ("province", "370112000000", 200),
    ("province", "371424105000", 200), ("county", "371403000000", 404), ("township", "371424100000", 404),
])
def test_one_city_cannot_see_another_citys_counties(client, levels, who, code, status):
    client.force_login(levels[who])
    assert client.get(reverse("supervision:region", args=[code])).status_code == status
    assert client.get(reverse("supervision:evaluation") + f"?region={code}").status_code == status
    assert client.get(f"/api/v1/supervision/regions/{code}/compare").status_code == status


def test_five_levels_open_their_pages(client, levels, catalogue):
    for who in ("province", "dezhou", "county", "township"):
        client.force_login(levels[who])
        home = client.get(reverse("supervision:home"), follow=True)
        assert home.status_code == 200, who
        assert client.get(reverse("dashboards:region", args=[levels[who].region_id])).status_code == 200
    client.force_login(levels["village"])
    assert client.get(reverse("supervision:home")).status_code == 404  # no supervision lists
    assert client.get(reverse("supervision:training")).status_code == 200
    assert client.get(reverse("supervision:steps")).status_code == 200


def test_supervisor_pages_and_exports(client, catalogue, supervisor, county_admin, overdue_case):
    client.force_login(supervisor)
    page = client.get(reverse("supervision:home"))
    assert page.status_code == 200 and overdue_case.number in page.content.decode()
    book = client.get(reverse("supervision:evaluation") + "?format=xlsx")
    assert book.status_code == 200 and book["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("supervision:settings")).status_code == 404  # the supervisor changes nothing
    client.force_login(county_admin)
    assert client.get(reverse("supervision:settings")).status_code == 200
    response = client.post(reverse("supervision:settings"), {"item": "dibao", "step": "decision", "days": "0",
                                                              "unit": "working", "kind": "maximum"}, follow=True)
    assert "at least 1 day" in response.content.decode()
    # The case page shows the overdue step.
    client.force_login(county_admin)
    body = client.get(reverse("cases:detail", args=[overdue_case.pk])).content.decode()
    assert "overdue since" in body


def test_the_public_form_takes_an_anonymous_complaint_rate_limited_and_audited(client, catalogue, linyi_handler):
    from dajiuzhu.supervision import complaints

    notice_page = client.get(reverse("cases:public_notices", args=[XINGLONG_VILLAGE]))
    assert reverse("supervision:public_complaint", args=[XINGLONG_VILLAGE]) in notice_page.content.decode()
    url = reverse("supervision:public_complaint", args=[XINGLONG_VILLAGE])
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "complaint", "text": "村里评议不公开，请核查", "anonymous": "on"}, follow=True)
    assert response.status_code == 200
    made = Complaint.objects.get()
    assert made.channel == "public" and made.anonymous and made.lodged_by is None
    assert AuditEvent.objects.filter(action="supervision.complaint_submit", object_id=str(made.pk)).exists()
    for _ in range(complaints.PUBLIC_PER_HOUR):
        client.post(url, {"kind": "complaint", "text": "再次投诉同一件事", "anonymous": "on"})
    assert Complaint.objects.count() == complaints.PUBLIC_PER_HOUR  # the sixth was refused
    assert client.get(reverse("supervision:public_complaint", args=["371424105000"])).status_code == 404


def test_api_lists_and_a_residents_complaint(client, catalogue, supervisor, linyi_handler, overdue_case):
    client.force_login(supervisor)
    data = client.get("/api/v1/supervision/overdue").json()
    assert [row["case_number"] for row in data] == [overdue_case.number]
    assert client.get("/api/v1/supervision/evaluation?month=2026-13").status_code == 422
    assert client.get("/api/v1/supervision/evaluation").status_code == 200
    response = client.post("/api/v1/supervision/complaints", json.dumps({"kind": "tip", "text": "x" * 10,
                                                                        "region_code": XINGLONG_VILLAGE}),
                           content_type="application/json")
    assert response.status_code == 403  # the supervisor records nothing
    client.force_login(linyi_handler)
    response = client.post("/api/v1/supervision/complaints", json.dumps({
        "kind": "complaint", "text": "电话反映办理太慢", "region_code": "371424100000"}), content_type="application/json")
    assert response.status_code == 201, response.content
    client.logout()
    assert client.get("/api/v1/supervision/overdue").status_code == 401


def test_the_county_requires_certificates_from_its_settings_page(client, catalogue, county_admin):
    from dajiuzhu.supervision.models import CountySetting

    client.force_login(county_admin)
    form = {"spot_share": "0.1", "spot_minimum": "1", "spot_strata": "township", "certificate_required": "on",
            "certificate_months": "24", "complaint_days": "10"}
    assert client.post(reverse("supervision:settings"), form).status_code == 302
    assert CountySetting.objects.get(county_code="371424").certificate_required
    page = client.post(reverse("supervision:settings"), {**form, "spot_share": "1.5"}, follow=True)
    assert "at most 1" in page.content.decode()
    assert CountySetting.objects.get(county_code="371424").spot_share == __import__("decimal").Decimal("0.1")


def test_pages_are_chinese_by_default(client, catalogue, supervisor, settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "zh-hans"
    translation.activate("zh-hans")
    client.force_login(supervisor)
    body = client.get(reverse("supervision:home")).content.decode()
    assert "监督管理" in body and "超时环节" in body and "持证提醒" in body


def test_the_county_manages_training_and_the_weights_from_its_pages(client, catalogue, county_admin, supervisor):
    from dajiuzhu.supervision.models import Attendance, Course, Exam, FormulaVersion, Question

    client.force_login(supervisor)
    assert client.get(reverse("supervision:training_admin")).status_code == 404
    client.force_login(county_admin)
    url = reverse("supervision:training_admin")
    assert client.post(url, {"form": "course", "title": "低保政策", "kind": "policy", "hours": "2"}).status_code == 302
    course = Course.objects.get()
    assert client.post(url, {"form": "session", "course": course.pk, "starts_at": "2026-12-01T09:00", "hours": "2",
                             "place": "县民政局"}).status_code == 302
    session = course.sessions.get()
    page = client.post(url, {"form": "attendance", "session": session.pk, "usernames": "nobody-here"}, follow=True)
    assert "nobody-here" in page.content.decode() and not Attendance.objects.exists()
    assert client.post(url, {"form": "attendance", "session": session.pk,
                             "usernames": county_admin.username}).status_code == 302
    assert client.post(url, {"form": "exam", "course": course.pk, "title": "考试", "questions_per_attempt": "1",
                             "pass_mark": "60", "minutes": "20"}).status_code == 302
    exam = Exam.objects.get()
    assert client.post(url, {"form": "question", "exam": exam.pk, "text": "公示几天？", "choices": "3天\n7天",
                             "answer": "2"}).status_code == 302
    assert Question.objects.get().answer == 1
    weights = {f"w_{k}": "1" for k in ("handled", "on_time", "overdue", "confirmed", "revoked", "appeals",
                                       "complaints", "spot_differences", "satisfaction", "training")}
    assert client.post(reverse("supervision:settings"), {**weights, "note": "等权"}).status_code == 302
    assert FormulaVersion.objects.get().version == 1
