import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dajiuzhu.core.audit import AuditEvent
from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, LINYI_VILLAGE, make_household, make_user, member_input
from dajiuzhu.results.models import AssistanceRecord
from dajiuzhu.social import charity, quality, roster, selectors, services
from dajiuzhu.social.models import Order, Organisation, Settlement, Visit, Wish

from .conftest import credit_code, give_benefit

pytestmark = pytest.mark.django_db


def _times(day: dt.date, start_hour: int, hours: int = 1):
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(start_hour)))
    return start, start + dt.timedelta(hours=hours)


def _accepted(project, org, household, coordinator, worker, *, kind="visit", month=None):
    order, _ = services.order_create(actor=make_user("county_admin", LINYI_COUNTY), project=project, organisation=org,
                                     household=household, kind=kind, month=month)
    return services.order_accept(actor=coordinator, order=order, worker=worker)


# --- the register -------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["91110000600037341X", "9111000060003734", "", "91110000600037341l0"])
def test_an_invalid_unified_social_credit_code_is_refused_and_nothing_is_registered(admin, code):
    with pytest.raises(DomainError) as exc:
        services.organisation_register(actor=admin, name="某社工机构", credit_code=code, authority="民政局",
                                       region_code=LINYI_COUNTY, services=["visit"], area_codes=[LINYI_TOWN],
                                       contact_name="张三")
    assert exc.value.field == "credit_code"
    assert "GB 32100" in exc.value.message and "统一社会信用代码" in exc.value.message
    assert not Organisation.objects.exists()


def test_a_valid_code_registers_the_organisation_with_its_area_and_an_encrypted_phone(org):
    assert services.validate_credit_code("91110000600037341l") == "91110000600037341L"
    assert org.credit_code == credit_code(1)
    assert list(org.areas.values_list("prefix", flat=True)) == [LINYI_TOWN[:9]]
    assert org.contact_phone_masked == "138****0001"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_phone FROM social_organisation WHERE id = %s", [org.pk])
        assert "13805340001" not in cursor.fetchone()[0]
    assert org.qualifications.get().expires_on == dt.date(2030, 1, 1)


def test_registering_needs_the_county_manager(org):
    township = make_user("township_handler", LINYI_TOWN)
    with pytest.raises(Forbidden):
        services.organisation_register(actor=township, name="另一机构", credit_code=credit_code(9),
                                       authority="民政局", region_code=LINYI_COUNTY, services=["visit"],
                                       area_codes=[LINYI_TOWN], contact_name="张三")
    assert Organisation.objects.count() == 1


# --- projects and orders ------------------------------------------------------------------------

def test_an_order_for_a_household_outside_the_service_area_is_refused(project, org, far_household, admin):
    with pytest.raises(DomainError) as exc:
        services.order_create(actor=admin, project=project, organisation=org, household=far_household, kind="visit")
    assert "服务区域" in exc.value.message
    assert not Order.objects.exists()


def test_an_order_by_hand_is_due_at_the_end_of_its_month_and_audited(project, org, family, admin):
    order, created = services.order_create(actor=admin, project=project, organisation=org, household=family,
                                           kind="counselling", needs="情绪疏导")
    assert created and order.status == "assigned"
    assert order.due_on == services.month_end(timezone.localdate().replace(day=1))
    assert AuditEvent.objects.filter(action="social.order_create", object_id=str(order.pk)).exists()


def test_the_roster_rule_orders_a_visit_for_every_elderly_person_living_alone_in_a_dibao_household_once(
        project, org, admin, elderly_alone, family):
    not_on_dibao = make_household(LINYI_VILLAGE, members=[member_input("钱老太", age=81, sex="F")])
    give_benefit(elderly_alone)
    give_benefit(family)  # on 低保, but two members under 60
    assert not_on_dibao
    rule = roster.rule_create(actor=admin, project=project, organisation=org, name="低保独居老人每月探访",
                              conditions=[["household_size", "==", 1], ["members_over_60", ">=", 1]],
                              tiers=["dibao"])
    month = timezone.localdate().replace(day=1)
    assert roster.orders_generate(actor=admin, rule=rule, month=month) == {"selected": 1, "created": 1}
    order = Order.objects.get()
    assert (order.household, order.source, order.month, order.due_on) == (elderly_alone, "roster", month,
                                                                          month.replace(day=25))
    # A second run of the same month adds nothing.
    assert roster.orders_generate(actor=admin, rule=rule, month=month) == {"selected": 1, "created": 0}
    assert Order.objects.count() == 1
    assert "低保" in roster.rule_in_words(rule)


def test_a_roster_rule_over_an_unknown_fact_is_refused(project, org, admin):
    with pytest.raises(DomainError) as exc:
        roster.rule_create(actor=admin, project=project, organisation=org, name="x", conditions=[["age", ">", 60]])
    assert "未知指标 age" in exc.value.message


def test_a_warning_follow_up_referred_to_a_social_worker_closes_the_alert_and_sends_an_order(project, org, family,
                                                                                             admin):
    from dajiuzhu.alerts.models import Alert
    from dajiuzhu.alerts.services import active_ruleset

    alert = Alert.objects.create(household=family, region_code=family.region_code, on=timezone.localdate(),
                                 level="orange", ruleset=active_ruleset(), due_on=timezone.localdate())
    order = services.order_from_alert(actor=admin, alert=alert, project=project, organisation=org,
                                      needs="收入骤降，需心理疏导")
    alert.refresh_from_db()
    assert alert.status == "closed" and alert.follow_up.outcome == "referred"
    assert alert.follow_up.organisation == org.name
    assert (order.source, order.kind, order.source_ref) == ("alert", "counselling", str(alert.pk))


def test_a_referral_to_an_organisation_outside_its_area_leaves_the_alert_open(project, org, far_household, admin):
    from dajiuzhu.alerts.models import Alert
    from dajiuzhu.alerts.services import active_ruleset

    alert = Alert.objects.create(household=far_household, region_code=far_household.region_code,
                                 on=timezone.localdate(), level="orange", ruleset=active_ruleset(),
                                 due_on=timezone.localdate())
    with pytest.raises(DomainError):
        services.order_from_alert(actor=admin, alert=alert, project=project, organisation=org)
    alert.refresh_from_db()
    assert alert.status == "open" and not Order.objects.exists()


def test_an_approved_tekun_decision_orders_care_from_the_project_serving_tekun(project, org, elderly_alone, admin):
    from dajiuzhu.social.receivers import on_case_item_decided

    item = give_benefit(elderly_alone, "tekun", on=timezone.localdate())
    item.decided_by = admin
    on_case_item_decided(sender=None, case_item=item, outcome="approved")
    order = Order.objects.get()
    assert (order.source, order.kind, order.organisation) == ("case", "care_hour", org)
    on_case_item_decided(sender=None, case_item=item, outcome="approved")
    assert Order.objects.count() == 1


def test_reassignment_sends_an_open_order_to_another_contracted_organisation(project, org, org2, admin):
    household = make_household("371424105276")
    order, _ = services.order_create(actor=admin, project=project, organisation=org2, household=household, kind="visit")
    with pytest.raises(DomainError):  # org does not serve 兴隆镇
        services.order_reassign(actor=admin, order=order, organisation=org, reason="逾期未接单")
    order.refresh_from_db()
    assert order.organisation == org2


# --- organisation users: only what is assigned, only what the service needs -----------------------

def test_an_organisation_user_sees_only_its_orders_and_no_income_or_id_number(project, org, org2, coordinator,
                                                                              worker, admin):
    mine = make_household(LINYI_VILLAGE, members=[member_input("孙大娘", age=70, sex="F", phone="13912345678")])
    other = make_household("371424105276")
    order, _ = services.order_create(actor=admin, project=project, organisation=org, household=mine, kind="visit",
                                     needs="行动不便，需要助浴")
    services.order_create(actor=admin, project=project, organisation=org2, household=other, kind="visit")
    assert list(selectors.order_list(actor=coordinator)) == [order]
    assert list(selectors.order_list(actor=worker)) == []  # not yet assigned to the worker
    services.order_accept(actor=coordinator, order=order, worker=worker)
    assert list(selectors.order_list(actor=worker)) == [order]
    data = selectors.order_person_view(actor=worker, order=order)
    assert data == {"name": "孙大娘", "village": data["village"], "address": mine.address, "phone": "13912345678",
                    "needs": "行动不便，需要助浴"}
    assert data["village"]
    assert not {"income", "id_number", "monthly_wages"} & set(data)
    assert AuditEvent.objects.filter(action="social.personal_data_view", actor=worker).count() == 1
    # The registry stays closed to the organisation.
    from dajiuzhu.registry.selectors import household_list

    assert not household_list(actor=worker).exists()
    assert not worker.has_perm_code("registry.view")


# --- visits ---------------------------------------------------------------------------------------

def test_a_visit_with_the_residents_confirmation_becomes_a_service_record(project, org, family, coordinator, worker):
    order = _accepted(project, org, family, coordinator, worker)
    start, end = _times(timezone.localdate() - dt.timedelta(days=1), 9)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    visit = services.visit_record(actor=worker, order=order, started_at=start, ended_at=end, done="陪同就医、打扫卫生",
                                  confirmed_by="张三（户主）", resident_confirmed=True, photos=[(png, "image/png")])
    record = AssistanceRecord.objects.get(pk=visit.record_id)
    assert (record.kind, record.source, record.category, record.amount) == ("service", "social_org", "social",
                                                                            Decimal("50.00"))
    assert record.organisation == org.name and record.household == family
    order.refresh_from_db()
    assert order.status == "done"
    photo = visit.photos.get()
    from django.conf import settings

    from dajiuzhu.core.intake.sealed import sealed_chunks

    assert b"".join(sealed_chunks(settings.MEDIA_ROOT / photo.path)) == png
    assert png not in (settings.MEDIA_ROOT / photo.path).read_bytes()


def test_a_visit_without_the_residents_confirmation_is_refused(project, org, family, coordinator, worker):
    order = _accepted(project, org, family, coordinator, worker)
    start, end = _times(timezone.localdate() - dt.timedelta(days=1), 9)
    with pytest.raises(DomainError) as exc:
        services.visit_record(actor=worker, order=order, started_at=start, ended_at=end, done="探访",
                              confirmed_by="", resident_confirmed=False)
    assert exc.value.field == "confirmed_by"
    assert not Visit.objects.exists() and not AssistanceRecord.objects.exists()


def test_two_overlapping_visits_of_one_worker_in_different_villages_are_refused(project, org, coordinator, worker):
    first = _accepted(project, org, make_household(LINYI_VILLAGE), coordinator, worker)
    second = _accepted(project, org, make_household("371424100204"), coordinator, worker)
    same_village = _accepted(project, org, make_household(LINYI_VILLAGE), coordinator, worker)
    day = timezone.localdate() - dt.timedelta(days=1)
    start, end = _times(day, 9, 2)
    services.visit_record(actor=worker, order=first, started_at=start, ended_at=end, done="探访", confirmed_by="户主",
                          resident_confirmed=True)
    with pytest.raises(DomainError) as exc:
        services.visit_record(actor=worker, order=second, started_at=start + dt.timedelta(hours=1),
                              ended_at=end + dt.timedelta(hours=1), done="探访", confirmed_by="户主",
                              resident_confirmed=True)
    assert "另一个村" in exc.value.message
    # The same village at the same time (a group activity) is allowed.
    services.visit_record(actor=worker, order=same_village, started_at=start, ended_at=end, done="集体活动",
                          confirmed_by="户主", resident_confirmed=True)
    assert Visit.objects.count() == 2 and AssistanceRecord.objects.count() == 2


def test_a_worker_cannot_record_on_an_order_of_another_worker(project, org, family, coordinator, worker, admin):
    order = _accepted(project, org, family, coordinator, coordinator)
    start, end = _times(timezone.localdate() - dt.timedelta(days=1), 9)
    with pytest.raises(Forbidden):
        services.visit_record(actor=worker, order=order, started_at=start, ended_at=end, done="x", confirmed_by="y",
                              resident_confirmed=True)


# --- quality and settlement -----------------------------------------------------------------------

@pytest.fixture
def last_month_visits(project, org, coordinator, worker):
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    visits = []
    for index in range(6):
        household = make_household(LINYI_VILLAGE)
        order = _accepted(project, org, household, coordinator, worker, month=last_month)
        start, end = _times(last_month + dt.timedelta(days=index), 9)
        visits.append(services.visit_record(actor=worker, order=order, started_at=start, ended_at=end, done="探访",
                                            confirmed_by="户主", resident_confirmed=True))
    return last_month, visits


def test_a_village_worker_rates_a_visit_and_only_1_to_5(last_month_visits):
    _month, visits = last_month_visits
    village = make_user("village_worker", LINYI_VILLAGE)
    quality.service_rate(actor=village, visit=visits[0], score=5, comment="很满意")
    with pytest.raises(DomainError):
        quality.service_rate(actor=village, visit=visits[1], score=6)
    with pytest.raises(Forbidden):
        quality.service_rate(actor=make_user("village_worker", "371424105276"), visit=visits[1], score=4)
    assert Visit.objects.get(pk=visits[0].pk).rating == 5


def test_the_call_back_draw_is_reproducible_from_its_seed(last_month_visits, admin, project):
    month, visits = last_month_visits
    ids = [v.pk for v in visits]
    assert quality._draw(ids, count=3, seed="s1") == quality._draw(list(reversed(ids)), count=3, seed="s1")
    drawn = quality.callbacks_draw(actor=admin, project=project, month=month, count=2, seed="s1")
    assert sorted(c.visit_id for c in drawn) == quality._draw(ids, count=2, seed="s1")
    again = quality.callbacks_draw(actor=admin, project=project, month=month, count=10)
    assert len(again) == 4  # the rest, never the same visit twice


def test_settlement_is_counted_visits_times_unit_prices_with_the_evaluation(last_month_visits, admin, project, org):
    month, visits = last_month_visits
    callbacks = quality.callbacks_draw(actor=admin, project=project, month=month, count=2, seed="x")
    quality.callback_record(actor=admin, callback=callbacks[0], reached=True, service_confirmed=True, satisfaction=5)
    quality.callback_record(actor=admin, callback=callbacks[1], reached=True, service_confirmed=False,
                            complaint="没有上门")
    statement = quality.settlement_create(actor=admin, project=project, month=month)
    # 5 counted visits (one disputed) × 50 元 = 250 元; evaluation: 6 orders due and all done on time (40),
    # 1 of 2 called back disputed (15), satisfaction 5 (30), 1 complaint (−5) → 80 → 95 %.
    assert statement.gross == Decimal("250.00")
    assert statement.evaluation[str(org.pk)]["score"] == "80.0"
    assert statement.total == Decimal("237.50")
    with pytest.raises(DomainError):
        quality.settlement_create(actor=admin, project=project, month=month)
    assert Settlement.objects.count() == 1
    spending = selectors.project_spending(project)
    assert spending["settled"] == Decimal("237.50") and spending["left"] == Decimal("9762.50")


def test_a_settlement_above_the_budget_is_refused_and_nothing_is_written(last_month_visits, admin, project):
    month, _visits = last_month_visits
    project.budget = Decimal("100.00")
    project.save()
    with pytest.raises(DomainError) as exc:
        quality.settlement_create(actor=admin, project=project, month=month)
    assert "超出项目预算" in exc.value.message and "100.00 元" in exc.value.message
    assert not Settlement.objects.exists()


def test_the_current_month_is_not_settled(project, admin):
    with pytest.raises(DomainError) as exc:
        quality.settlement_create(actor=admin, project=project, month=timezone.localdate())
    assert "月份结束后才能结算" in exc.value.message


# --- volunteers and wishes ------------------------------------------------------------------------

def test_volunteer_hours_are_recorded_against_an_order(project, org, family, admin):
    order, _ = services.order_create(actor=admin, project=project, organisation=org, household=family, kind="visit")
    volunteer = charity.volunteer_register(actor=admin, name="刘志愿", region_code=LINYI_TOWN, phone="13700000001")
    charity.volunteer_hours_record(actor=admin, volunteer=volunteer, order=order, on=timezone.localdate(), hours="3.5")
    with pytest.raises(DomainError):
        charity.volunteer_hours_record(actor=admin, volunteer=volunteer, order=order, on=timezone.localdate(),
                                       hours=25)
    assert selectors.volunteer_list(actor=admin).get().total_hours == Decimal("3.50")


def test_a_wish_is_published_without_the_family_claimed_and_delivered_as_material_assistance(family, admin):
    handler = make_user("township_handler", LINYI_TOWN)
    with pytest.raises(DomainError):
        charity.wish_publish(actor=handler, household=family, title="张三家的孩子想要书包", value="80")
    wish = charity.wish_publish(actor=handler, household=family, title="一个新书包", value="80",
                                description="小学三年级学生")
    public = selectors.public_wishes()
    assert public == [{"id": wish.pk, "village": public[0]["village"], "title": "一个新书包",
                       "description": "小学三年级学生", "value": Decimal("80.00")}]
    assert "张三" not in str(public) and family.number not in str(public)
    charity.wish_claim(actor=handler, wish=wish, donor="临邑县某商贸有限公司", is_company=True)
    charity.wish_deliver(actor=handler, wish=wish, delivered_on=timezone.localdate())
    wish.refresh_from_db()
    record = AssistanceRecord.objects.get(pk=wish.record_id)
    assert (record.kind, record.source, record.goods, record.amount, wish.status) == (
        "goods", "social_org", "一个新书包", Decimal("80.00"), "delivered")
    assert not Wish.objects.filter(status="published").exists()


def test_the_monthly_report_gains_a_social_assistance_services_sheet(last_month_visits, admin, family):
    import io

    from openpyxl import load_workbook

    from dajiuzhu.results.reports import monthly_report
    from dajiuzhu.results.xlsx import report_to_xlsx

    month, visits = last_month_visits
    report = monthly_report(actor=admin, region_code=LINYI_COUNTY, month=f"{month:%Y-%m}")
    social = report["social"]
    town = next(row for row in social["rows"] if row["code"] == LINYI_TOWN[:9])
    assert town["values"][:4] == [6, 6, Decimal("6.00"), Decimal("300.00")]  # 6 visits of 1 hour at 50 元
    assert social["total"]["values"][0] == 6
    book = load_workbook(io.BytesIO(report_to_xlsx(report)))
    assert len(book.sheetnames) == 2 and "服务类救助" in book.sheetnames[1]
