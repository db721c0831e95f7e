"""Pages and API: the window's one form, the instant decision, case detail, printing, the public notice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dajiuzhu.cases.models import Case, CaseStatus, ItemStatus, Objection
from dajiuzhu.cases.services import case_transition
from dajiuzhu.core.testing import LINYI_TOWN, XINGLONG_VILLAGE, make_user, member_input
from dajiuzhu.registry.models import Household

from .conftest import DEPING_TOWN, family, next_month_start, today
from .test_workflow import tekun_case, walk_to_notice

pytestmark = pytest.mark.django_db


def form_data(members, facts, items=("dibao",)):
    data = {"id_number": members[0]["id_number"], "channel": "window", "region_code": XINGLONG_VILLAGE,
            "address": "兴隆村5号", "items": list(items), "promise_signed": "on", "authorisation_signed": "on",
            "housing": "safe"}
    for i, m in enumerate(members):
        for key, value in m.items():
            data[f"member-{i}-{key}"] = value
    data.update(facts)
    return data


def test_the_window_page_registers_a_xinglong_family_and_shows_the_dibao_decision(catalogue, client, linyi_handler):
    client.force_login(linyi_handler)
    assert client.get(reverse("cases:new")).status_code == 200
    members, facts = family()
    response = client.post(reverse("cases:new"), form_data(members, facts), follow=True)
    assert response.status_code == 200
    case = Case.objects.get()
    assert response.redirect_chain[-1][0] == reverse("cases:detail", args=[case.pk])
    content = response.content.decode()
    assert "840.00" in content
    assert case.items.get(item__code="dibao").status == ItemStatus.APPROVED
    assert case.household.region_code == XINGLONG_VILLAGE and case.accepted_region_code == LINYI_TOWN


def test_the_window_page_shows_a_refusal_and_changes_nothing(catalogue, client, linyi_handler):
    client.force_login(linyi_handler)
    members, facts = family()
    data = form_data(members, facts)
    del data["promise_signed"]
    response = client.post(reverse("cases:new"), data)
    assert response.status_code == 200
    assert "信用承诺" in response.content.decode()
    assert not Case.objects.exists() and not Household.objects.exists()


def test_the_lookup_finds_a_household_of_another_township_by_full_id_number(catalogue, client, linyi_handler):
    from dajiuzhu.core.testing import make_household

    household = make_household(XINGLONG_VILLAGE)
    client.force_login(linyi_handler)
    response = client.post(reverse("cases:lookup"), {"id_number": household.head.id_number})
    assert household.number in response.content.decode()
    assert household.head.id_number not in response.content.decode()


def test_the_api_submits_an_application_with_the_instant_decision(catalogue, client, linyi_handler):
    client.force_login(linyi_handler)
    members, facts = family()
    payload = {"items": ["dibao"], "facts": facts, "promise_signed": True, "authorisation_signed": True,
               "id_number": members[0]["id_number"],
               "new_household": {"region_code": XINGLONG_VILLAGE, "members": members}}
    response = client.post("/api/v1/cases/applications", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    dibao = next(i for i in body["items"] if i["item_code"] == "dibao")
    assert dibao["status"] == "approved" and Decimal(str(dibao["amount"])) == Decimal("840.00")
    assert dibao["effective_from"] == next_month_start().isoformat()
    case_id = body["id"]
    timeline = client.get(f"/api/v1/cases/cases/{case_id}/timeline").json()
    assert [e["action"] for e in timeline][:1] == ["submit"]
    # The same application again: a clear refusal (problem+json), nothing changes.
    again = client.post("/api/v1/cases/applications", {**payload, "new_household": None,
                                                        "facts": facts}, content_type="application/json")
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert "already receives" in again.json()["detail"]
    assert Case.objects.count() == 1


@pytest.mark.parametrize("who", ["anonymous", "wrong_region", "wrong_role", "allowed"])
def test_api_case_detail_permissions(catalogue, client, linyi_handler, who):
    from .test_application import submit_new_family

    case = submit_new_family(linyi_handler)
    users = {"wrong_region": make_user("township_handler", DEPING_TOWN),
             "wrong_role": make_user("department", "371424000000"),
             "allowed": make_user("township_handler", "371424105000")}
    if who != "anonymous":
        client.force_login(users[who])
    response = client.get(f"/api/v1/cases/cases/{case.pk}")
    expected = {"anonymous": 401, "wrong_region": 404, "wrong_role": 404, "allowed": 200}[who]
    assert response.status_code == expected
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == {"anonymous": 302, "wrong_region": 404, "wrong_role": 404, "allowed": 200}[who]


def test_api_decision_outside_the_jurisdiction_is_a_404_and_changes_nothing(catalogue, client, linyi_handler,
                                                                            xinglong_handler):
    case = tekun_case(linyi_handler)
    walk_to_notice(case, xinglong_handler, today() - dt.timedelta(days=8))
    case_transition(actor=xinglong_handler, case=case, step="close_notice")
    client.force_login(make_user("county_approver", "371425000000"))
    response = client.post(f"/api/v1/cases/cases/{case.pk}/decision", {"outcome": "approve", "opinion": "同意"},
                           content_type="application/json")
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_DECISION


def test_api_walks_the_check_first_path(catalogue, client, linyi_handler, xinglong_handler, county_approver):
    case = tekun_case(linyi_handler)
    client.force_login(xinglong_handler)
    for step, opinion in [("investigate", ""), ("record_home_visit", "入户"), ("record_deliberation", "评议"),
                          ("township_opinion", "同意"), ("publish_notice", "")]:
        response = client.post(f"/api/v1/cases/cases/{case.pk}/transitions", {"step": step, "opinion": opinion},
                               content_type="application/json")
        assert response.status_code == 200, response.content
    bad = client.post(f"/api/v1/cases/cases/{case.pk}/transitions", {"step": "close_notice"},
                      content_type="application/json")
    assert bad.status_code == 422 and "public notice runs until" in bad.json()["detail"]
    assert client.get(f"/api/v1/cases/notices/{XINGLONG_VILLAGE}").status_code == 200


def test_the_public_notice_page_masks_names_and_never_shows_id_numbers(catalogue, client, linyi_handler,
                                                                      xinglong_handler):
    case = tekun_case(linyi_handler)
    walk_to_notice(case, xinglong_handler, today())
    head = case.household.head
    response = client.get(reverse("cases:public_notices", args=[XINGLONG_VILLAGE]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "孙**" in content and head.name not in content
    assert head.id_number not in content and head.id_masked not in content
    assert "1016.00" in content
    api = client.get(f"/api/v1/cases/notices/{XINGLONG_VILLAGE}").json()
    assert api[0]["head_name_masked"] == "孙**"


def test_an_objection_from_the_public_page_reopens_the_investigation(catalogue, linyi_handler, xinglong_handler):
    from django.test import Client

    case = tekun_case(linyi_handler)
    walk_to_notice(case, xinglong_handler, today())
    notice = case.notices.get()
    csrf_client = Client(enforce_csrf_checks=True)
    url = reverse("cases:public_notices", args=[XINGLONG_VILLAGE])
    # Without the CSRF token the objection is refused.
    assert csrf_client.post(url, {"notice": notice.pk, "text": "有房产"}).status_code == 403
    csrf_client.get(url)
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post(url, {"notice": notice.pk, "text": "该户在县城有房产", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING
    assert Objection.objects.get().case == case


def test_objections_are_rate_limited(catalogue, client, linyi_handler, xinglong_handler):
    from dajiuzhu.cases.notices import OBJECTIONS_PER_HOUR

    case = tekun_case(linyi_handler)
    walk_to_notice(case, xinglong_handler, today())
    notice = case.notices.get()
    url = f"/api/v1/cases/notices/{notice.pk}/objections"
    for _ in range(OBJECTIONS_PER_HOUR):
        client.post(url, {"text": ""}, content_type="application/json")
    response = client.post(url, {"text": "有房产"}, content_type="application/json")
    assert response.status_code == 409
    assert not Objection.objects.exists()


@pytest.mark.parametrize("name", ["cases:print_acceptance", "cases:print_form", "cases:print_decision"])
def test_printable_documents_render(catalogue, client, linyi_handler, name):
    from .test_application import submit_new_family

    case = submit_new_family(linyi_handler)
    client.force_login(linyi_handler)
    response = client.get(reverse(name, args=[case.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert case.number in content and "@media print" not in content  # print CSS is in cases.css
    if name == "cases:print_form":
        assert "840.00" in content and "720" in content  # amount and the 低保 standard


def test_workbench_approvals_reviews_and_worklist_pages(catalogue, client, linyi_handler, county_approver):
    from .test_application import submit_new_family

    submit_new_family(linyi_handler)
    client.force_login(linyi_handler)
    for name in ("cases:workbench", "cases:reviews", "cases:worklist", "cases:public_index"):
        assert client.get(reverse(name)).status_code == 200
    assert client.get(reverse("cases:approvals")).status_code == 403
    client.force_login(county_approver)
    assert client.get(reverse("cases:approvals")).status_code == 200


def test_the_workbench_query_count_is_pinned(catalogue, client, linyi_handler, django_assert_max_num_queries):
    from .test_application import submit_new_family

    for _ in range(3):
        submit_new_family(linyi_handler, members=[
            {"name": "甲", "id_number": member_input(age=50).id_number, "relation": "head"}], facts={})
    client.force_login(linyi_handler)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("cases:workbench")).status_code == 200


def test_the_instant_decision_query_count_is_pinned(catalogue, client, linyi_handler, django_assert_max_num_queries):
    from dajiuzhu.core.testing import make_household

    household = make_household(XINGLONG_VILLAGE)
    client.force_login(linyi_handler)
    payload = {"items": ["dibao"], "facts": {"monthly_wages": "600"}, "promise_signed": True,
               "authorisation_signed": True, "id_number": household.head.id_number}
    with django_assert_max_num_queries(40):  # (with the savepoints of the test's transaction; was 60)
        response = client.post("/api/v1/cases/applications", payload, content_type="application/json")
    assert response.status_code == 201


def test_the_apply_link_of_an_alert_opens_the_form_with_the_household_and_the_proactive_channel(
        catalogue, client, xinglong_handler, linyi_handler):
    from dajiuzhu.core.testing import make_household

    household = make_household(XINGLONG_VILLAGE)
    client.force_login(xinglong_handler)
    response = client.get(reverse("cases:new") + f"?household={household.pk}&alert=7")
    content = response.content.decode()
    assert response.status_code == 200
    assert f'name="household_id" value="{household.pk}"' in content
    assert household.number in content
    assert response.context["form"].initial["channel"] == "proactive"
    # Another township's window cannot open it by id (apply anywhere works by full ID number only).
    client.force_login(linyi_handler)
    assert client.get(reverse("cases:new") + f"?household={household.pk}").status_code == 404


def test_the_case_page_shows_the_households_credit_flag(catalogue, client, xinglong_handler):
    from dajiuzhu.core.testing import make_household
    from dajiuzhu.credit.services import dishonesty_record_list_after_hearing

    household = make_household(XINGLONG_VILLAGE)
    admin = make_user("county_admin", "371424000000")
    record = dishonesty_record_list_after_hearing(actor=admin, person=household.head, reason="concealment",
                                                  source="case", details="隐瞒车辆",
                                                  start=dt.date.today() - dt.timedelta(days=14))
    case = Case.objects.create(number="T-FLAG-1", household=household, applicant=household.head,
                               region_code=household.region_code, accepted_region_code=XINGLONG_VILLAGE[:9] + "000",
                               channel="window", created_by=xinglong_handler)
    client.force_login(xinglong_handler)
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("credit:detail", args=[record.pk]) in body
