"""Catalogue pages: list, detail with version diffs, the editor with live rule checks, standards."""

import pytest
from django.urls import reverse
from django.utils import timezone

from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, make_user
from dajiuzhu.programs.catalogue import ensure_demo_catalogue
from dajiuzhu.programs.forms import ItemForm
from dajiuzhu.programs.models import AssistanceItem, Standard

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalogue():
    ensure_demo_catalogue()


@pytest.fixture
def admin(client):
    user = make_user("county_admin", LINYI_COUNTY)
    client.force_login(user)
    return user


def _post_data(item, **changes):
    data = ItemForm.initial_for(item)
    data["excludes"] = data["excludes"]
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None and v is not False}


def test_list_shows_the_catalogue_grouped_by_category(client, admin, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = client.get(reverse("programs:item_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "最低生活保障（低保）" in body and "生活救助" in body


def test_detail_shows_rules_and_version_diffs(client, admin):
    from dajiuzhu.programs.services import item_update

    item = AssistanceItem.objects.get(code="elderly_allowance")
    item_update(actor=admin, item=item, data={"eligibility": "applicant_age >= 85"}, note="raised the age")
    response = client.get(reverse("programs:item_detail", args=["elderly_allowance"]))
    body = response.content.decode()
    assert "raised the age" in body
    assert "- applicant_age &gt;= 80" in body and "+ applicant_age &gt;= 85" in body


def test_editor_saves_a_new_version(client, admin):
    item = AssistanceItem.objects.get(code="elderly_allowance")
    response = client.post(reverse("programs:item_edit", args=[item.code]),
                           _post_data(item, benefit="std.elderly_allowance + 10", note="more"))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.current_version.number == 2 and item.benefit == "std.elderly_allowance + 10"


def test_editor_refuses_an_invalid_rule_with_the_message_and_saves_nothing(client, admin):
    item = AssistanceItem.objects.get(code="elderly_allowance")
    events = AuditEvent.objects.count()
    response = client.post(reverse("programs:item_edit", args=[item.code]),
                           _post_data(item, eligibility="applicant_ag >= 80"))
    assert response.status_code == 200
    assert "applicant_age" in response.content.decode()
    assert item.versions.count() == 1 and AuditEvent.objects.count() == events


def test_live_rule_check_fragment(client, admin):
    url = reverse("programs:rule_check")
    ok = client.post(url, {"field": "eligibility", "eligibility": "per_capita_income < std.dibao"})
    assert "✓" in ok.content.decode()
    bad = client.post(url, {"field": "benefit", "benefit": "is_urban * 2"})
    assert "✗" in bad.content.decode()


def test_the_editor_is_for_the_county_administrator_only(client):
    client.force_login(make_user("township_handler", LINYI_TOWN))
    assert client.get(reverse("programs:item_list")).status_code == 200
    assert client.get(reverse("programs:item_edit", args=["dibao"])).status_code == 403
    assert client.get(reverse("programs:item_create")).status_code == 403


def test_create_an_item_in_the_editor(client, admin):
    response = client.get(reverse("programs:item_create"))
    assert response.status_code == 200
    data = {"code": "new_item", "name": "新事项", "category": "living", "department": "civil_affairs",
            "kind": "material", "approval_level": "county", "acceptance": "check_first",
            "eligibility": "per_capita_income < std.dibao", "benefit": "item.amount", "parameters": "amount = 500",
            "active": "on"}
    response = client.post(reverse("programs:item_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    item = AssistanceItem.objects.get(code="new_item")
    assert item.parameters == {"amount": "500"} and item.current_version.number == 1


def test_standards_page_lists_and_sets(client, admin):
    response = client.get(reverse("programs:standard_list"))
    assert "std.dibao" in response.content.decode()
    year = timezone.localdate().year
    response = client.post(reverse("programs:standard_list"), {"year": year, "area": "urban", "name": "dibao",
                                                               "amount": "950", "unit": "yuan_month", "label": ""})
    # A change of an existing standard is simulated first (政策模拟), then saved from the simulation's page.
    assert response.status_code == 302 and "/programs/simulations/" in response["Location"]
    assert Standard.objects.get(year=year, county_code="371424", area="urban", name="dibao").amount == 900
    assert client.post(response["Location"]).status_code == 302
    assert Standard.objects.get(year=year, county_code="371424", area="urban", name="dibao").amount == 950


def test_standards_page_is_read_only_for_a_handler(client):
    client.force_login(make_user("township_handler", LINYI_TOWN))
    assert client.get(reverse("programs:standard_list")).status_code == 200
    assert client.post(reverse("programs:standard_list"), {"year": 2026}).status_code == 403


def test_screening_page_starts_a_job(client, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("programs:screening"), {"region_prefix": "371424"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and "371424" in page.content.decode()


def test_screening_jobs_of_another_township_are_not_shown(client, django_capture_on_commit_callbacks):
    from dajiuzhu.core.testing import XINGLONG_TOWN

    linyi = make_user("township_handler", LINYI_TOWN)
    client.force_login(linyi)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("programs:screening"), {"region_prefix": "371424100"})
    assert "371424100" in client.get(reverse("programs:screening")).content.decode()
    client.force_login(make_user("township_handler", XINGLONG_TOWN))
    page = client.get(reverse("programs:screening")).content.decode()
    assert "371424100" not in page
    response = client.post(reverse("programs:screening"), {"region_prefix": "371424100"})
    assert response.status_code == 200  # refused with the message, nothing started
    from dajiuzhu.core.models import Job

    assert Job.objects.filter(kind="programs.screen").count() == 1
