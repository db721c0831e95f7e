"""Emergencies (急难型临时救助) and urgent sums from the township's reserve (先行救助), through the API (issue 16, 2).

Worked examples (demo standards: 低保 rural 720, urban 900; grades 2 / 5 / 10 × the monthly standard; grade 2
over 10,000 yuan or house damaged or a member hospitalised, grade 3 over 30,000 or house lost or a death;
urgent sum ≤ 2,000 a case, paperwork within 10 working days):
- rural household of 3,000 a person (no income test) whose house burnt down, loss 50,000 → grade 3: 7,200.00,
  and the township pays 2,000.00 at once from its reserve of 10,000.00;
- urban household, a traffic accident, one member hospitalised, loss 4,000 → grade 2: 4,500.00;
- a minor fire, loss 3,000 → grade 1: 2 × 720 = 1,440.00.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.cases.models import Case, TownshipReserve, UrgentGrant
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    LINYI_VILLAGE,
    URBAN_COMMUNITY,
    XINGLONG_TOWN,
    make_household,
    make_user,
    member_input,
)
from dajiuzhu.core.workdays import add_working_days
from dajiuzhu.registry.models import HouseholdEvent

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def bearer(user) -> dict:
    _token, key = ApiToken.issue(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": "en"}


def well_off(region):
    return make_household(region, facts={"monthly_wages": Decimal("6000"), "deposits": Decimal("300000")},
                          members=[member_input("赵大", age=50), member_input("钱二", relation="spouse", sex="F", age=47)])


def apply(client, user, household, event, **extra):
    body = {"id_number": household.head.id_number, "event": event, "promise_signed": True,
            "authorisation_signed": True, **extra}
    return client.post("/api/v1/cases/emergencies", body, content_type="application/json", **bearer(user))


FIRE = {"kind": "fire", "occurred_on": str(TODAY - dt.timedelta(days=1)), "place": "张法古村北街12号",
        "loss": "50000", "house": "lost"}


@pytest.fixture
def reserve(catalogue):
    return TownshipReserve.objects.create(township_code=LINYI_TOWN, year=TODAY.year, amount=Decimal("10000"))


def test_a_fire_is_graded_top_and_the_township_pays_at_once(client, reserve, linyi_handler):
    household = well_off(LINYI_VILLAGE)
    got = apply(client, linyi_handler, household, FIRE, urgent_amount="2000")
    assert got.status_code == 201, got.content
    body = got.json()
    item = body["case"]["items"][0]
    assert item["item_code"] == "temp_emergency" and item["status"] == "approved"
    assert Decimal(item["amount"]) == Decimal("7200.00")  # grade 3: 10 × 720
    grant = body["urgent_grant"]
    assert Decimal(grant["amount"]) == Decimal("2000.00")
    assert grant["paperwork_due"] == str(add_working_days(TODAY, 10))
    event = HouseholdEvent.objects.get(pk=body["event_id"])
    assert event.case_id == body["case"]["id"] and event.house == "lost"
    # The paperwork follows: listed as awaiting, then completed.
    awaiting = client.get("/api/v1/cases/urgent-grants", **bearer(linyi_handler)).json()
    assert [g["id"] for g in awaiting] == [grant["id"]]
    done = client.post(f"/api/v1/cases/urgent-grants/{grant['id']}/paperwork",
                       {"explanation": "火灾经村委会、派出所现场核实，补齐申请书和照片"},
                       content_type="application/json", **bearer(linyi_handler))
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert client.get("/api/v1/cases/urgent-grants", **bearer(linyi_handler)).json() == []


def test_urban_traffic_accident_with_a_member_hospitalised_is_grade_two(client, reserve, linyi_handler):
    household = well_off(URBAN_COMMUNITY)  # apply anywhere: the Linyi window takes an urban family
    event = {"kind": "traffic", "occurred_on": str(TODAY), "place": "县城迎宾路口", "loss": "4000", "injured": 1}
    got = apply(client, linyi_handler, household, event)
    assert got.status_code == 201, got.content
    assert Decimal(got.json()["case"]["items"][0]["amount"]) == Decimal("4500.00")  # 5 × 900
    assert got.json()["urgent_grant"] is None


def test_a_minor_fire_is_grade_one(client, reserve, linyi_handler):
    household = well_off(LINYI_VILLAGE)
    got = apply(client, linyi_handler, household, {**FIRE, "loss": "3000", "house": "none"})
    assert Decimal(got.json()["case"]["items"][0]["amount"]) == Decimal("1440.00")


@pytest.mark.parametrize("event, extra, field", [
    ({**FIRE, "occurred_on": str(TODAY + dt.timedelta(days=1))}, {}, "occurred_on"),
    ({**FIRE, "loss": "-1"}, {}, "loss"),
    (FIRE, {"urgent_amount": "2500"}, "urgent_amount"),  # over the county's limit of 2,000 a case
])
def test_bad_input_is_refused_and_nothing_is_written(client, reserve, linyi_handler, event, extra, field):
    household = well_off(LINYI_VILLAGE)
    got = apply(client, linyi_handler, household, event, **extra)
    assert got.status_code == 422, got.content
    assert field in got.content.decode()
    assert not Case.objects.exists() and not HouseholdEvent.objects.exists() and not UrgentGrant.objects.exists()


def test_an_urgent_sum_beyond_the_reserve_left_is_refused(client, reserve, linyi_handler):
    reserve.amount = Decimal("3000")
    reserve.save()
    assert apply(client, linyi_handler, well_off(LINYI_VILLAGE), FIRE, urgent_amount="2000").status_code == 201
    got = apply(client, linyi_handler, well_off(LINYI_VILLAGE), FIRE, urgent_amount="1500")
    assert got.status_code == 422 and "1000.00" in got.content.decode()
    assert Case.objects.count() == 1 and UrgentGrant.objects.count() == 1


def test_an_urgent_sum_is_paid_only_by_the_township_that_took_the_application(client, reserve, linyi_handler,
                                                                               xinglong_handler):
    got = apply(client, linyi_handler, well_off(LINYI_VILLAGE), FIRE)
    case_id = got.json()["case"]["id"]
    refused = client.post(f"/api/v1/cases/cases/{case_id}/urgent-grants", {"amount": "500"},
                          content_type="application/json", **bearer(xinglong_handler))
    assert refused.status_code in (403, 404)
    assert client.post(f"/api/v1/cases/cases/{case_id}/urgent-grants", {"amount": "500"},
                       content_type="application/json").status_code == 401
    assert not UrgentGrant.objects.exists()
    ok = client.post(f"/api/v1/cases/cases/{case_id}/urgent-grants", {"amount": "500"},
                     content_type="application/json", **bearer(linyi_handler))
    assert ok.status_code == 201, ok.content


def test_the_county_sets_the_reserve(client, catalogue):
    admin = make_user("county_admin", LINYI_COUNTY)
    got = client.post("/api/v1/cases/reserves", {"township_code": XINGLONG_TOWN, "year": TODAY.year, "amount": "8000"},
                      content_type="application/json", **bearer(admin))
    assert got.status_code == 200 and got.json()["remaining"] == "8000.00"
    handler = make_user("township_handler", LINYI_TOWN)
    refused = client.post("/api/v1/cases/reserves", {"township_code": LINYI_TOWN, "year": TODAY.year, "amount": "1"},
                          content_type="application/json", **bearer(handler))
    assert refused.status_code == 403
