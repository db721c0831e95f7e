"""The programs API: catalogue, standards, validation, evaluation (scoped) and screening."""

from decimal import Decimal

import pytest

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.core.models import AuditEvent, Job
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    LINYI_VILLAGE,
    XINGLONG_TOWN,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
    member_input,
)
from dajiuzhu.programs.catalogue import ensure_demo_catalogue
from dajiuzhu.programs.models import AssistanceItem

pytestmark = pytest.mark.django_db
API = "/api/v1/programs"


@pytest.fixture(autouse=True)
def catalogue():
    ensure_demo_catalogue()


def bearer(user) -> dict:
    _token, key = ApiToken.issue(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def admin():
    return make_user("county_admin", LINYI_COUNTY)


@pytest.fixture
def handler():
    return make_user("township_handler", LINYI_TOWN)


def test_catalogue_list_and_detail(client, handler, django_assert_num_queries):
    auth = bearer(handler)
    client.get(f"{API}/items", **auth)
    # token (+user, region), the items with their relations; the token's use was written by the first request
    # (at most once a minute)
    with django_assert_num_queries(2):
        response = client.get(f"{API}/items", **auth)
    assert response.status_code == 200
    assert len(response.json()) == 44
    detail = client.get(f"{API}/items/dibao", **auth).json()
    assert detail["tier"] == "dibao" and detail["versions"][0]["number"] == 1
    assert set(detail["excludes"]) >= {"near_poor", "rigid"}
    assert client.get(f"{API}/items/nope", **auth).status_code == 404
    assert len(client.get(f"{API}/categories", **auth).json()) == 10


def test_anonymous_is_refused(client):
    assert client.get(f"{API}/items").status_code == 401


def test_standards_are_listed_and_set_by_the_county_administrator(client, admin, handler):
    rows = client.get(f"{API}/standards", {"county_code": "371424"}, **bearer(handler)).json()
    assert any(r["name"] == "dibao" and r["area"] == "rural" and Decimal(r["amount"]) == 720 for r in rows)
    body = {"year": 2026, "county_code": "371424", "area": "rural", "name": "dibao", "amount": "760"}
    assert client.put(f"{API}/standards", body, content_type="application/json", **bearer(handler)).status_code == 403
    response = client.put(f"{API}/standards", body, content_type="application/json", **bearer(admin))
    assert response.status_code == 200 and Decimal(response.json()["amount"]) == 760


def test_rule_validation_endpoint(client, handler):
    auth = bearer(handler)
    ok = client.post(f"{API}/rules/validate", {"text": "per_capita_income < std.dibao"},
                     content_type="application/json", **auth).json()
    assert ok == {"valid": True, "message": "", "error_kind": "", "position": None,
                  "facts": ["per_capita_income"], "standards": ["dibao"]}
    bad = client.post(f"{API}/rules/validate", {"text": "per_capita_incom < std.dibao"},
                      content_type="application/json", **auth).json()
    assert not bad["valid"] and bad["error_kind"] == "unknown_name" and "per_capita_income" in bad["message"]
    syntax = client.post(f"{API}/rules/validate", {"text": "1 +", "kind": "benefit"},
                         content_type="application/json", **auth).json()
    assert syntax["error_kind"] == "syntax" and syntax["position"] == [1, 4]


def test_item_update_through_the_api_versions_and_refuses_bad_rules(client, admin, handler):
    body = {"eligibility": "applicant_age >= 85", "note": "raised"}
    assert client.patch(f"{API}/items/elderly_allowance", body, content_type="application/json",
                        **bearer(handler)).status_code == 403
    response = client.patch(f"{API}/items/elderly_allowance", body, content_type="application/json", **bearer(admin))
    assert response.status_code == 200
    assert [v["number"] for v in response.json()["versions"]] == [2, 1]
    events = AuditEvent.objects.count()
    response = client.patch(f"{API}/items/elderly_allowance", {"eligibility": "applicant_ag >= 85"},
                            content_type="application/json", **bearer(admin))
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert "applicant_age" in response.json()["detail"]
    assert AuditEvent.objects.count() == events
    assert AssistanceItem.objects.get(code="elderly_allowance").versions.count() == 2


def test_evaluate_an_item_for_a_household_of_the_jurisdiction(client, handler):
    household = make_household(LINYI_VILLAGE, members=[
        member_input("王五", age=50), member_input("赵六", relation="spouse", sex="F", age=48),
        member_input("王小", relation="child", age=10)], facts={"monthly_wages": Decimal("900.00")})
    response = client.post(f"{API}/items/dibao/evaluate", {"household_id": household.pk},
                           content_type="application/json", **bearer(handler))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["eligible"] and Decimal(body["amount"]) == Decimal("1260.00")
    declared = client.post(f"{API}/items/dibao/evaluate",
                           {"household_id": household.pk, "facts": {"per_capita_income": "800.00"}},
                           content_type="application/json", **bearer(handler)).json()
    assert not declared["eligible"] and declared["refusal"] == "ineligible"


def test_evaluate_for_a_household_of_another_township_is_404(client, handler):
    other = make_household(XINGLONG_VILLAGE)
    response = client.post(f"{API}/items/dibao/evaluate", {"household_id": other.pk},
                           content_type="application/json", **bearer(handler))
    assert response.status_code == 404


def test_screening_job_start_status_and_results_are_scoped(client, handler, django_capture_on_commit_callbacks):
    mine = make_household(LINYI_VILLAGE, facts={"monthly_wages": Decimal("100.00")})
    make_household(XINGLONG_VILLAGE, facts={"monthly_wages": Decimal("100.00")})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{API}/screenings", {"region_prefix": "371424100"}, content_type="application/json",
                               **bearer(handler))
    assert response.status_code == 202
    job_id = response.json()["id"]
    status = client.get(f"{API}/screenings/{job_id}", **bearer(handler)).json()
    assert status["status"] == "done" and status["result"]["households"] == 1
    results = client.get(f"{API}/screening-results", {"item": "dibao"}, **bearer(handler)).json()
    assert [r["household_id"] for r in results["items"]] == [mine.pk]
    other = make_user("township_handler", XINGLONG_TOWN)
    assert client.get(f"{API}/screenings/{job_id}", **bearer(other)).status_code == 404
    assert client.get(f"{API}/screening-results", **bearer(other)).json()["count"] == 0
    refused = client.post(f"{API}/screenings", {"region_prefix": "371424100"}, content_type="application/json",
                          **bearer(other))
    assert refused.status_code == 403
    assert Job.objects.filter(kind="programs.screen").count() == 1


@pytest.mark.parametrize("who, status", [("anonymous", 401), ("township_handler", 403), ("supervisor", 403),
                                         ("department", 403), ("county_admin", 200)])
def test_item_update_permissions_and_a_refusal_changes_nothing(client, who, status):
    headers = {}
    if who != "anonymous":
        region = LINYI_TOWN if who.startswith("township") else LINYI_COUNTY
        headers = bearer(make_user(who, region))
    events = AuditEvent.objects.count()
    response = client.patch(f"{API}/items/dibao", {"name": "改名"}, content_type="application/json", **headers)
    assert response.status_code == status
    item = AssistanceItem.objects.get(code="dibao")
    if status == 200:
        assert item.name == "改名" and item.versions.count() == 2
    else:
        assert item.name == "最低生活保障（低保）" and item.versions.count() == 1
        assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("role,department", [("department", "medical_insurance"), ("department", "police"),
                                             ("social_org", "")])
def test_departments_and_organisations_read_the_catalogue_but_no_screening_results(
        client, handler, django_capture_on_commit_callbacks, role, department):
    """Security finding 1: ``programs.view`` is the catalogue; results about households need registry-like
    jurisdiction (``programs.view_results``), which departments and social organisations do not have."""
    make_household(LINYI_VILLAGE, facts={"monthly_wages": Decimal("100.00")})
    with django_capture_on_commit_callbacks(execute=True):
        job_id = client.post(f"{API}/screenings", {"region_prefix": "371424100"}, content_type="application/json",
                             **bearer(handler)).json()["id"]
    assert client.get(f"{API}/screening-results", **bearer(handler)).json()["count"] >= 1
    outsider = make_user(role, LINYI_COUNTY, department=department)
    headers = bearer(outsider)
    assert client.get(f"{API}/items", **headers).status_code == 200  # the catalogue stays readable
    assert client.get(f"{API}/screening-results", **headers).status_code == 403
    assert client.get(f"{API}/screenings/{job_id}", **headers).status_code == 404
    client.force_login(outsider)
    assert client.get("/programs/screening/").status_code == 403
