"""Demo data of the cases app: a year of decided applications, pending check-first cases at each step,
a few refusals — deterministic from ``ctx.rng`` and fast (bulk inserts, one audit event per batch).

- Households the latest screening (``programs.ScreeningHit``) finds eligible for 特困 or 低保 (and
  for 低保边缘 status, the elderly allowance and the disability allowances) receive them through cases
  decided over the past 12 months. About one in eight is left without, so the county check finds
  "missed" households; the planted false declarations are always among the recipients (the checks
  app finds them).
- Two check-first 特困 applications wait at each step of the standard path (through the real
  services, so the timeline is complete), one of them on public notice in 兴隆镇.
- A few applications refused at once on the declared facts (through the real service).
The ids of every demo case are in ``ctx.shared["cases"]``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.demo import DemoContext

from . import demo_rules as rules_demo
from .dates import add_months, month_end, next_cycle
from .models import Case, CaseEvent, CaseItem, CaseStatus, Channel, ItemStatus, Path, Signature

GRANTED = ("tekun", "dibao", "near_poor", "elderly_allowance", "disability_living", "disability_care")
MISSED_SHARE = 0.12
BATCH = 2000
PENDING_STEPS = ("investigate", "record_home_visit", "record_deliberation", "township_opinion", "publish_notice",
                 "close_notice")
PLANTED_FALSE = ("false_vehicle", "false_wages", "false_house", "false_dead_member")


def _actors(county: str):
    from dajiuzhu.accounts.models import User

    users = User.objects.filter(region__code__startswith=county, is_active=True).select_related("region")
    handlers = {u.region_id[:9]: u for u in users.filter(role="township_handler").order_by("id")}
    county_admin = users.filter(role="county_admin").order_by("id").first()
    return handlers, county_admin, users.filter(role="county_approver").order_by("id").first()


def seed(ctx: DemoContext) -> None:
    from dajiuzhu.programs.models import AssistanceItem, ScreeningHit

    if Case.objects.filter(region_code__startswith=ctx.county_code).exists():
        ctx.log("cases: demo cases already present")
        return
    rng = ctx.rng
    items = {i.code: i for i in AssistanceItem.objects.filter(code__in=GRANTED).prefetch_related("excludes")}
    hits = defaultdict(dict)  # household -> {code: amount}
    regions = {}
    for household_id, region, code, amount in (ScreeningHit.objects.filter(
            region_code__startswith=ctx.county_code, item__code__in=GRANTED)
            .values_list("household_id", "region_code", "item__code", "amount").iterator(chunk_size=BATCH)):
        hits[household_id][code] = amount
        regions[household_id] = region
    if not hits:
        ctx.log("cases: no screening results; run the programs demo first")
        return
    planted = {h for kind in PLANTED_FALSE for h in ctx.planted.get(kind, [])}
    handlers, county_admin, county_approver = _actors(ctx.county_code)
    from dajiuzhu.registry.models import Household

    head_rows = [row for row in Household.objects.filter(region_code__startswith=ctx.county_code)
                 .values_list("pk", "head_id", "head__name").iterator(chunk_size=BATCH) if row[0] in hits]
    heads = {pk: head for pk, head, _name in head_rows}
    names = {head: name for _pk, head, name in head_rows}
    irregular = _irregular(ctx.county_code, ctx.today)

    pending_pool = [h for h in sorted(hits) if "tekun" in hits[h] and h not in planted and heads.get(h)]
    rng.shuffle(pending_pool)
    pending_households = set(pending_pool[: 2 * len(PENDING_STEPS) + 2])
    excluded = {code: {other.code for other in item.excludes.all()} for code, item in items.items()}
    plan = []
    for household_id in sorted(hits):
        if household_id in pending_households or not heads.get(household_id):
            continue
        if household_id not in planted and rng.random() < MISSED_SHARE:
            continue
        chosen, blocked = [], set()
        for code in GRANTED:
            if code in hits[household_id] and code not in blocked:
                chosen.append(code)
                blocked |= excluded[code]
        if chosen:
            decided = ctx.today - dt.timedelta(days=rng.randint(35, 365))
            plan.append((household_id, chosen, decided))
    import time

    started = time.perf_counter()
    case_ids = _bulk_approved(ctx, plan, hits, regions, heads, names, irregular, items, handlers)
    bulk_seconds = time.perf_counter() - started
    case_ids += _pending(ctx, sorted(pending_households), handlers, county_admin)
    case_ids += _refused(ctx, handlers, county_admin)
    ctx.shared["cases"] = case_ids
    ctx.log(f"cases: {len(plan):,} households approved over 12 months, {len(case_ids):,} demo cases "
            f"({len(pending_households)} check-first pending); bulk insert {bulk_seconds:.1f} s")
    rules_demo.seed(ctx)


def _irregular(county: str, on: dt.date) -> set[int]:
    """Households with business or farming income (reviewed every 6 months)."""
    from dajiuzhu.registry.models import HouseholdFacts, MemberFacts

    business = set(HouseholdFacts.objects.filter(region_code__startswith=county, as_of__lte=on,
                                                 monthly_business_income__gt=0)
                   .values_list("household_id", flat=True).distinct())
    farming = set(MemberFacts.objects.filter(region_code__startswith=county, as_of__lte=on,
                                             employment__in=("self_employed", "farming"))
                  .values_list("person__household_id", flat=True).distinct())
    return business | farming


def _bulk_approved(ctx, plan, hits, regions, heads, names, irregular, items, handlers, *, fast=None) -> list[int]:
    """The year of approved cases, in batches of ``BATCH`` households (one audit event per batch).

    On PostgreSQL the rows are written with COPY (ids taken from the tables' own sequences, in the same
    order as ``bulk_create`` would take them); elsewhere, or with ``fast=False``, with ``bulk_create``.
    Both write the same rows (``tests/test_demo.py`` compares them).
    """
    from django.db import connection

    from dajiuzhu.registry.models import Person

    if fast is None:
        fast = connection.vendor == "postgresql"
    ids: list[int] = []
    for start in range(0, len(plan), BATCH):
        chunk = plan[start:start + BATCH]
        members = defaultdict(list)
        for pk, household_id in Person.objects.filter(household_id__in=[p[0] for p in chunk],
                                                      deceased_on__isnull=True).values_list("pk", "household_id"):
            members[household_id].append(pk)
        cases, case_items, signatures, events = [], [], [], []
        for n, (household_id, codes, decided) in enumerate(chunk, start=start):
            region = regions[household_id]
            at = timezone.make_aware(dt.datetime.combine(decided, dt.time(9 + n % 8, (n * 7) % 60)))
            handler = handlers.get(region[:9])
            case = dict(
                number=f"{decided:%Y}{region[6:9]}D{n:06d}", household_id=household_id,
                applicant_id=heads[household_id], region_code=region,
                accepted_region_code=handler.region_id if handler else region,
                channel=Channel.PROXY if n % 5 == 0 else Channel.WINDOW, status=CaseStatus.DECIDED,
                irregular_income=household_id in irregular, created_by_id=handler.pk if handler else None,
                created_at=at, decided_at=at,
            )
            cases.append(case)
            start_on = next_cycle(decided)
            for code in codes:
                item = items[code]
                case_items.append(dict(
                    case=len(cases) - 1, household_id=household_id, region_code=region, item_id=item.pk,
                    requested=code in ("tekun", "dibao") or code == codes[0], periodic=item.periodic,
                    path=Path.TRUST_FIRST if item.acceptance == "trust_first" else Path.CHECK_FIRST,
                    status=ItemStatus.APPROVED, amount=hits[household_id][code], effective_from=start_on,
                    effective_to=None if item.periodic else month_end(start_on),
                    review_due=add_months(start_on, 6 if household_id in irregular else 12) if item.periodic
                    else None,
                    rule_version_id=item.current_version_id, decided_at=at,
                    reasons=["按申报信息即时认定（演示数据）"],
                ))
            name = names.get(case["applicant_id"]) or ""
            signatures.append(dict(case=len(cases) - 1, kind=Signature.Kind.PROMISE, person_id=case["applicant_id"],
                                   signer_name=name, text_version="XY-2026.1", signed_at=at))
            signatures.append(dict(case=len(cases) - 1, kind=Signature.Kind.AUTHORISATION,
                                   person_id=case["applicant_id"], signer_name=name, text_version="SQ-2026.1",
                                   signed_at=at))
            events.append(dict(case=len(cases) - 1, action="submit", to_status=CaseStatus.ACCEPTED,
                               actor_id=handler.pk if handler else None, at=at,
                               actor_name=handler.display_name if handler else "",
                               data={"items": codes, "demo": True}))
            events.append(dict(case=len(cases) - 1, action="decided", from_status=CaseStatus.ACCEPTED,
                               to_status=CaseStatus.DECIDED, at=at, actor_name="平台"))
        with transaction.atomic():
            writer = _copy_rows if fast else _orm_rows
            case_ids = writer(Case, cases)
            for row in (*case_items, *signatures, *events):
                row["case_id"] = case_ids[row.pop("case")]
            item_ids = writer(CaseItem, case_items)
            writer(Signature, signatures, returning=False)
            writer(CaseEvent, events, returning=False)
            writer(CaseItem.covered.through,
                   [{"caseitem_id": pk, "person_id": p} for pk, ci in zip(item_ids, case_items, strict=True)
                    for p in members[ci["household_id"]]], returning=False)
            audit_record(actor=None, action="cases.demo_batch", object_type="cases.case",
                         object_id=f"{case_ids[0]}-{case_ids[-1]}", region_code=ctx.county_code.ljust(12, "0"),
                         source="demo", new={"cases": len(cases), "items": len(case_items)})
            ids += case_ids
    return ids


def _orm_rows(model, rows: list[dict], *, returning: bool = True) -> list[int]:
    objects = model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH)
    return [o.pk for o in objects] if returning else []


def _copy_rows(model, rows: list[dict], *, returning: bool = True) -> list[int]:
    """PostgreSQL COPY of ``rows`` (field attname -> value; a missing field takes its default, as a model
    instance would); with ``returning``, ids are drawn from the table's sequence first (ascending, as
    ``bulk_create`` gets them) and returned."""
    import json

    from django.db import connection, models

    if not rows:
        return []
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and not returning)]
    now = timezone.now()
    ids: list[int] = []
    with connection.cursor() as cursor:
        if returning:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                           [table, len(rows)])
            ids = [r[0] for r in cursor.fetchall()]
        getters = []
        for field in fields:
            name = field.attname
            if field.primary_key:
                getters.append(None)
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                getters.append(lambda row, name=name: row.get(name, now))
            elif isinstance(field, models.JSONField):
                getters.append(lambda row, f=field: json.dumps(row[f.attname] if f.attname in row else f.get_default(),
                                                               cls=f.encoder, ensure_ascii=False))
            elif field.has_default() and callable(field.default):
                getters.append(lambda row, f=field: _plain(row[f.attname] if f.attname in row else f.get_default()))
            else:
                default = field.get_default()  # a constant: read once
                getters.append(lambda row, name=name, default=default: _plain(row.get(name, default)))
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for index, row in enumerate(rows):
                copy.write_row([ids[index] if get is None else get(row) for get in getters])
    return ids


def _plain(value):
    """A TextChoices member as its plain string (COPY writes the value, as the ORM does)."""
    return str(value) if isinstance(value, str) else value


def _pending(ctx, households, handlers, county_admin) -> list[int]:
    """Check-first 特困 applications through the real services, two waiting at each step."""
    from dajiuzhu.registry.models import Household

    from .services import application_submit, case_transition

    ids = []
    for index, household in enumerate(Household.objects.filter(pk__in=households).order_by("id")):
        actor = handlers.get(household.region_code[:9]) or county_admin
        if actor is None:
            continue
        try:
            with transaction.atomic():
                case = application_submit(actor=actor, household=household, item_codes=["tekun"],
                                          promise_signed=True, authorisation_signed=True, on=ctx.today,
                                          note="特困供养申请（演示数据）")
                steps = PENDING_STEPS[: index % (len(PENDING_STEPS) + 1)]
                opinions = {"record_home_visit": "入户调查：老人独居，无劳动能力，无赡养人",
                            "record_deliberation": "村民代表会议评议：同意", "township_opinion": "符合条件，拟同意，报县审批"}
                for step in steps:
                    on = ctx.today - dt.timedelta(days=8) if step == "publish_notice" else ctx.today
                    if step == "publish_notice" and index % 2:
                        on = ctx.today - dt.timedelta(days=1)  # this one is still on the noticeboard
                    if step == "close_notice" and index % 2:
                        break
                    case_transition(actor=actor, case=case, step=step, opinion=opinions.get(step, ""), on=on)
            ids.append(case.pk)
        except Exception as exc:  # noqa: BLE001 - a demo household that does not fit is skipped
            ctx.log(f"cases: pending demo case skipped ({exc})")
    return ids


def _refused(ctx, handlers, county_admin) -> list[int]:
    """A few 低保 applications refused at once on the declared facts (income over the standard)."""
    from dajiuzhu.programs.models import ScreeningHit
    from dajiuzhu.registry.models import Household

    from .services import application_submit

    eligible = ScreeningHit.objects.filter(item__code__in=("dibao", "tekun", "near_poor")).values("household_id")
    candidates = list(Household.objects.filter(region_code__startswith=ctx.county_code, head__isnull=False,
                                               facts__isnull=False).exclude(pk__in=eligible)
                      .exclude(cases__isnull=False).distinct().order_by("id")[:200])
    ctx.rng.shuffle(candidates)
    ids = []
    for household in candidates[:8]:
        actor = handlers.get(household.region_code[:9]) or county_admin
        if actor is None:
            continue
        try:
            with transaction.atomic():
                ids.append(application_submit(actor=actor, household=household, item_codes=["dibao"],
                                              promise_signed=True, authorisation_signed=True, on=ctx.today).pk)
        except Exception as exc:  # noqa: BLE001
            ctx.log(f"cases: refused demo case skipped ({exc})")
    return ids
