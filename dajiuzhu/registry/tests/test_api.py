"""The registry API: the same selectors, services and policies as the pages."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import (
    LINYI_TOWN,
    LINYI_VILLAGE,
    LINYI_VILLAGE_2,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
    member_input,
    next_id_number,
    years_ago,
)
from dajiuzhu.registry.models import Household, HouseholdFacts, MemberFacts

pytestmark = pytest.mark.django_db

API = "/api/v1/registry"


@pytest.fixture
def handler():
    return make_user("township_handler", LINYI_TOWN)


def bearer(user) -> dict:
    _token, key = ApiToken.issue(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_list_is_scoped_paginated_and_masked(client, handler, django_assert_num_queries):
    mine = [make_household(LINYI_VILLAGE) for _ in range(3)]
    make_household(XINGLONG_VILLAGE)
    auth = bearer(handler)
    client.get(f"{API}/households", **auth)
    with django_assert_num_queries(3):  # token (+user, region), count, page (last-used: once a minute)
        response = client.get(f"{API}/households", **auth)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert {item["number"] for item in body["items"]} == {h.number for h in mine}
    assert body["items"][0]["head_id_masked"] == mine[0].head.id_masked
    assert mine[0].head.id_number not in response.content.decode()


def test_list_filters(client, handler):
    alone = make_household(LINYI_VILLAGE, members=[member_input("孤老", age=80)])
    make_household(LINYI_VILLAGE)
    response = client.get(f"{API}/households", {"elderly_alone": "true"}, **bearer(handler))
    assert [item["id"] for item in response.json()["items"]] == [alone.pk]
    response = client.get(f"{API}/households", {"q": "孤"}, **bearer(handler))
    assert [item["id"] for item in response.json()["items"]] == [alone.pk]


def test_detail_has_members_with_facts_and_household_facts(client, handler, django_assert_num_queries):
    household = make_household(LINYI_VILLAGE)
    auth = bearer(handler)
    client.get(f"{API}/households/{household.pk}", **auth)
    with django_assert_num_queries(5):
        client.get(f"{API}/households/{household.pk}", **auth)
    from dajiuzhu.registry.services import member_add

    member_add(actor=handler, household=household, member=member_input("周三", relation="child", age=5))
    with django_assert_num_queries(5):  # token, household, members, member facts, household facts
        response = client.get(f"{API}/households/{household.pk}", **auth)
    body = response.json()
    assert response.status_code == 200 and len(body["members"]) == 3
    assert body["members"][0]["facts"][0]["health"] == "healthy"
    assert body["facts"][0]["monthly_wages"] == "600.00"


def test_detail_of_another_township_is_404_problem(client, handler):
    other = make_household(XINGLONG_VILLAGE)
    response = client.get(f"{API}/households/{other.pk}", **bearer(handler))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_create_household_validates_like_the_import(client, handler):
    payload = {
        "region_code": LINYI_VILLAGE, "address": "API 1 号",
        "members": [
            {"name": "周一", "id_number": next_id_number(years_ago(44)), "relation": "户主"},
            {"name": "周二", "id_number": next_id_number(years_ago(40), sex="F"), "relation": "配偶",
             "disability_category": "肢体", "disability_grade": "2"},
        ],
        "facts": {"monthly_wages": "１,２００元", "vehicles": "0"},
    }
    response = client.post(f"{API}/households", payload, content_type="application/json", **bearer(handler))
    assert response.status_code == 201, response.content
    body = response.json()
    household = Household.objects.get(pk=body["id"])
    assert household.address == "API 1 号" and body["facts"][0]["monthly_wages"] == "1200.00"
    assert AuditEvent.objects.filter(action="household.register", object_id=str(household.pk), source="api").exists()


def test_create_household_with_bad_rows_is_422_and_writes_nothing(client, handler):
    payload = {"region_code": LINYI_VILLAGE, "members": [
        {"name": "错", "id_number": "371424199001011230", "relation": "户主"}], "facts": {"deposits": "很多"}}
    before = (Household.objects.count(), AuditEvent.objects.count())
    response = client.post(f"{API}/households", payload, content_type="application/json", **bearer(handler))
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["details"]["problems"]}
    assert fields == {"members[0].id_number", "facts.deposits"}
    assert (Household.objects.count(), AuditEvent.objects.count()) == before


def test_record_facts_and_move_member(client, handler):
    household = make_household(LINYI_VILLAGE)
    target = make_household(LINYI_VILLAGE_2)
    spouse = household.members.exclude(pk=household.head_id).get()
    auth = bearer(handler)
    today = timezone.localdate().isoformat()
    response = client.post(f"{API}/households/{household.pk}/facts",
                           {"as_of": today, "values": {"monthly_wages": "300", "housing": "D级危房"}},
                           content_type="application/json", **auth)
    assert response.status_code == 201 and response.json()["housing"] == "d_class"
    assert HouseholdFacts.objects.filter(household=household, as_of=today, housing="d_class").exists()
    response = client.post(f"{API}/people/{spouse.pk}/facts",
                           {"as_of": today, "values": {"health": "重病", "labour": "none"}},
                           content_type="application/json", **auth)
    assert response.status_code == 201, response.content
    assert MemberFacts.objects.filter(person=spouse, as_of=today, health="serious").exists()
    response = client.post(f"{API}/people/{spouse.pk}/move", {"to_household_id": target.pk, "relation": "spouse"},
                           content_type="application/json", **auth)
    assert response.status_code == 200 and response.json()["household_id"] == target.pk
    assert AuditEvent.objects.filter(action="member.move", object_id=str(spouse.pk), source="api").exists()


def test_person_lookup_by_id_number(client, handler):
    household = make_household(LINYI_VILLAGE)
    other = make_household(XINGLONG_VILLAGE)
    auth = bearer(handler)
    number = household.head.id_number
    response = client.post(f"{API}/people/lookup", {"id_number": number.lower()}, content_type="application/json",
                           **auth)
    assert response.status_code == 200 and response.json()["household_id"] == household.pk
    assert number not in response.content.decode()
    response = client.post(f"{API}/people/lookup", {"id_number": other.head.id_number},
                           content_type="application/json", **auth)
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["department", "social_org"])
def test_department_and_social_org_users_see_no_registry(client, role):
    household = make_household(LINYI_VILLAGE)
    auth = bearer(make_user(role, "371424000000"))
    assert client.get(f"{API}/households", **auth).status_code == 403
    assert client.get(f"{API}/households/{household.pk}", **auth).status_code == 403
    response = client.post(f"{API}/people/lookup", {"id_number": household.head.id_number},
                           content_type="application/json", **auth)
    assert response.status_code == 403


def test_anonymous_and_revoked_tokens_are_401(client, handler):
    assert client.get(f"{API}/households").status_code == 401
    token, key = ApiToken.issue(user=handler, name="old")
    token.revoked_at = timezone.now()
    token.save()
    response = client.get(f"{API}/households", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"


def test_issue_token_prints_a_token_once_and_stores_only_its_hash(handler, capsys, client):
    call_command("issue_token", handler.username, "nightly sync")
    key = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(user=handler, name="nightly sync")
    assert key.startswith("djz_") and token.key_hash == ApiToken.hash_key(key) and key not in token.key_hash
    assert client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {key}").json()["username"] == handler.username
    assert AuditEvent.objects.filter(action="accounts.token_issue").exists()


def test_unknown_fields_are_refused_and_nothing_is_written(client, handler):
    household = make_household(LINYI_VILLAGE)
    before = (HouseholdFacts.objects.count(), AuditEvent.objects.count())
    response = client.post(f"{API}/households/{household.pk}/facts",
                           {"as_of": timezone.localdate().isoformat(), "values": {"salary": 100}},
                           content_type="application/json", **bearer(handler))
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert (HouseholdFacts.objects.count(), AuditEvent.objects.count()) == before


def test_numbers_may_be_sent_as_json_numbers(client, handler):
    household = make_household(LINYI_VILLAGE)
    today = timezone.localdate().isoformat()
    response = client.post(f"{API}/households/{household.pk}/facts",
                           {"as_of": today, "values": {"monthly_wages": 1234.5, "vehicles": 1, "safe_water": False}},
                           content_type="application/json", **bearer(handler))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["monthly_wages"] == "1234.50" and body["vehicles"] == 1 and body["safe_water"] is False


def test_session_writes_need_the_csrf_token(handler):
    from django.test import Client

    household = make_household(LINYI_VILLAGE)
    client = Client(enforce_csrf_checks=True)
    client.force_login(handler)
    before = HouseholdFacts.objects.count()
    response = client.post(f"{API}/households/{household.pk}/facts",
                           {"as_of": timezone.localdate().isoformat(), "values": {"monthly_wages": "1"}},
                           content_type="application/json")
    assert response.status_code in (401, 403)
    assert HouseholdFacts.objects.count() == before


def test_api_registration_in_another_township_returns_the_new_household_once(client, handler):
    payload = {"region_code": XINGLONG_VILLAGE,
               "members": [{"name": "远方", "id_number": next_id_number(years_ago(30)), "relation": "head"}]}
    auth = bearer(handler)
    response = client.post(f"{API}/households", payload, content_type="application/json", **auth)
    assert response.status_code == 201, response.content
    household_id = response.json()["id"]
    assert client.get(f"{API}/households/{household_id}", **auth).status_code == 404
