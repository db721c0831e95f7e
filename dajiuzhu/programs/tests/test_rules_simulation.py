"""Simulate before changing (政策模拟, issue 16, point 6), through the API.

Worked example: the rural 低保 standard 720 → 760 on today's registry of the demo county.
- rural, 2 members, 740 a person: not 低保 today (740 ≥ 720, near-poor), 低保 after: (760 − 740) × 2 = 40.00;
  it leaves the near-poor tier (低保 excludes it): gains 低保, loses 低保边缘;
- rural, 2 members, 700 a person: 低保 both times, 40.00 → 120.00 a month: +80.00;
- urban, 2 members, 740 a person: untouched (the urban standard is 900).
So: 1 household (2 people) gains, the monthly spending changes by 40 + 80 = 120.00, the yearly by 1,440.00.
"""

from decimal import Decimal

import pytest
from django.utils import timezone

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    LINYI_VILLAGE,
    LINYI_VILLAGE_2,
    URBAN_COMMUNITY,
    make_household,
    make_user,
    member_input,
)
from dajiuzhu.programs.catalogue import ensure_demo_catalogue
from dajiuzhu.programs.models import Simulation, Standard, StandardChange

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def catalogue():
    ensure_demo_catalogue()


def bearer(user) -> dict:
    _token, key = ApiToken.issue(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": "en"}


def two(region, per_person):
    return make_household(region, facts={"monthly_wages": Decimal(per_person) * 2},
                          members=[member_input("孙一", age=50), member_input("孙二", relation="spouse", sex="F", age=48)])


def simulate(client, user, **body):
    body = {"county_code": "371424", "year": TODAY.year, "area": "rural", "name": "dibao", "amount": "760", **body}
    return client.post("/api/v1/programs/simulations/standard", body, content_type="application/json", **bearer(user))


def test_raising_the_rural_standard_shows_its_effect_before_it_is_saved(client):
    gains = two(LINYI_VILLAGE, "740")
    more = two(LINYI_VILLAGE_2, "700")
    urban = two(URBAN_COMMUNITY, "740")
    admin = make_user("county_admin", LINYI_COUNTY)
    got = simulate(client, admin)
    assert got.status_code == 201, got.content
    body = got.json()
    summary = body["summary"]
    assert (summary["gain_households"], summary["gain_people"]) == (1, 2)
    assert summary["loss_households"] == 1  # the same household leaves 低保边缘 for 低保
    assert summary["by_item"]["dibao"]["gain_households"] == 1
    assert summary["by_item"]["dibao"]["monthly_change"] == "120.00"
    assert summary["by_item"]["dibao"]["yearly_change"] == "1440.00"
    assert summary["by_item"]["near_poor"]["loss_households"] == 1
    assert summary["by_township"][LINYI_TOWN]["gain_households"] == 1
    sample = {row["household_id"]: row for row in body["sample"]}
    assert set(sample) == {gains.pk}
    assert any("最低生活保障" in reason and "40.00" in reason for reason in sample[gains.pk]["reasons"])
    assert more.pk not in sample and urban.pk not in sample
    # Nothing changed yet.
    assert Standard.objects.get(year=TODAY.year, county_code="371424", area="rural", name="dibao").amount == 720
    # The change is saved with its simulation; the change page lists it with a link.
    saved = client.put("/api/v1/programs/standards", {"year": TODAY.year, "county_code": "371424", "area": "rural",
                                                       "name": "dibao", "amount": "760", "simulation_id": body["id"]},
                       content_type="application/json", **bearer(admin))
    assert saved.status_code == 200, saved.content
    change = StandardChange.objects.get()
    assert change.simulation_id == body["id"] and change.old_amount == 720 and change.new_amount == 760
    assert Simulation.objects.get().applied_at is not None
    client.force_login(admin)
    page = client.get("/programs/standards/").content.decode()
    assert f"/programs/simulations/{body['id']}/" in page
    detail = client.get(f"/programs/simulations/{body['id']}/").content.decode()
    assert "1,440.00" in detail


def test_a_rule_change_is_simulated_too(client):
    two(LINYI_VILLAGE, "700")
    admin = make_user("county_admin", LINYI_COUNTY)
    got = client.post("/api/v1/programs/simulations/rule",
                      {"county_code": "371424", "code": "dibao",
                       "benefit": "(std.dibao - per_capita_income) * household_size * 2"},
                      content_type="application/json", **bearer(admin))
    assert got.status_code == 201, got.content
    assert got.json()["summary"]["by_item"]["dibao"]["monthly_change"] == "40.00"  # (720 − 700) × 2, doubled


def test_a_closed_year_is_refused_and_nothing_is_saved(client):
    admin = make_user("county_admin", LINYI_COUNTY)
    got = simulate(client, admin, year=TODAY.year - 1)
    assert got.status_code == 422 and "closed" in got.content.decode()
    assert not Simulation.objects.exists()
    saved = client.put("/api/v1/programs/standards", {"year": TODAY.year - 1, "county_code": "371424",
                                                       "area": "rural", "name": "dibao", "amount": "760"},
                       content_type="application/json", **bearer(admin))
    assert saved.status_code == 422
    assert Standard.objects.get(year=TODAY.year - 1, county_code="371424", area="rural", name="dibao").amount == 720


def test_a_simulation_of_another_change_cannot_be_attached(client):
    admin = make_user("county_admin", LINYI_COUNTY)
    sim = simulate(client, admin).json()
    got = client.put("/api/v1/programs/standards", {"year": TODAY.year, "county_code": "371424", "area": "rural",
                                                     "name": "dibao", "amount": "780", "simulation_id": sim["id"]},
                     content_type="application/json", **bearer(admin))
    assert got.status_code == 422
    assert not StandardChange.objects.exists()


@pytest.mark.parametrize("role, region, status", [
    (None, None, 401), ("township_handler", LINYI_TOWN, 403), ("county_admin", "371425000000", 403),
    ("county_admin", LINYI_COUNTY, 201),
])
def test_simulating_is_for_the_county_editors(client, role, region, status):
    if role is None:
        got = client.post("/api/v1/programs/simulations/standard", {}, content_type="application/json")
    else:
        got = simulate(client, make_user(role, region))
    assert got.status_code == status, got.content
    assert Simulation.objects.count() == (1 if status == 201 else 0)


def test_the_same_effect_on_a_synthetic_frame_agrees_with_the_scalar_path():
    """simulate_frame on a frame equals the difference of two scalar evaluations household by household."""
    from bench.screening import synthetic_frame
    from dajiuzhu.programs.models import AssistanceItem
    from dajiuzhu.programs.simulation import simulate_frame

    frame = synthetic_frame(3000, on=TODAY)
    effect = simulate_frame(frame, standard=("371424", "rural", "dibao", Decimal("760")))
    rural = ~frame.columns["is_urban"].astype(bool)
    pc = frame.columns["per_capita_income"]
    # Every household that gains 低保 is rural with a per-capita income in [720, 760) yuan.
    assert effect["by_item"]["dibao"]["gain_households"] > 0
    band = rural & (pc >= 72_000) & (pc < 76_000)
    assert effect["by_item"]["dibao"]["gain_households"] <= int(band.sum())
    assert AssistanceItem.objects.filter(code="dibao").exists()
