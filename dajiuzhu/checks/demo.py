"""Demo data of the verification: department deliveries for the demo county, planted false
declarations among the active recipients, a court list, and one county-wide review.

The honest recipients' department data equals their declarations (so the review finds nothing
for them); in a few recipient households a department knows of a hidden vehicle, unreported
wages, a second house or a member who died. Their household ids are in ``ctx.planted``
(``false_vehicle``, ``false_wages``, ``false_house``, ``false_dead_member``). The review is run
once (a ``checks.batch`` job) and one planted case is decided: revoked for concealment, with a
dishonesty record — so the report, overpayment and credit record can be seen at once.
Deterministic from ``ctx.rng``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.demo import DemoContext
from dajiuzhu.registry.models import Household, Person

from .datatypes import ensure_department_data_types

PLANTS = (("false_vehicle", 3), ("false_wages", 3), ("false_house", 2), ("false_dead_member", 2))
DATA_ACCOUNTS = ("police", "civil_affairs", "hr_social_security", "property_registry", "banks", "court",
                 "disabled_federation", "medical_insurance")


def _department_user(code: str):
    from dajiuzhu.accounts.models import Department, User

    user = User.objects.filter(role="department", department__code=code).order_by("id").first()
    if user is None:
        department = Department.objects.get(code=code)
        user = User.objects.create_user(username=f"dept_{code}", password=settings.DEMO_PASSWORD, role="department",
                                        region_id="371424000000", department=department,
                                        full_name=f"{department.name}数据员")
    return user


def _yuan(fen: int) -> str:
    return str((Decimal(int(fen)) / 100).quantize(Decimal("0.01")))


def _recipients(ctx: DemoContext) -> tuple[list[int], bool]:
    try:
        from dajiuzhu.cases.selectors import active_benefits
    except ImportError:
        active_benefits = None
    if active_benefits is not None:
        ids = sorted(set(active_benefits(on=ctx.today, region_prefix=ctx.county_code)
                         .values_list("household_id", flat=True)))
        if ids:
            return ids, True
    ids = list(Household.objects.filter(region_code__startswith=ctx.county_code, head__isnull=False)
               .order_by("id").values_list("id", flat=True)[:1500])
    return ids, False


def seed(ctx: DemoContext) -> None:
    from dajiuzhu.accounts.departments import ensure_departments

    from . import compare
    from .delivery import delivery_receive
    from .models import Delivery

    ensure_departments()
    ensure_department_data_types()
    if Delivery.objects.exists():
        ctx.log("checks: department data already delivered")
        return
    recipients, from_cases = _recipients(ctx)
    if not recipients:
        return
    on = ctx.today
    described = on - dt.timedelta(days=10)
    cmp = compare.compare(on=on, household_ids=recipients)
    heads = dict(Household.objects.filter(pk__in=recipients).values_list("id", "head_id"))
    people = {p.pk: p for p in Person.objects.filter(pk__in=[h for h in heads.values() if h])}

    rng = ctx.rng
    pool = [int(h) for h, has in zip(cmp.household_ids, cmp.has_facts, strict=True) if has and heads.get(int(h))]
    rng.shuffle(pool)
    planted: dict[str, list[int]] = {}
    multi = set(Person.objects.filter(household_id__in=pool, deceased_on__isnull=True).exclude(
        pk__in=list(heads.values())).values_list("household_id", flat=True))
    for kind, count in PLANTS:
        candidates = [h for h in pool if kind != "false_dead_member" or h in multi]
        planted[kind] = candidates[:count]
        pool = [h for h in pool if h not in planted[kind]]
    is_planted = {h: kind for kind, ids in planted.items() for h in ids}

    rows = {"wage": [], "deposit": [], "house": [], "vehicle": [], "cremation": []}
    for i, household_id in enumerate(int(h) for h in cmp.household_ids):
        head = people.get(heads.get(household_id))
        if head is None or not cmp.has_facts[i]:
            continue
        raw = cmp.declared_raw
        base = {"id_number": head.id_number, "name": head.name, "as_of": described.isoformat()}
        kind = is_planted.get(household_id)
        wages = raw["monthly_wages"][i] + (250000 if kind == "false_wages" else 0)
        rows["wage"].append({**base, "monthly_wages": _yuan(wages), "employer": "临邑县某企业" if wages else ""})
        rows["deposit"].append({**base, "amount": _yuan(raw["deposits"][i])})
        rows["house"].append({**base, "houses": int(raw["extra_houses"][i]) + 1 + (1 if kind == "false_house" else 0)})
        rows["vehicle"].append({**base, "vehicles": int(raw["vehicles"][i]) + (1 if kind == "false_vehicle" else 0),
                                "vehicles_for_disability": int(raw["vehicles_for_disability"][i])})
        if kind == "false_dead_member":
            member = (Person.objects.filter(household_id=household_id, deceased_on__isnull=True)
                      .exclude(pk=head.pk).order_by("id").first())
            rows["cremation"].append({"id_number": member.id_number, "name": member.name,
                                      "as_of": described.isoformat(),
                                      "death_date": (on - dt.timedelta(days=45)).isoformat()})
    owners = {"wage": "hr_social_security", "deposit": "banks", "house": "property_registry", "vehicle": "police",
              "cremation": "civil_affairs"}
    for data_type, data in rows.items():
        if data:
            delivery = delivery_receive(actor=_department_user(owners[data_type]), data_type=data_type, rows=data,
                                        channel="demo", file_name=f"demo-{data_type}.csv")
            ctx.log(f"checks: {data_type} delivery #{delivery.pk}: {delivery.created} records")

    # A court's dishonest-debtor list with two people of households that receive nothing.
    others = list(Household.objects.filter(region_code__startswith=ctx.county_code, head__isnull=False,
                                           head__deceased_on__isnull=True).exclude(pk__in=recipients)
                  .order_by("id").values_list("head_id", flat=True)[:500])
    if len(others) >= 2:
        debtors = Person.objects.filter(pk__in=rng.sample(others, 2)).order_by("id")
        delivery_receive(actor=_department_user("court"), data_type="dishonest_debtor", channel="demo",
                         file_name="demo-court-list.csv",
                         rows=[{"id_number": p.id_number, "name": p.name, "as_of": described.isoformat(),
                                "listed_on": (on - dt.timedelta(days=120 + n)).isoformat(),
                                "case_number": f"（{on.year}）鲁1424执{300 + n}号"} for n, p in enumerate(debtors)])
        ctx.planted.setdefault("court_debtor", []).extend(
            Person.objects.filter(pk__in=[p.pk for p in debtors]).values_list("household_id", flat=True))

    for kind, ids in planted.items():
        ctx.planted.setdefault(kind, []).extend(ids)
    ctx.shared["checks"] = {"recipients": len(recipients), "from_cases": from_cases}
    ctx.log("checks: planted " + ", ".join(f"{k} {len(v)}" for k, v in planted.items()))
    if from_cases:
        _run_review(ctx, planted)


def _run_review(ctx: DemoContext, planted: dict[str, list[int]]) -> None:
    from dajiuzhu.accounts.models import User
    from dajiuzhu.core.jobs import job_enqueue, job_run

    from .batch import JOB_KIND
    from .models import ReportStatus, VerificationReport
    from .services import report_decide

    admin = User.objects.filter(username="county_admin").first()
    if admin is None:
        return
    with transaction.atomic():
        job = job_enqueue(kind=JOB_KIND, actor=admin, region_code=admin.region_id, backend="inline",
                          params={"as_of": ctx.today.isoformat(), "region_prefix": ctx.county_code, "confirm": False})
        audit_record(actor=admin, action="checks.batch_start", object_type="core.job", object_id=job.pk,
                     region_code=admin.region_id, new={"as_of": ctx.today, "demo": True})
    job = job_run(job.pk)  # at once, whether or not the on-commit run has happened (a done job is left alone)
    result = job.result or {}
    ctx.log(f"checks: county-wide review {job.status}: {result.get('consistent', 0)} consistent, "
            f"{result.get('inconsistent', 0)} inconsistent, {result.get('no_authorisation', 0)} without authorisation")
    approver = User.objects.filter(username="county_approver").first()
    target = planted.get("false_vehicle", [])[:1]
    report = VerificationReport.objects.filter(job=job, household_id__in=target,
                                               status=ReportStatus.AWAITING_DECISION).first()
    if approver is None or report is None:
        return
    from dajiuzhu.cases.selectors import active_benefits

    benefit = active_benefits(on=ctx.today).filter(household_id=report.household_id).order_by("effective_from").first()
    not_due_from = benefit.effective_from if benefit else ctx.today
    report_decide(actor=approver, report=report, decision="revoke", not_due_from=min(not_due_from, ctx.today),
                  reason="隐瞒登记在户主名下的机动车一辆（公安车辆登记）", dishonest=True,
                  dishonesty_reason="concealment")
    ctx.log(f"checks: report #{report.pk} decided: revoked for concealment with a dishonesty record")
