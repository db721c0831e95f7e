"""The registry pages: search, detail, identity, and the forms that change a household."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    LINYI_VILLAGE,
    LINYI_VILLAGE_2,
    URBAN_COMMUNITY,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
    member_input,
    next_id_number,
    years_ago,
)
from dajiuzhu.registry.models import Household, HouseholdFacts, MemberFacts, Membership, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def handler(client):
    user = make_user("township_handler", LINYI_TOWN)
    client.force_login(user)
    return user


def test_search_lists_only_households_of_the_jurisdiction_with_masked_ids(client, handler):
    mine = make_household(LINYI_VILLAGE)
    other = make_household(XINGLONG_VILLAGE)
    response = client.get(reverse("registry:household_search"))
    assert response.status_code == 200
    body = response.content.decode()
    assert mine.number in body and other.number not in body
    assert mine.head.id_masked in body and mine.head.id_number not in body


def test_search_by_name_prefix_and_by_full_id_number(client, handler):
    wang = make_household(LINYI_VILLAGE, members=[member_input("王小明")])
    zhao = make_household(LINYI_VILLAGE, members=[member_input("赵大海")])
    body = client.get(reverse("registry:household_search"), {"q": "王小"}).content.decode()
    assert wang.number in body and zhao.number not in body
    number = zhao.head.id_number
    typed = " ".join([number[:6], number[6:14], number[14:]]).lower()  # spaced, lower-case x
    response = client.post(reverse("registry:household_search"), {"q": typed})
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:household_detail", args=[zhao.pk])


def test_the_search_form_posts_and_redirects_so_id_numbers_never_reach_a_url(client, handler):
    wang = make_household(LINYI_VILLAGE, members=[member_input("王小明")])
    url = reverse("registry:household_search")
    # A name: post/redirect/get to a bookmarkable list (empty fields and the CSRF token dropped).
    response = client.post(url, {"q": "王小", "area": "", "csrfmiddlewaretoken": "x"})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(url + "?") and "csrf" not in location and "area" not in location
    assert wang.number in client.get(location).content.decode()
    # An ID number typed into the address bar is not searched and is dropped from the address.
    number = wang.head.id_number
    response = client.get(url, {"q": number, "area": "rural"})
    assert response.status_code == 302
    assert number not in response["Location"] and response["Location"] == url + "?area=rural"
    body = client.get(response["Location"]).content.decode()
    assert number not in body
    # An unknown ID number posted: back to the search, with a message, and no number in the address.
    response = client.post(url, {"q": "110101199003074514"}, follow=True)
    assert all("110101199003074514" not in hop for hop, _ in response.redirect_chain)
    assert "110101199003074514" not in response.content.decode()


def test_lists_stop_counting_at_the_cap(client, handler, monkeypatch):
    from dajiuzhu.core import views as core_views

    for _ in range(4):
        make_household(LINYI_VILLAGE)
    monkeypatch.setattr(core_views, "COUNT_CAP", 3)
    response = client.get(reverse("registry:household_search"))
    page = response.context["page"]
    assert page.paginator.capped and page.paginator.count == 3
    assert "超过 3 条" in response.content.decode()  # "more than 3 matches", in Chinese by default
    monkeypatch.setattr(core_views, "COUNT_CAP", 10)
    page = client.get(reverse("registry:household_search")).context["page"]
    assert not page.paginator.capped and page.paginator.count == 4


def test_search_by_village_and_urban_or_rural(client):
    admin = make_user("county_admin", LINYI_COUNTY)
    client.force_login(admin)
    rural = make_household(LINYI_VILLAGE)
    rural2 = make_household(LINYI_VILLAGE_2)
    urban = make_household(URBAN_COMMUNITY)
    body = client.get(reverse("registry:household_search"), {"town": LINYI_TOWN, "village": LINYI_VILLAGE}).content.decode()
    assert rural.number in body and rural2.number not in body and urban.number not in body
    body = client.get(reverse("registry:household_search"), {"area": "urban"}).content.decode()
    assert urban.number in body and rural.number not in body


def test_search_flags_disability_elderly_alone_and_orphans(client, handler):
    disabled = make_household(LINYI_VILLAGE, members=[
        member_input("甲", disability_category="physical", disability_grade=2)])
    alone = make_household(LINYI_VILLAGE, members=[member_input("乙", age=75)])
    old_couple = make_household(LINYI_VILLAGE, members=[member_input("丙", age=75),
                                                        member_input("丁", relation="spouse", sex="F", age=72)])
    orphans = make_household(LINYI_VILLAGE, members=[member_input("戊", age=66),
                                                     member_input("己", relation="grandchild", age=9)])
    family = make_household(LINYI_VILLAGE, members=[member_input("庚", age=35),
                                                    member_input("辛", relation="child", age=8)])
    url = reverse("registry:household_search")

    def found(**flags):
        body = client.get(url, {k: "on" for k in flags}).content.decode()
        return {h for h in (disabled, alone, old_couple, orphans, family) if h.number in body}

    assert found(disability=1) == {disabled}
    assert found(elderly_alone=1) == {alone}
    assert found(orphans=1) == {orphans}


def test_search_page_query_count_does_not_grow_with_rows(client, handler, django_assert_num_queries):
    for _ in range(3):
        make_household(LINYI_VILLAGE)
    url = reverse("registry:household_search")
    client.get(url)  # warm the session
    with django_assert_num_queries(7):
        client.get(url)
    for _ in range(5):
        make_household(LINYI_VILLAGE)
    with django_assert_num_queries(7):
        assert client.get(url).status_code == 200


def test_household_detail_shows_members_facts_and_history_newest_first(client, handler, django_assert_num_queries):
    household = make_household(LINYI_VILLAGE)
    from dajiuzhu.registry.services import household_facts_record

    household_facts_record(actor=handler, household=household, as_of=timezone.localdate(),
                           values={"monthly_wages": "900.00"})
    url = reverse("registry:household_detail", args=[household.pk])
    client.get(url)
    # 10 for the registry's own sections + 10 for the panels of the apps above it
    # (credit flag, assistance received, indices; social services 2, jobs and training 2),
    # constant in the number of members.
    with django_assert_num_queries(20):
        client.get(url)
    from dajiuzhu.registry.services import member_add

    for name in ("张一", "张二", "张三丰"):
        member_add(actor=handler, household=household, member=member_input(name, relation="child", age=10))
    with django_assert_num_queries(20):
        response = client.get(url)
    body = response.content.decode()
    assert household.head.id_masked in body and household.head.id_number not in body
    assert "900.00" in body and "600.00" in body
    events = response.context["events"]
    assert [e.action for e in events] == ["member.add"] * 3 + ["household.facts", "household.register"]
    assert "张三丰" in body


def test_detail_of_another_township_is_404(client, handler):
    other = make_household(XINGLONG_VILLAGE)
    assert client.get(reverse("registry:household_detail", args=[other.pk])).status_code == 404


def test_show_full_id_number_is_audited(client, handler):
    household = make_household(LINYI_VILLAGE)
    head = household.head
    before = AuditEvent.objects.filter(action="identity.view").count()
    response = client.post(reverse("registry:person_identity", args=[head.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and head.id_number in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.filter(action="identity.view").latest("id")
    assert AuditEvent.objects.filter(action="identity.view").count() == before + 1
    assert event.actor == handler and event.object_id == str(head.pk)


@pytest.mark.parametrize("role,region", [("village_worker", LINYI_VILLAGE), ("supervisor", LINYI_COUNTY)])
def test_show_full_id_number_is_refused_without_view_identity(client, role, region):
    household = make_household(LINYI_VILLAGE)
    client.force_login(make_user(role, region))
    before = AuditEvent.objects.count()
    response = client.post(reverse("registry:person_identity", args=[household.head.pk]))
    assert response.status_code == 403
    assert household.head.id_number not in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_show_full_id_number_outside_jurisdiction_is_404(client, handler):
    other = make_household(XINGLONG_VILLAGE)
    assert client.post(reverse("registry:person_identity", args=[other.head.pk])).status_code == 404


def _member_post(prefix, index, name, number, relation, **extra):
    data = {"name": name, "id_number": number, "relation": relation, "health": "healthy", "labour": "full",
            "employment": "farming", "ethnicity": "汉族", **extra}
    return {f"{prefix}-{index}-{key}": value for key, value in data.items()}


def test_register_a_household_with_members_and_facts(client, handler):
    head_number = next_id_number(years_ago(50))
    child_number = next_id_number(years_ago(12), sex="F")
    data = {
        "region_code": LINYI_VILLAGE, "address": "张法古村 12 号", "as_of": timezone.localdate().isoformat(),
        "monthly_wages": "1,200", "deposits": "3000元", "housing": "safe", "safe_water": "on",
        "members-TOTAL_FORMS": "2", "members-INITIAL_FORMS": "0", "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "20",
        **_member_post("members", 0, "刘备", head_number, "head"),
        **_member_post("members", 1, "刘禅", child_number.lower(), "child", employment="student"),
    }
    response = client.post(reverse("registry:household_create"), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    household = Household.objects.get(address="张法古村 12 号")
    assert household.members.count() == 2 and household.head.name == "刘备"
    facts = HouseholdFacts.objects.get(household=household)
    assert str(facts.monthly_wages) == "1200.00" and str(facts.deposits) == "3000.00"
    assert AuditEvent.objects.filter(action="household.register", object_id=str(household.pk)).exists()


def test_register_form_shows_validation_errors_and_changes_nothing(client, handler):
    data = {
        "region_code": LINYI_VILLAGE, "as_of": timezone.localdate().isoformat(), "housing": "safe",
        "members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "0", "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "20", **_member_post("members", 0, "=cmd()", "371424199001011234", "head"),
    }
    before = (Household.objects.count(), AuditEvent.objects.count())
    response = client.post(reverse("registry:household_create"), data)
    assert response.status_code == 200
    errors = response.context["formset"].forms[0].errors
    assert "id_number" in errors and "name" in errors
    assert (Household.objects.count(), AuditEvent.objects.count()) == before


def test_edit_household_address_is_audited(client, handler):
    household = make_household(LINYI_VILLAGE)
    response = client.post(reverse("registry:household_edit", args=[household.pk]),
                           {"region_code": LINYI_VILLAGE_2, "address": "新地址"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.region_code == LINYI_VILLAGE_2 and household.address == "新地址"
    event = AuditEvent.objects.filter(action="household.update").latest("id")
    assert event.new == {"region_code": LINYI_VILLAGE_2, "address": "新地址"}
    response = client.get(reverse("registry:household_detail", args=[household.pk]))
    latest = response.context["events"][0]
    assert latest.action == "household.update"
    assert sorted((old, new) for _label, old, new in latest.changes) == [("", "新地址"), (LINYI_VILLAGE, LINYI_VILLAGE_2)]


def test_add_member_move_member_facts_and_death(client, handler):
    household = make_household(LINYI_VILLAGE)
    target = make_household(LINYI_VILLAGE_2)
    number = next_id_number(years_ago(20), sex="F")
    response = client.post(reverse("registry:member_add", args=[household.pk]), {
        "as_of": timezone.localdate().isoformat(), "name": "张小红", "id_number": number, "relation": "child",
        "health": "healthy", "labour": "full", "employment": "student"})
    assert response.status_code == 302
    person = Person.objects.get(name="张小红")
    assert person.household == household

    today = timezone.localdate()
    response = client.post(reverse("registry:member_facts", args=[household.pk, person.pk]), {
        "as_of": today.isoformat(), "health": "serious", "illness": "白血病", "labour": "none",
        "employment": "not_working", "adl_failed": "2"})
    assert response.status_code == 302
    assert MemberFacts.objects.filter(person=person, as_of=today, health="serious").exists()

    response = client.post(reverse("registry:member_move", args=[household.pk, person.pk]), {
        "to_household": target.number, "relation": "spouse", "on": today.isoformat()})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.household == target
    assert Membership.objects.get(person=person, household=household).end == today
    assert AuditEvent.objects.filter(action="member.move", object_id=str(person.pk)).exists()

    response = client.post(reverse("registry:member_death", args=[target.pk, person.pk]),
                           {"on": (today - dt.timedelta(days=0)).isoformat()})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.deceased_on == today


def test_moving_into_a_household_of_another_township_is_refused(client, handler):
    household = make_household(LINYI_VILLAGE)
    spouse = household.members.exclude(pk=household.head_id).get()
    other = make_household(XINGLONG_VILLAGE)
    response = client.post(reverse("registry:member_move", args=[household.pk, spouse.pk]), {
        "to_household": other.number, "relation": "spouse", "on": timezone.localdate().isoformat()})
    assert response.status_code == 200
    assert "to_household" in response.context["form"].errors
    spouse.refresh_from_db()
    assert spouse.household == household


def test_household_facts_form_records_a_dated_observation(client, handler):
    household = make_household(LINYI_VILLAGE)
    response = client.get(reverse("registry:household_facts", args=[household.pk]))
    assert response.status_code == 200
    today = timezone.localdate()
    response = client.post(reverse("registry:household_facts", args=[household.pk]), {
        "as_of": today.isoformat(), "monthly_wages": "１５００", "vehicles": "1", "vehicles_for_disability": "2",
        "housing": "d_class"})
    assert response.status_code == 200 and "vehicles_for_disability" in response.context["form"].errors
    response = client.post(reverse("registry:household_facts", args=[household.pk]), {
        "as_of": today.isoformat(), "monthly_wages": "１５００", "vehicles": "1", "housing": "d_class"})
    assert response.status_code == 302
    facts = HouseholdFacts.objects.get(household=household, as_of=today)
    assert str(facts.monthly_wages) == "1500.00" and facts.housing == "d_class"


@pytest.mark.parametrize("role,region", [("supervisor", LINYI_COUNTY), ("county_approver", LINYI_COUNTY)])
def test_read_only_roles_cannot_open_the_forms(client, role, region):
    household = make_household(LINYI_VILLAGE)
    client.force_login(make_user(role, region))
    assert client.get(reverse("registry:household_detail", args=[household.pk])).status_code == 200
    assert client.get(reverse("registry:household_edit", args=[household.pk])).status_code == 403
    assert client.get(reverse("registry:household_create")).status_code == 403


def test_lookup_by_full_id_number_is_a_post_and_opens_the_household(client, handler):
    household = make_household(LINYI_VILLAGE)
    other = make_household(XINGLONG_VILLAGE)
    number = household.head.id_number
    response = client.post(reverse("registry:person_lookup"), {"id_number": f" {number.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:household_detail", args=[household.pk])
    response = client.post(reverse("registry:person_lookup"), {"id_number": other.head.id_number})
    assert response.status_code == 302 and response["Location"] == reverse("registry:household_search")
    assert client.get(reverse("registry:person_lookup")).status_code == 405


def test_a_township_window_may_register_a_family_of_another_township_which_then_belongs_there(client, handler):
    """Apply anywhere (不受户籍地、居住地限制): the 临邑镇 window registers a 兴隆镇 family."""
    data = {
        "region_code": XINGLONG_VILLAGE, "as_of": timezone.localdate().isoformat(), "housing": "safe",
        "members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "0", "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "20", **_member_post("members", 0, "远方", next_id_number(years_ago(30)), "head"),
    }
    response = client.post(reverse("registry:household_create"), data)
    assert response.status_code == 302 and response["Location"] == reverse("registry:household_search")
    household = Household.objects.get(region_code=XINGLONG_VILLAGE)
    assert client.get(reverse("registry:household_detail", args=[household.pk])).status_code == 404


def test_member_facts_form_refuses_what_the_import_refuses(client, handler):
    household = make_household(LINYI_VILLAGE)
    head = household.head
    before = MemberFacts.objects.filter(person=head).count()
    response = client.post(reverse("registry:member_facts", args=[household.pk, head.pk]), {
        "as_of": timezone.localdate().isoformat(), "health": "chronic", "illness": "=HYPERLINK(\"x\")",
        "disability_grade": "2", "labour": "partial", "employment": "farming"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "illness" in errors and "disability_category" in errors
    assert MemberFacts.objects.filter(person=head).count() == before


def test_household_page_shows_the_sections_of_the_apps_above_the_registry(client, handler):
    """The credit flag, the assistance in force, the indices and the results link are panels."""
    from dajiuzhu.core.testing import make_user
    from dajiuzhu.credit.services import dishonesty_record_list_after_hearing

    household = make_household(LINYI_VILLAGE)
    admin = make_user("county_admin", "371424000000")
    record = dishonesty_record_list_after_hearing(actor=admin, person=household.head, reason="concealment",
                                                  source="case", details="隐瞒车辆",
                                                  start=dt.date.today() - dt.timedelta(days=14))
    client.force_login(handler)
    body = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert reverse("credit:detail", args=[record.pk]) in body
    assert reverse("cases:new") + f"?household={household.pk}" in body
    assert reverse("results:household", args=[household.pk]) in body
