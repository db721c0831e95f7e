"""Social forces: a month's service orders from a roster rule, and a project's monthly settlement.

Set-up (once, idempotent): an organisation serving the whole county, a purchased-service project, and approved
低保 benefits for the poorest tenth of the synthetic registry's households (the synthetic county has no cases);
then one service record (``social.Visit``) per row for last month, ``--people`` of them (a million visits for a
million-person registry), written set-based on PostgreSQL (``generate_series``).

Timed:
- **roster orders**: ``social.roster.orders_generate`` for the rule "every elderly person living alone in a 低保
  household gets a visit each month" over the county (the registry's fact frame of the county, the benefits in
  force, the service area, bulk insert of the orders) — the month's orders deleted first, so every run creates
  them; then the same month again (**idempotent rerun**: selects the same households, creates nothing);
- **settlement**: ``social.quality.settlement_create`` for last month over the service records (evaluation of
  the organisation, counted visits × unit prices by kind, the budget check), the statement deleted after each run.

Targets are this module's own (the issue sets none): a month's orders within 60 s per million people, the
settlement within 30 s per million service records. ``BENCH_SOCIAL_RECORDS=N`` sets the number of service
records (default: one per person).

Standalone: ``python -m bench --only social --people 100000``.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from decimal import Decimal

from bench.common import Skip

TITLE = "Social services: a month's roster orders and the monthly settlement"
POSTGRES_ONLY = True
ORG_NAME = "基准测试社会工作服务中心"
PROJECT_NAME = "基准测试探访关爱服务"
TARGET_ORDERS_SECONDS = 60.0  # a month's orders for a million people
TARGET_SETTLEMENT_SECONDS = 30.0  # a month's settlement over a million service records


def _months():
    from django.utils import timezone

    this_month = timezone.localdate().replace(day=1)
    return (this_month - dt.timedelta(days=1)).replace(day=1), this_month


def setup(people: int, **context) -> dict:
    from django.db import connection, transaction

    from dajiuzhu.accounts.departments import ensure_departments
    from dajiuzhu.accounts.models import Department, User
    from dajiuzhu.cases.models import Case, CaseItem
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue
    from dajiuzhu.programs.models import AssistanceItem
    from dajiuzhu.registry.facts import household_frame
    from dajiuzhu.social import roster, services
    from dajiuzhu.social.models import Organisation, RosterRule, Visit

    if connection.vendor != "postgresql":
        raise Skip("PostgreSQL only (the service records are written with generate_series)")
    county = context.get("county", "371424")
    county_code = county.ljust(12, "0")
    started = time.perf_counter()
    ensure_departments()
    ensure_demo_catalogue(county_code=county)
    admin = User.objects.filter(username="bench-social-admin").first() or User.objects.create_user(
        username="bench-social-admin", password=None, role="county_admin", region_id=county_code)
    worker = User.objects.filter(username="bench-social-worker").first() or User.objects.create_user(
        username="bench-social-worker", password=None, role="social_org", region_id=county_code)
    last_month, _this = _months()
    reused = True
    with transaction.atomic():
        org = Organisation.objects.filter(name=ORG_NAME).first()
        if org is None:
            reused = False
            from stdnum.cn import uscc

            base = "52371424MJD99999B"
            org = services.organisation_register(
                actor=admin, name=ORG_NAME, credit_code=base + uscc.calc_check_digit(base), authority="民政局",
                region_code=county_code, services=["visit", "care_hour"], area_codes=[county_code],
                contact_name="基准")
            services.organisation_link_user(actor=admin, organisation=org, user=worker, is_coordinator=True)
            project = services.project_create(
                actor=admin, name=PROJECT_NAME, region_code=county_code,
                department=Department.objects.get(code="civil_affairs"), budget=Decimal("999999999.00"),
                start=dt.date(last_month.year - 1, 1, 1), end=dt.date(last_month.year + 2, 12, 31),
                organisations=[org], prices={"visit": "50.00", "care_hour": "30.00"})
            roster.rule_create(actor=admin, project=project, organisation=org, name="低保家庭独居老人每月探访",
                               conditions=[["household_size", "==", 1], ["members_over_60", ">=", 1]],
                               tiers=["dibao"])
        rule = RosterRule.objects.select_related("project", "organisation").get(project__name=PROJECT_NAME)
    benefits = CaseItem.objects.filter(case__number__startswith="BENCH-").count()
    if not benefits:
        reused = False
        frame = household_frame(on=last_month, region_prefix=county)
        poorest = frame.household_ids[frame.columns["per_capita_income"] <= float(
            sorted(frame.columns["per_capita_income"])[len(frame) // 10])] if len(frame) else []
        heads = dict(__import__("dajiuzhu.registry.models", fromlist=["Household"]).Household.objects
                     .filter(pk__in=[int(h) for h in poorest]).values_list("pk", "head_id"))
        codes = dict(zip(frame.household_ids.tolist(), frame.region_codes.tolist(), strict=True))
        dibao = AssistanceItem.objects.get(code="dibao")
        # Households another module already gave an open 低保 item keep it (one open item per household).
        taken = set(CaseItem.objects.filter(item=dibao, status__in=("pending", "approved"))
                    .values_list("household_id", flat=True))
        poorest = [int(h) for h in poorest if int(h) not in taken]
        for start in range(0, len(poorest), 5000):
            chunk = poorest[start:start + 5000]
            cases = Case.objects.bulk_create([
                Case(number=f"BENCH-{h}", household_id=h, applicant_id=heads.get(h), region_code=codes[h],
                     accepted_region_code=codes[h]) for h in chunk])
            CaseItem.objects.bulk_create([
                CaseItem(case=c, household_id=c.household_id, region_code=c.region_code, item=dibao,
                         status="approved", effective_from=dt.date(last_month.year - 1, 1, 1)) for c in cases])
        benefits = CaseItem.objects.filter(case__number__startswith="BENCH-").count()
    visits = Visit.objects.filter(project=rule.project, month=last_month).count()
    wanted = max(int(os.environ.get("BENCH_SOCIAL_RECORDS") or people), 1000)
    if visits < wanted:
        reused = False
        roster.orders_generate(actor=admin, rule=rule, month=last_month)
        order_ids = list(rule.project.orders.filter(month=last_month).values_list("pk", flat=True)[:1000])
        if not order_ids:
            raise Skip("the roster rule selected no household: no orders to attach service records to")
        with connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO social_visit (order_id, project_id, organisation_id, worker_id, region_code, kind,
                    quantity, started_at, ended_at, month, done, confirmed_by, status, rating, rating_via,
                    rating_comment, record_id, created_at)
                SELECT o.id, %s, %s, %s, o.region_code, CASE WHEN g %% 4 = 0 THEN 'care_hour' ELSE 'visit' END,
                    CASE WHEN g %% 4 = 0 THEN 2 ELSE 1 END,
                    %s::timestamptz + (g %% 28) * interval '1 day' + (g %% 600) * interval '1 minute',
                    %s::timestamptz + (g %% 28) * interval '1 day' + (g %% 600 + 60) * interval '1 minute',
                    %s, '探访', '本人', CASE WHEN g %% 50 = 0 THEN 'disputed' ELSE 'confirmed' END,
                    CASE WHEN g %% 3 = 0 THEN 4 + g %% 2 END, '', '', NULL, now()
                FROM generate_series(%s, %s) AS g
                JOIN social_order o ON o.id = (%s::bigint[])[1 + g %% %s]
            """, [rule.project_id, rule.organisation_id, worker.pk, f"{last_month} 08:00+08",
                  f"{last_month} 08:00+08", last_month, visits + 1, wanted, order_ids, len(order_ids)])
            cursor.execute("ANALYZE social_visit")
        visits = Visit.objects.filter(project=rule.project, month=last_month).count()
    return {"what": f"{visits:,} service records, {benefits:,} 低保 benefits", "reused": reused,
            "seconds": time.perf_counter() - started, "rule": rule.pk, "admin": admin.pk, "visits": visits,
            "benefits": benefits}


def run(people: int, **context) -> dict:
    from dajiuzhu.accounts.models import User
    from dajiuzhu.social import quality, roster
    from dajiuzhu.social.models import Order, RosterRule, Settlement

    prepared = context.get("setup") or setup(people, **context)
    rule = RosterRule.objects.select_related("project", "organisation").get(pk=prepared["rule"])
    admin = User.objects.get(pk=prepared["admin"])
    last_month, this_month = _months()
    Order.objects.filter(project=rule.project, month=this_month, source="roster").delete()
    started = time.perf_counter()
    first = roster.orders_generate(actor=admin, rule=rule, month=this_month)
    orders_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = roster.orders_generate(actor=admin, rule=rule, month=this_month)
    rerun_seconds = time.perf_counter() - started
    started = time.perf_counter()
    frame_seconds = None
    from dajiuzhu.registry.facts import household_frame

    household_frame(on=this_month, region_prefix=context.get("county", "371424"))
    frame_seconds = time.perf_counter() - started

    Settlement.objects.filter(project=rule.project, month=last_month).delete()
    started = time.perf_counter()
    statement = quality.settlement_create(actor=admin, project=rule.project, month=last_month)
    settlement_seconds = time.perf_counter() - started
    counted = sum(line["visits"] for line in statement.lines)
    Settlement.objects.filter(pk=statement.pk).delete()
    scale = max(people, 1) / 1e6
    return {
        "figures": [
            {"name": "a month's orders from the roster rule", "value": round(orders_seconds, 3), "unit": "s",
             "target": round(TARGET_ORDERS_SECONDS * scale, 3), "better": "lower",
             "reference": "reading the county's fact frame alone", "reference_value": round(frame_seconds, 3)},
            {"name": "orders created", "value": first["created"], "unit": "orders"},
            {"name": "same month again (idempotent: nothing created)", "value": round(rerun_seconds, 3), "unit": "s"},
            {"name": "orders created by the rerun", "value": again["created"], "unit": "orders", "target": 0,
             "better": "lower"},
            {"name": "monthly settlement over the service records", "value": round(settlement_seconds, 3),
             "unit": "s", "target": round(TARGET_SETTLEMENT_SECONDS * prepared["visits"] / 1e6, 3),
             "better": "lower"},
            {"name": "service records of the month", "value": prepared["visits"], "unit": "records"},
            {"name": "visits counted (not disputed)", "value": counted, "unit": "visits"},
            {"name": "amount settled", "value": float(statement.total), "unit": "yuan"},
        ],
        "notes": (f"{first['selected']:,} households selected (elderly living alone with 低保 in force, of "
                  f"{prepared['benefits']:,} households given 低保 in set-up). Orders: one frame of the county "
                  "(numpy), the benefits in force, bulk insert with ON CONFLICT DO NOTHING on the dedupe key. "
                  "Settlement: three GROUP BY queries over the month's records (index project, month, status)."),
    }
