"""Jurisdiction isolation for every role, on the pages and the API.

For each role, a household outside the user's jurisdiction (another township, or another
county for county-level roles) is never listed, its detail is 404 (403 for a role that may
not use the registry at all, a redirect to the login page or 401 for the anonymous), and a
refused write changes nothing: the household's rows and the audit log are the same after.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    LINYI_VILLAGE,
    LINYI_VILLAGE_2,
    XINGLONG_TOWN,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
)
from dajiuzhu.registry.models import Household, HouseholdFacts, MemberFacts, Membership, Person

pytestmark = pytest.mark.django_db

OTHER_COUNTY_VILLAGE = "371402001001"  # 德城区 尉署社区居委会

# role, region of the user, which household is foreign to them, may they use the registry at all
ROLES = [
    ("county_admin", LINYI_COUNTY, "other_county", True),
    ("county_approver", LINYI_COUNTY, "other_county", True),
    ("township_handler", LINYI_TOWN, "xinglong", True),
    ("township_approver", LINYI_TOWN, "xinglong", True),
    ("township_handler", XINGLONG_TOWN, "linyi", True),
    ("village_worker", LINYI_VILLAGE, "xinglong", True),
    ("village_worker", LINYI_VILLAGE, "linyi_2", True),  # another village of the same township
    ("department", LINYI_COUNTY, "linyi", False),
    ("social_org", LINYI_COUNTY, "linyi", False),
    ("supervisor", LINYI_COUNTY, "other_county", True),
    ("resident", LINYI_VILLAGE, "linyi", False),
    ("anonymous", None, "linyi", False),
]
IDS = [f"{role}@{region or '-'}:{foreign}" for role, region, foreign, _r in ROLES]


@pytest.fixture
def households():
    return {
        "linyi": make_household(LINYI_VILLAGE),
        "linyi_2": make_household(LINYI_VILLAGE_2),
        "xinglong": make_household(XINGLONG_VILLAGE),
        "other_county": make_household(OTHER_COUNTY_VILLAGE),
    }


def snapshot(household: Household) -> tuple:
    """Everything a write to the household could change, and the length of the audit log."""
    return (
        list(Household.objects.filter(pk=household.pk).values()),
        list(Person.objects.filter(household=household).order_by("pk").values()),
        list(Membership.objects.filter(household=household).order_by("pk").values()),
        list(HouseholdFacts.objects.filter(household=household).order_by("pk").values()),
        list(MemberFacts.objects.filter(person__household=household).order_by("pk").values()),
        AuditEvent.objects.count(),
    )


def page_client(client, role, region):
    if role != "anonymous":
        client.force_login(make_user(role, region))
    return client


def api_headers(role, region) -> dict:
    if role == "anonymous":
        return {}
    _token, key = ApiToken.issue(user=make_user(role, region), name="isolation")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def expect_page_refusal(response, role, uses_registry, *, edit=False, may_edit=False):
    if role == "anonymous":
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    elif not uses_registry or (edit and not may_edit):
        assert response.status_code == 403
    else:
        assert response.status_code == 404


def expect_api_refusal(response, role, uses_registry):
    if role == "anonymous":
        assert response.status_code == 401
    elif not uses_registry:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("role,region,foreign,uses_registry", ROLES, ids=IDS)
def test_page_list(client, households, role, region, foreign, uses_registry):
    target = households[foreign]
    response = page_client(client, role, region).get(reverse("registry:household_search"))
    if uses_registry:
        assert response.status_code == 200
        assert target.number not in response.content.decode()
        listed = {h.pk for h, _name in response.context["rows"]}
        assert target.pk not in listed
    else:
        expect_page_refusal(response, role, uses_registry)


@pytest.mark.parametrize("role,region,foreign,uses_registry", ROLES, ids=IDS)
def test_page_detail(client, households, role, region, foreign, uses_registry):
    target = households[foreign]
    client = page_client(client, role, region)
    response = client.get(reverse("registry:household_detail", args=[target.pk]))
    expect_page_refusal(response, role, uses_registry)
    assert target.head.name not in response.content.decode()
    before = snapshot(target)
    response = client.post(reverse("registry:person_identity", args=[target.head.pk]))
    expect_page_refusal(response, role, uses_registry)
    assert target.head.id_number not in response.content.decode()
    assert snapshot(target) == before


@pytest.mark.parametrize("role,region,foreign,uses_registry", ROLES, ids=IDS)
def test_page_edit(client, households, role, region, foreign, uses_registry):
    target = households[foreign]
    client = page_client(client, role, region)
    may_edit = role in {"county_admin", "township_handler", "village_worker"}
    before = snapshot(target)
    today = timezone.localdate().isoformat()
    spouse = target.members.exclude(pk=target.head_id).get()
    writes = [
        (reverse("registry:household_edit", args=[target.pk]), {"region_code": target.region_code, "address": "x"}),
        (reverse("registry:household_facts", args=[target.pk]), {"as_of": today, "monthly_wages": "1", "housing": "safe"}),
        (reverse("registry:member_add", args=[target.pk]), {"as_of": today, "name": "新", "relation": "child"}),
        (reverse("registry:member_death", args=[target.pk, spouse.pk]), {"on": today}),
        (reverse("registry:member_move", args=[target.pk, spouse.pk]),
         {"to_household": households["linyi"].number, "relation": "spouse", "on": today}),
        (reverse("registry:member_facts", args=[target.pk, spouse.pk]),
         {"as_of": today, "health": "serious", "labour": "none", "employment": "not_working"}),
    ]
    for url, data in writes:
        expect_page_refusal(client.get(url), role, uses_registry, edit=True, may_edit=may_edit)
        expect_page_refusal(client.post(url, data), role, uses_registry, edit=True, may_edit=may_edit)
    assert snapshot(target) == before


@pytest.mark.parametrize("role,region,foreign,uses_registry", ROLES, ids=IDS)
def test_api_list(client, households, role, region, foreign, uses_registry):
    target = households[foreign]
    response = client.get("/api/v1/registry/households", **api_headers(role, region))
    if uses_registry:
        assert response.status_code == 200
        assert target.pk not in {item["id"] for item in response.json()["items"]}
    else:
        expect_api_refusal(response, role, uses_registry)
    response = client.post("/api/v1/registry/people/lookup", {"id_number": target.head.id_number},
                           content_type="application/json", **api_headers(role, region))
    assert response.status_code in (401, 403, 404)


@pytest.mark.parametrize("role,region,foreign,uses_registry", ROLES, ids=IDS)
def test_api_detail(client, households, role, region, foreign, uses_registry):
    target = households[foreign]
    response = client.get(f"/api/v1/registry/households/{target.pk}", **api_headers(role, region))
    expect_api_refusal(response, role, uses_registry)
    assert target.head.name not in response.content.decode()


@pytest.mark.parametrize("role,region,foreign,uses_registry", ROLES, ids=IDS)
def test_api_write(client, households, role, region, foreign, uses_registry):
    target = households[foreign]
    headers = api_headers(role, region)
    spouse = target.members.exclude(pk=target.head_id).get()
    today = timezone.localdate().isoformat()
    before = snapshot(target)
    writes = [
        (f"/api/v1/registry/households/{target.pk}/facts", {"as_of": today, "values": {"monthly_wages": "1"}}),
        (f"/api/v1/registry/people/{spouse.pk}/facts", {"as_of": today, "values": {"health": "serious"}}),
        (f"/api/v1/registry/people/{spouse.pk}/move", {"to_household_id": households["linyi"].pk, "relation": "spouse"}),
    ]
    for url, data in writes:
        response = client.post(url, data, content_type="application/json", **headers)
        expect_api_refusal(response, role, uses_registry)
    assert snapshot(target) == before


@pytest.mark.parametrize("role,region", [("township_handler", XINGLONG_TOWN), ("village_worker", LINYI_VILLAGE)])
def test_moving_a_member_into_a_foreign_household_changes_nothing(client, households, role, region):
    """The source household is the user's own; the target is outside: refused, both unchanged."""
    own = households["xinglong"] if region == XINGLONG_TOWN else households["linyi"]
    foreign = households["linyi"] if region == XINGLONG_TOWN else households["xinglong"]
    spouse = own.members.exclude(pk=own.head_id).get()
    headers = api_headers(role, region)
    before = (snapshot(own), snapshot(foreign))
    response = client.post(f"/api/v1/registry/people/{spouse.pk}/move",
                           {"to_household_id": foreign.pk, "relation": "spouse"},
                           content_type="application/json", **headers)
    assert response.status_code == 404
    assert (snapshot(own), snapshot(foreign)) == before
