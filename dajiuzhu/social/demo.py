"""Demo data of social forces, all through the services: two organisations on the register, a purchased-service
project each, roster rules that order last month's and this month's visits, a warning follow-up referred to a
social worker, visits recorded by the organisation's worker (``social_org`` coordinates, ``social_worker``
visits), ratings and call-backs, last month's settlement statements, volunteers and small wishes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from dajiuzhu.accounts.models import Department, User
from dajiuzhu.core.demo import DemoContext
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.regioncodes import pad

from . import charity, quality, roster, services
from .models import Order, OrderStatus, Organisation, Project

TOWN_A = "371424100000"  # 临邑镇
TOWN_B = "371424105000"  # 兴隆镇


def _code(base: str) -> str:
    from stdnum.cn import uscc

    return base + uscc.calc_check_digit(base)


def _worker(org: Organisation, admin, *, username: str = "social_worker", name: str = "阳光社工-刘敏",
            coordinator: bool = False) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=settings.DEMO_PASSWORD, role="social_org",
                                        region_id=admin.region_id, full_name=name, organisation=org.name)
    services.organisation_link_user(actor=admin, organisation=org, user=user, is_coordinator=coordinator)
    return user


def seed(ctx: DemoContext) -> dict:
    county = pad(ctx.county_code[:6])
    admin = User.objects.filter(role="county_admin", region_id=county).order_by("id").first()
    coordinator = User.objects.filter(username="social_org").first()
    if admin is None or coordinator is None:
        return {}
    today = ctx.today
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    civil = Department.objects.get(code="civil_affairs")
    org_a = services.organisation_register(
        actor=admin, name="临邑县阳光社会工作服务中心", credit_code=_code("52371424MJD00000A"),
        authority="临邑县民政局", region_code=county, kind="社会工作服务机构",
        services=["visit", "counselling", "care_hour"], area_codes=[TOWN_A, "371424001000"],
        contact_name="王芳", contact_phone="13805341001",
        qualifications=[{"name": "民办非企业单位登记证书", "number": "鲁临民证字第0012号",
                         "expires_on": today + dt.timedelta(days=700)},
                        {"name": "社会工作者职业水平证书（中级）", "number": "SW2023-0371",
                         "expires_on": today + dt.timedelta(days=40)}])
    org_b = services.organisation_register(
        actor=admin, name="临邑县兴隆颐养服务社", credit_code=_code("52371424MJD00000B"),
        authority="临邑县民政局", region_code=county, kind="养老服务机构", services=["visit", "care_hour"],
        area_codes=[TOWN_B], contact_name="李强", contact_phone="13805341002",
        qualifications=[{"name": "养老机构备案回执", "number": "临养备2024-07", "expires_on": today + dt.timedelta(days=400)}])
    services.organisation_link_user(actor=admin, organisation=org_a, user=coordinator, is_coordinator=True)
    worker = _worker(org_a, admin)
    year_start = dt.date(last_month.year, 1, 1)
    project_a = services.project_create(
        actor=admin, name="困难群众探访关爱服务（临邑镇）", region_code=county, department=civil,
        budget=Decimal("120000.00"), start=year_start, end=dt.date(today.year + 1, 12, 31), organisations=[org_a],
        prices={"visit": "60.00", "counselling": "150.00", "care_hour": "35.00"},
        target_groups="低保家庭独居老人、监测对象", visits_per_person_month=1)
    project_b = services.project_create(
        actor=admin, name="分散供养特困人员照护服务（兴隆镇）", region_code=county, department=civil,
        budget=Decimal("80000.00"), start=year_start, end=dt.date(today.year + 1, 12, 31), organisations=[org_b],
        prices={"visit": "50.00", "care_hour": "30.00"}, target_groups="分散供养特困人员",
        visits_per_person_month=2, case_item_codes=["tekun"])
    rule_a = roster.rule_create(actor=admin, project=project_a, organisation=org_a, name="低保家庭独居老人每月探访",
                                conditions=[["household_size", "==", 1], ["members_over_60", ">=", 1]],
                                tiers=["dibao"])
    rule_b = roster.rule_create(actor=admin, project=project_b, organisation=org_b, name="特困人员每月上门照护",
                                kind="care_hour", quantity=Decimal("4"), conditions=[["members_over_60", ">=", 1]],
                                tiers=["tekun"])
    generated = {}
    for rule in (rule_a, rule_b):
        for month in (last_month, this_month):
            generated[f"{rule.pk}:{month:%Y-%m}"] = roster.orders_generate(actor=admin, rule=rule, month=month)
    referred = _refer_an_alert(admin, project_a, org_a)
    visits = _visits(ctx, coordinator, worker, project_a, last_month)
    # The second organisation's coordinator visits herself (account xinglong_social).
    carer = _worker(org_b, admin, username="xinglong_social", name="兴隆颐养服务社-张丽", coordinator=True)
    visits_b = _visits(ctx, carer, carer, project_b, last_month, limit=12)
    _quality(ctx, admin, project_a, last_month, visits)
    statements = []
    for project in (project_a, project_b):
        try:
            statements.append(quality.settlement_create(actor=admin, project=project, month=last_month).total)
        except DomainError as exc:
            ctx.log(f"social: no settlement of {project.name}: {exc.message}")
    volunteers = _volunteers(ctx, admin, project_a)
    wishes = _wishes(ctx, admin)
    out = {"orders": Order.objects.count(), "generated": generated, "referred": referred, "visits": len(visits) + len(visits_b),
           "settlements": [str(s) for s in statements], "volunteers": volunteers, "wishes": wishes}
    ctx.shared["social_projects"] = [project_a.pk, project_b.pk]
    ctx.log(f"social: {out}")
    return out


def _refer_an_alert(admin, project: Project, org: Organisation) -> int | None:
    from dajiuzhu.alerts.models import Alert

    alert = (Alert.objects.filter(status="open", region_code__startswith=TOWN_A[:9]).order_by("-level", "id").first())
    if alert is None:
        return None
    order = services.order_from_alert(actor=admin, alert=alert, project=project, organisation=org,
                                      needs="家庭收入骤降，情绪低落，需要社工心理疏导和资源链接")
    return order.pk


def _visits(ctx: DemoContext, coordinator, worker, project: Project, month: dt.date, *, limit: int = 36) -> list:
    """Last month's roster orders accepted and visited, three a working day, up to 90 minutes each."""
    orders = list(Order.objects.filter(project=project, month=month, status=OrderStatus.ASSIGNED)
                  .order_by("id")[:limit])
    visits = []
    day, slot = month + dt.timedelta(days=1), 0
    tasks = ["上门探访，了解身体和生活情况，协助打扫卫生", "陪同就医取药，测量血压", "代购生活用品，检查用电用气安全",
             "精神慰藉，读报聊天，登记近期需求"]
    for index, order in enumerate(orders):
        services.order_accept(actor=coordinator, order=order, worker=worker)
        if index % 6 == 5:
            continue  # left open: overdue now that the month is over
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(9 + 2 * slot)))
        visit = services.visit_record(actor=worker, order=order, started_at=start,
                                      ended_at=start + dt.timedelta(minutes=ctx.rng.choice([50, 60, 75, 90])),
                                      done=ctx.rng.choice(tasks), confirmed_by=ctx.rng.choice(["本人", "本人签字", "家属"]),
                                      resident_confirmed=True)
        visits.append(visit)
        slot += 1
        if slot == 3:
            slot, day = 0, day + dt.timedelta(days=1)
    return visits


def _quality(ctx: DemoContext, admin, project: Project, month: dt.date, visits: list) -> None:
    village_workers = {u.region_id: u for u in User.objects.filter(role="village_worker")}
    for visit in visits[::3]:
        rater = village_workers.get(visit.region_code)
        if rater is not None:
            quality.service_rate(actor=rater, visit=visit, score=ctx.rng.choice([4, 5, 5]), comment="服务周到")
    if not visits:
        return
    drawn = quality.callbacks_draw(actor=admin, project=project, month=month, count=min(5, len(visits)))
    for index, callback in enumerate(drawn):
        if index == len(drawn) - 1 and len(drawn) > 2:
            quality.callback_record(actor=admin, callback=callback, reached=False)
        else:
            quality.callback_record(actor=admin, callback=callback, reached=True, service_confirmed=True,
                                    satisfaction=ctx.rng.choice([4, 5]))


def _volunteers(ctx: DemoContext, admin, project: Project) -> int:
    names = [("陈晓燕", "13705341101", "理发、助浴"), ("赵志刚", "13705341102", "家电维修"),
             ("临邑一中志愿服务队", "", "陪伴读书")]
    people = [charity.volunteer_register(actor=admin, name=n, region_code=TOWN_A, phone=p, skills=s)
              for n, p, s in names]
    orders = list(Order.objects.filter(project=project).exclude(status=OrderStatus.CANCELLED).order_by("id")[:6])
    for index, order in enumerate(orders):
        charity.volunteer_hours_record(actor=admin, volunteer=people[index % len(people)], order=order,
                                       on=min(order.month + dt.timedelta(days=10), ctx.today),
                                       hours=ctx.rng.choice(["1.5", "2", "3"]))
    return len(people)


def _wishes(ctx: DemoContext, admin) -> dict:
    from dajiuzhu.registry.models import Household

    households = list(Household.objects.filter(region_code__startswith=TOWN_A[:9]).order_by("id")[:40])
    if len(households) < 3:
        return {}
    picks = ctx.rng.sample(households, 4)
    wishes = [charity.wish_publish(actor=admin, household=picks[0], title="一个新书包和文具", value="120.00",
                                   description="小学四年级学生，希望新学期有新书包"),
              charity.wish_publish(actor=admin, household=picks[1], title="冬天的取暖器", value="260.00",
                                   description="独居老人，房屋保温差"),
              charity.wish_publish(actor=admin, household=picks[2], title="一套儿童绘本", value="80.00"),
              charity.wish_publish(actor=admin, household=picks[3], title="助听器", value="680.00",
                                   description="听力下降，与人交流困难")]
    charity.wish_claim(actor=admin, wish=wishes[0], donor="临邑县新华书店", is_company=True)
    charity.wish_deliver(actor=admin, wish=wishes[0], delivered_on=ctx.today)
    charity.wish_claim(actor=admin, wish=wishes[1], donor="张先生")
    return {"published": len(wishes), "delivered": 1, "claimed": 1}
