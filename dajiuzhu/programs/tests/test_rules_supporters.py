"""Legal supporters (赡养、抚养、扶养义务人) decide 特困 (issue 16, point 3), through the API.

Worked examples (demo standards: 低保 urban 900, rural 720; adult 18, old 70, unable grades 1–2):
- rural widow of 72, no labour capacity, 300 a month, a son of 45 in another township earning 2,500 a
  person: the son is able → 特困 refused, the reason names the supporters;
- the son has 600 a person (under 720): unable → 特困 granted, 1.3 × 720 + 80 = 1,016.00;
- urban widower of 75, a daughter of 40 with disability grade 2 → unable → granted, 1.3 × 900 + 80 = 1,250.00;
- a daughter in full-time study, a son on 低保, a son of 71: each unable;
- a supporter who is the applicant: refused, nothing recorded.
"""

import datetime as dt
from decimal import Decimal

import pytest

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import (
    LINYI_TOWN,
    LINYI_VILLAGE,
    URBAN_COMMUNITY,
    XINGLONG_TOWN,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
    member_input,
)
from dajiuzhu.programs.catalogue import ensure_demo_catalogue
from dajiuzhu.registry.models import Supporter

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def catalogue():
    ensure_demo_catalogue()


def bearer(user) -> dict:
    _token, key = ApiToken.issue(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": "en"}


def alone(region, *, age, income="300"):
    household = make_household(region, facts={"monthly_wages": Decimal(income)},
                               members=[member_input("王秀英", age=age, sex="F", labour="none")])
    return household, household.head


def son_household(region, *, income, age=45):
    household = make_household(region, facts={"monthly_wages": Decimal(income)},
                               members=[member_input("王建国", age=age)])
    return household.head


def add(client, user, person, **body):
    return client.post(f"/api/v1/registry/people/{person.pk}/supporters", body, content_type="application/json",
                       **bearer(user))


def tekun(client, user, household, person):
    got = client.post("/api/v1/programs/items/tekun/evaluate", {"household_id": household.pk, "applicant_id": person.pk},
                      content_type="application/json", **bearer(user))
    assert got.status_code == 200, got.content
    return got.json()


def test_a_capable_son_in_another_township_refuses_tekun(client):
    household, widow = alone(LINYI_VILLAGE, age=72)
    son = son_household(XINGLONG_VILLAGE, income="2500")
    handler = make_user("township_handler", LINYI_TOWN)
    got = add(client, handler, widow, relation="child", id_number=son.id_number)
    assert got.status_code == 201, got.content
    assert got.json()["in_registry"] is True and got.json()["residence_region_code"] == XINGLONG_VILLAGE
    capacity = client.get(f"/api/v1/programs/people/{widow.pk}/supporters", **bearer(handler)).json()
    assert capacity[0]["able"] is True
    result = tekun(client, handler, household, widow)
    assert result["eligible"] is False
    assert result["facts_used"]["applicant_able_supporters"] == 1


def test_a_son_under_the_dibao_standard_is_unable_so_tekun_is_granted(client):
    household, widow = alone(LINYI_VILLAGE, age=72)
    son = son_household(XINGLONG_VILLAGE, income="600")  # 600 < 720 (rural)
    handler = make_user("township_handler", LINYI_TOWN)
    assert add(client, handler, widow, relation="child", id_number=son.id_number).status_code == 201
    capacity = client.get(f"/api/v1/programs/people/{widow.pk}/supporters", **bearer(handler)).json()
    assert capacity[0]["able"] is False
    assert "600.00" in capacity[0]["reasons"][0]
    result = tekun(client, handler, household, widow)
    assert result["eligible"] is True
    assert Decimal(result["amount"]) == Decimal("1016.00")  # 1.3 × 720 + 80 (self-care)


def test_urban_daughter_with_grade_2_disability_is_unable(client):
    household, widower = alone(URBAN_COMMUNITY, age=75)
    admin = make_user("county_admin", "371424000000")
    got = add(client, admin, widower, relation="child", name="李梅", birth_date=str(TODAY.replace(year=TODAY.year - 40)),
              disability_grade=2, per_capita_income="3000")
    assert got.status_code == 201, got.content
    assert got.json()["in_registry"] is False
    result = tekun(client, admin, household, widower)
    assert result["eligible"] is True
    assert Decimal(result["amount"]) == Decimal("1250.00")  # 1.3 × 900 + 80


@pytest.mark.parametrize("body, why", [
    ({"full_time_student": True}, "full-time study"),
    ({"receives_assistance": True}, "低保"),
    ({"birth_date": str(TODAY.replace(year=TODAY.year - 71) - dt.timedelta(days=2))}, "70 years"),
    ({"birth_date": str(TODAY.replace(year=TODAY.year - 17))}, "under 18"),
])
def test_each_condition_of_inability(client, body, why):
    household, widow = alone(LINYI_VILLAGE, age=80)
    handler = make_user("township_handler", LINYI_TOWN)
    base = {"relation": "child", "name": "王一", "birth_date": str(TODAY.replace(year=TODAY.year - 40)),
            "per_capita_income": "5000"}
    assert add(client, handler, widow, **{**base, **body}).status_code == 201
    capacity = client.get(f"/api/v1/programs/people/{widow.pk}/supporters", **bearer(handler)).json()
    assert capacity[0]["able"] is False
    assert any(why in reason for reason in capacity[0]["reasons"])
    assert tekun(client, handler, household, widow)["eligible"] is True


def test_the_applicant_cannot_be_their_own_supporter_and_nothing_is_recorded(client):
    _household, widow = alone(LINYI_VILLAGE, age=72)
    handler = make_user("township_handler", LINYI_TOWN)
    events = AuditEvent.objects.count()
    got = add(client, handler, widow, relation="child", id_number=widow.id_number)
    assert got.status_code == 422
    assert "own supporter" in got.content.decode()
    assert not Supporter.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("role, region, status", [
    (None, None, 401), ("township_handler", XINGLONG_TOWN, 404), ("department", "371424000000", 403),
    ("township_handler", LINYI_TOWN, 201),
])
def test_recording_a_supporter_is_scoped(client, role, region, status):
    _household, widow = alone(LINYI_VILLAGE, age=72)
    headers = bearer(make_user(role, region)) if role else {}
    got = client.post(f"/api/v1/registry/people/{widow.pk}/supporters", {"relation": "child", "name": "王一"},
                      content_type="application/json", **headers)
    assert got.status_code == status, got.content
    assert Supporter.objects.count() == (1 if status == 201 else 0)
