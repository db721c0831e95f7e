"""Demo data of the results database: 12 months of payments and assistance records.

- Periodic benefits: the demo cases' approved items (``cases.selectors.active_benefits``) and,
  for a year of history, a deterministic plan of 低保 / 特困 / 孤儿 / 残疾人两项补贴 for the
  poorest households of the synthetic county (some start late, some leave).
- Eleven past months are written in bulk as the payment path leaves them (reconciled batches
  approved by a second person, two lines failed at the bank each month, one assistance record per
  paid line); the current month's batch goes through the services — generated and checked,
  waiting for the approver (``county_approver``) to approve, export and reconcile.
- A medical-insurance delivery (with two people not in the registry, kept aside), housing and
  temporary one-offs, a social organisation's service records, and two overpayment recoveries.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dajiuzhu.core.demo import DemoContext
from dajiuzhu.core.ids import make_id_number

DIBAO_DEFAULT = {True: Decimal("900"), False: Decimal("720")}


def _months(today: dt.date, count: int = 12) -> list[dt.date]:
    out, month = [], today.replace(day=1)
    for _i in range(count):
        out.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(out))


def _standard(name: str, on: dt.date, region_code: str, is_urban: bool) -> Decimal:
    try:
        from dajiuzhu.programs.selectors import standard_value

        return standard_value(name, on=on, region_code=region_code)
    except Exception:  # noqa: BLE001 - the demo falls back to the demo standards
        return DIBAO_DEFAULT[is_urban]


def _plan(ctx: DemoContext, months: list[dt.date], exclude: set[int]):
    """Deterministic periodic benefits for the poorest households (for a year of history)."""
    from dajiuzhu.registry.facts import household_frame
    from dajiuzhu.registry.models import Household

    from .benefits import Benefit

    frame = household_frame(on=ctx.today, region_prefix=ctx.county_code)
    cols = frame.columns
    heads = dict(Household.objects.filter(pk__in=[int(i) for i in frame.household_ids])
                 .values_list("pk", "head_id"))
    rng = ctx.rng
    plan: list[tuple[Benefit, dt.date, dt.date]] = []
    standards = {}
    poor = []
    for i, household_id in enumerate(frame.household_ids.tolist()):
        if household_id in exclude or not heads.get(household_id):
            continue
        code = str(frame.region_codes[i])
        urban = bool(cols["is_urban"][i])
        if urban not in standards:
            standards[urban] = _standard("dibao", ctx.today, code, urban)
        if Decimal(int(cols["per_capita_income"][i])) / 100 < standards[urban]:
            poor.append(i)
    # About 6 % of households on 低保 (the synthetic county is poorer than the real one).
    share = min(1.0, 0.06 * len(frame.household_ids) / max(1, len(poor)))
    for i in poor:
        household_id = int(frame.household_ids[i])
        code = str(frame.region_codes[i])
        urban = bool(cols["is_urban"][i])
        std = standards[urban]
        size = max(1, int(cols["household_size"][i]))
        pci = Decimal(int(cols["per_capita_income"][i])) / 100
        start = months[0] if rng.random() < 0.75 else rng.choice(months[1:])
        end = months[-1] if rng.random() < 0.9 else rng.choice([m for m in months if m >= start])

        def add(item, name, category, tier, amount, persons, start=start, end=end, household_id=household_id,
                code=code):
            plan.append((Benefit(household_id=household_id, item_code=item, amount=Decimal(amount).quantize(
                Decimal("0.01")), region_code=code, item_name=name, category=category, tier=tier, persons=persons,
                payee_id=heads[household_id]), start, end))

        if size == 1 and int(cols["head_age"][i]) >= 60:
            if rng.random() < share * 1.5:
                add("tekun", "特困人员救助供养（分散供养）", "living", "tekun", std * Decimal("1.3") + 80, 1)
            continue
        if rng.random() >= share:
            continue
        add("dibao", "最低生活保障（低保）", "living", "dibao", max(Decimal(100), (std - pci) * size), size)
        severe = int(cols["severely_disabled_members"][i])
        if severe:
            add("disability_care", "重度残疾人护理补贴", "disability", "", 100 * severe, severe)
        if int(cols["members_under_18"][i]) and size <= 2 and rng.random() < 0.2:
            add("orphan", "孤儿基本生活保障", "children", "", 1500, 1)
    return plan


def seed(ctx: DemoContext) -> None:
    from dajiuzhu.accounts.models import User

    from . import payments
    from .benefits import active_benefits
    from .models import PaymentBatch

    if PaymentBatch.objects.exists():
        ctx.log("results: payment batches exist already; skipped")
        return
    admin = User.objects.filter(username="county_admin").first()
    approver = User.objects.filter(username="county_approver").first()
    if admin is None or approver is None:
        ctx.log("results: demo accounts missing; skipped")
        return
    county = ctx.county_code.ljust(12, "0")
    months = _months(ctx.today)
    in_force = {m: active_benefits(month=m, region_prefix=ctx.county_code) for m in months}
    case_households = {b.household_id for benefits in in_force.values() for b in benefits}
    plan = _plan(ctx, months, case_households)
    ctx.log(f"results: {len(plan):,} planned periodic benefits, {len(case_households):,} households with demo cases")

    _recoveries(ctx, admin, plan)
    paid = failed = 0
    for index, month in enumerate(months):
        benefits = [b for b, start, end in plan if start <= month <= end]
        benefits += in_force[month]
        if index < len(months) - 1:
            # Past months: the same rows the payment path leaves (reconciled batch, paid and failed
            # lines, one record per paid line), written in bulk so the demo stays quick.
            batch_paid, batch_failed = _paid_batch(ctx, month=month, county=county, benefits=benefits, admin=admin,
                                                   approver=approver)
            paid, failed = paid + batch_paid, failed + batch_failed
            continue
        # This month: through the services — generated and checked, waiting for the second person.
        batch = payments.payment_batch_generate(actor=admin, month=month, region_code=county, benefits=benefits)
        batch = payments.payment_batch_check(actor=admin, batch=batch)
        for failure in batch.check_report["failures"]:
            payments.payment_line_exclude(actor=admin, line=batch.lines.get(line_no=failure["line"]),
                                          reason=failure["message"][:200])
        if batch.check_report["failures"]:
            batch = payments.payment_batch_check(actor=admin, batch=batch)
        ctx.log(f"results: {batch.number} ({batch.line_count} lines) generated and checked, awaiting approval "
                "by county_approver")
    ctx.log(f"results: {len(months) - 1} months paid: {paid:,} payments, {failed} failed at the bank")
    delivered = _deliveries(ctx, plan, months)
    ctx.shared["results"] = {"payments": paid, "failed": failed, **delivered}


def _paid_batch(ctx: DemoContext, *, month: dt.date, county: str, benefits, admin, approver) -> tuple[int, int]:
    """A past month's batch as the whole payment path leaves it, written with a few statements."""
    import hashlib

    from django.db import connection, transaction
    from django.utils import timezone

    from dajiuzhu.core import regioncodes
    from dajiuzhu.core.audit import audit_record
    from dajiuzhu.registry.models import Household, Person

    from .models import AssistanceRecord, BatchStatus, PaymentBatch, PaymentLine
    from .payments import month_end

    prefix = regioncodes.prefix_of(county)
    chosen, seen = [], set()
    for benefit in sorted(benefits, key=lambda b: (b.region_code, b.household_id, b.item_code)):
        key = (benefit.household_id, benefit.item_code)
        if key in seen or not benefit.periodic or benefit.amount <= 0:
            continue
        seen.add(key)
        chosen.append(benefit)
    households = dict(Household.objects.filter(pk__in={b.household_id for b in chosen})
                      .values_list("pk", "head_id"))
    urban = set(Household.objects.filter(pk__in=households, is_urban=True).values_list("pk", flat=True))
    payees = dict(Person.objects.filter(pk__in={b.payee_id or households.get(b.household_id) for b in chosen})
                  .values_list("pk", "name"))
    failing = set(ctx.rng.sample(range(1, len(chosen) + 1), min(2, len(chosen))))
    reasons = iter(("账户已冻结", "户名与账号不符"))
    paid_on = min(month + dt.timedelta(days=9), ctx.today)
    now = timezone.now()
    with transaction.atomic():
        batch = PaymentBatch.objects.create(
            number=f"PB{month:%Y%m}-{prefix}-01", month=month, region_code=county, status=BatchStatus.RECONCILED,
            line_count=len(chosen), total_amount=sum((b.amount for b in chosen), Decimal(0)),
            check_report={"lines": len(chosen), "failures": [], "totals": []}, generated_by=admin,
            checked_at=now, approved_by=approver, approved_at=now, exported_at=now, export_encoding="gbk",
            export_sha256=hashlib.sha256(f"{month}".encode()).hexdigest(), reconciled_at=now,
            paid_count=len(chosen) - len(failing), failed_count=len(failing))
        line_table, record_table = PaymentLine._meta.db_table, AssistanceRecord._meta.db_table
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {line_table} (batch_id, line_no, household_id, payee_id, payee_name, region_code, "
                "is_urban, item_code, item_name, category, tier, persons, case_id_ref, case_item_ref, case_status, "
                "gross_amount, deduction, amount, recovery_id, status, failure_reason, bank_reference) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, %s, %s, %s)",
                [(batch.pk, n, b.household_id, b.payee_id or households.get(b.household_id),
                  payees.get(b.payee_id or households.get(b.household_id), ""), b.region_code,
                  b.household_id in urban, b.item_code, b.item_name or b.item_code, b.category or "living", b.tier,
                  b.persons, b.case_id, b.case_item_id, b.status, b.amount, Decimal(0), b.amount,
                  "failed" if n in failing else "paid", next(reasons) if n in failing else "",
                  f"B{batch.pk:06d}{n:06d}") for n, b in enumerate(chosen, start=1)])
            ids = dict(PaymentLine.objects.filter(batch=batch).values_list("line_no", "pk"))
            cursor.executemany(
                f"INSERT INTO {record_table} (household_id, person_id, region_code, is_urban, item_code, item_name, "
                "category, tier, department_id, organisation, kind, amount, quantity, unit, goods, service_kind, "
                "service_hours, provider, persons, period_start, period_end, given_on, case_id_ref, case_item_ref, "
                "payment_line_id, source, external_ref, dedupe_key, status, note, created_by_id, created_at) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, %s, NULL, '', 'cash', %s, NULL, '', '', '', NULL, '', %s, %s, %s, %s, "
                "%s, %s, %s, 'payment', %s, %s, 'given', '', %s, %s)",
                [(b.household_id, b.payee_id or households.get(b.household_id), b.region_code, b.household_id in urban,
                  b.item_code, b.item_name or b.item_code, b.category or "living", b.tier, b.amount, b.persons, month,
                  month_end(month), paid_on, b.case_id, b.case_item_id, ids[n], batch.number,
                  f"payment_line:{ids[n]}", admin.pk, now)
                 for n, b in enumerate(chosen, start=1) if n not in failing])
        audit_record(actor=admin, action="payment.demo_batch", obj=batch,
                     new={"month": month, "lines": len(chosen), "paid": len(chosen) - len(failing),
                          "failed": len(failing), "approved_by": approver.pk})
    return len(chosen) - len(failing), len(failing)


def _recoveries(ctx: DemoContext, admin, plan) -> None:
    from dajiuzhu.registry.models import Household

    from .payments import recovery_record

    dibao = [b for b, start, _end in plan if b.item_code == "dibao"]
    for benefit in ctx.rng.sample(dibao, min(2, len(dibao))):
        household = Household.objects.get(pk=benefit.household_id)
        recovery_record(actor=admin, household=household, amount=benefit.amount * 2, item_code="dibao",
                        reason="收入瞒报，追缴多领的两个月低保金", dedupe_key=f"demo:{household.pk}")


def _deliveries(ctx: DemoContext, plan, months) -> dict:
    from dajiuzhu.accounts.models import User
    from dajiuzhu.registry.models import Person

    from .services import RecordInput, assistance_record_create, delivery_receive

    rng = ctx.rng
    households = sorted({b.household_id for b, _s, _e in plan})
    if not households:
        return {}
    heads = dict(Person.objects.filter(household_id__in=households, relation="head")
                 .values_list("household_id", "id"))
    people = Person.objects.in_bulk(list(heads.values()))
    out = {}
    dept = User.objects.filter(username="dept_medical").first()
    if dept is not None:
        rows = []
        for household_id in rng.sample(households, min(250, len(households))):
            head = people[heads[household_id]]
            day = rng.choice(months) + dt.timedelta(days=rng.randrange(0, 27))
            rows.append({"id_number": head.id_number, "name": head.name, "item_code": "med_class2",
                         "kind": "现金", "amount": f"{rng.randrange(300, 8000)}.00",
                         "given_on": min(day, ctx.today).isoformat(), "reference": f"YB{household_id:08d}{day:%m%d}"})
        for n in range(2):  # two people the registry does not know: kept aside, reported
            rows.append({"id_number": make_id_number("371424", dt.date(1961 + n, 3, 9), 901 + 2 * n),
                         "name": ["赵不详", "钱未登"][n], "item_code": "med_class2", "amount": "500.00",
                         "given_on": ctx.today.isoformat(), "reference": f"YB-UNKNOWN-{n}"})
        result = delivery_receive(actor=dept, rows=rows, filename="医保局-医疗救助-演示.csv")
        out["medical"] = result.created
        out["kept_aside"] = len(result.kept_aside)
    org = User.objects.filter(username="social_org").first()
    if org is not None:
        rows = []
        elderly = [b.household_id for b, _s, _e in plan if b.item_code in ("tekun", "disability_care")]
        for household_id in rng.sample(elderly, min(120, len(elderly))):
            head = people.get(heads.get(household_id))
            if head is None:
                continue
            for visit in range(rng.randrange(1, 4)):
                day = min(rng.choice(months) + dt.timedelta(days=rng.randrange(0, 27)), ctx.today)
                kind = rng.choice(["居家照护", "助餐送餐", "心理疏导", "康复训练"])
                rows.append({"id_number": head.id_number, "name": head.name, "item_name": f"{kind}服务",
                             "item_code": "social_service", "category": "social", "kind": "服务",
                             "service_kind": kind, "service_hours": str(rng.choice([1, 2, 2, 4, 6])),
                             "provider": "县慈善义工协会", "given_on": day.isoformat(),
                             "reference": f"SO{household_id:08d}-{visit}"})
        result = delivery_receive(actor=org, rows=rows, filename="慈善义工协会-服务记录-演示.xlsx")
        out["services"] = result.created
    admin = User.objects.get(username="county_admin")
    from dajiuzhu.registry.models import Household

    one_offs = 0
    for household in Household.objects.filter(pk__in=rng.sample(households, min(60, len(households)))):
        day = min(rng.choice(months) + dt.timedelta(days=rng.randrange(0, 27)), ctx.today)
        item, amount = rng.choice([("temp_small", "1440.00"), ("temp_emergency", "3600.00"),
                                   ("house_renovation", "15000.00"), ("edu_boarding", "625.00")])
        assistance_record_create(actor=admin, household=household, source="manual", data=RecordInput(
            item_code=item, amount=Decimal(amount), given_on=day, note="演示数据"))
        one_offs += 1
    out["one_offs"] = one_offs
    ctx.log(f"results: deliveries and one-offs {out}")
    return out
