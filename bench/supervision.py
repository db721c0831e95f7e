"""Flat management: the monthly handler evaluation and the time-limit scan over a county's cases.

Set-up (once, idempotent, PostgreSQL): for every third household of the registry without an
application, one application accepted last month by a bench window user of its township
(``bench-sup-<township>``), written in SQL: 9 in 12 trust-first 低保 decided at once (every 10th of
them later confirmed by review, every 40th revoked); 3 in 12 check-first 特困 — one still at
acceptance (its township review overdue or not, by its day), one awaiting the county's decision
after township opinion and a 7-day notice, one decided — each with the timeline events the cases
app writes. The demo time limits and the 2026/2027 calendar are loaded for the county.

Timed: ``supervision.evaluation.evaluate`` for the county and last month (the grouped reads of
the cases app, this app's tables, step times in numpy, the ranking), and
``supervision.timelimits.overdue_scan`` for the county (every open step's deadline, the overdue
rows written idempotently: the second scan writes nothing new). Reference: the cases app's grouped
timeline query alone (``step_timeline`` for the month), i.e. the floor of reading the steps.

Standalone: ``python -m bench --only supervision --people 1000000``.
"""

from __future__ import annotations

import datetime as dt
import time

TITLE = "Flat management: monthly handler evaluation and time-limit scan"
POSTGRES_ONLY = True
MARK = "B"  # case numbers of the bench applications start with it


def _month() -> dt.date:
    first = dt.date.today().replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def _handlers(county: str) -> dict[str, int]:
    from dajiuzhu.accounts.models import User
    from dajiuzhu.core.testing import make_user
    from dajiuzhu.regions.models import Region

    out = {}
    for code in Region.objects.filter(code__startswith=county, level=4).values_list("code", flat=True):
        name = f"bench-sup-{code[:9]}"
        user = User.objects.filter(username=name).first() or make_user("township_handler", code, username=name)
        out[code[:9]] = user.pk
    return out


def setup(people: int, **context) -> dict:
    from django.db import connection, transaction

    from dajiuzhu.cases.models import Case
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue
    from dajiuzhu.programs.models import AssistanceItem
    from dajiuzhu.supervision.calendar import ensure_demo_limits, ensure_official_holidays

    from .common import Skip

    if connection.vendor != "postgresql":
        raise Skip("the set-up writes the applications in PostgreSQL SQL")
    county = context.get("county", "371424")
    month = _month()
    ensure_demo_catalogue(county_code=county)
    ensure_official_holidays(county)
    ensure_demo_limits(county)
    existing = Case.objects.filter(number__startswith=MARK, created_at__date__gte=month).count()
    if existing:
        return {"what": f"{existing:,} applications", "reused": True, "cases": existing, "seconds": 0.0,
                "month": month.isoformat()}
    started = time.perf_counter()
    handlers = _handlers(county)
    dibao = AssistanceItem.objects.get(code="dibao").pk
    tekun = AssistanceItem.objects.get(code="tekun").pk
    start = dt.datetime.combine(month, dt.time(9))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bench_sup_handlers (township varchar(9), user_id bigint) ON COMMIT DROP")
        cursor.executemany("INSERT INTO bench_sup_handlers VALUES (%s, %s)", list(handlers.items()))
        # kind: 0–8 trust-first, 9 check-first at acceptance, 10 awaiting the decision, 11 decided.
        cursor.execute("""
            CREATE TEMPORARY TABLE bench_sup_cases ON COMMIT DROP AS
            SELECT h.id AS household_id, h.head_id, h.region_code, b.user_id,
                   (h.id / 3) %% 12 AS kind,
                   (%s::timestamp + ((h.id %% 26) || ' days')::interval + ((h.id %% 7) || ' hours')::interval)
                       AT TIME ZONE 'Asia/Shanghai' AS accepted
            FROM registry_household h
            JOIN bench_sup_handlers b ON b.township = substr(h.region_code, 1, 9)
            WHERE h.id %% 3 = 0 AND h.head_id IS NOT NULL AND h.region_code LIKE %s
              AND NOT EXISTS (SELECT 1 FROM cases_caseitem ci WHERE ci.household_id = h.id)""",
                       [start, county + "%"])
        cursor.execute("""
            INSERT INTO cases_case (number, household_id, applicant_id, region_code, accepted_region_code, channel,
                status, restriction, irregular_income, facts, note, created_by_id, created_at, updated_at, decided_at)
            SELECT %s || c.household_id, c.household_id, c.head_id, c.region_code, substr(c.region_code, 1, 9) || '000',
                   'window', CASE WHEN c.kind = 9 THEN 'accepted' WHEN c.kind = 10 THEN 'awaiting_decision'
                                  ELSE 'decided' END,
                   '', false, '{}'::jsonb, '', c.user_id, c.accepted, c.accepted,
                   CASE WHEN c.kind < 9 THEN c.accepted WHEN c.kind = 11 THEN c.accepted + interval '20 days' END
            FROM bench_sup_cases c""", [MARK])
        cursor.execute("ALTER TABLE bench_sup_cases ADD COLUMN case_id bigint")
        cursor.execute("""UPDATE bench_sup_cases c SET case_id = k.id FROM cases_case k
                          WHERE k.number = %s || c.household_id""", [MARK])
        cursor.execute("""
            INSERT INTO cases_caseitem (case_id, household_id, region_code, item_id, requested, periodic, path, status,
                amount, effective_from, review_due, reasons, facts_used, decided_at, decided_by_id)
            SELECT c.case_id, c.household_id, c.region_code, CASE WHEN c.kind < 9 THEN %s ELSE %s END, true, true,
                   CASE WHEN c.kind < 9 THEN 'trust_first' ELSE 'check_first' END,
                   CASE WHEN c.kind < 9 OR c.kind = 11 THEN 'approved' ELSE 'pending' END,
                   CASE WHEN c.kind < 9 OR c.kind = 11 THEN 840 END,
                   CASE WHEN c.kind < 9 OR c.kind = 11 THEN %s::date END,
                   CASE WHEN c.kind < 9 OR c.kind = 11 THEN %s::date END,
                   '[]'::jsonb, '{}'::jsonb,
                   CASE WHEN c.kind < 9 THEN c.accepted WHEN c.kind = 11 THEN c.accepted + interval '20 days' END,
                   NULL
            FROM bench_sup_cases c""",
                       [dibao, tekun, (month + dt.timedelta(days=40)).replace(day=1),
                        (month + dt.timedelta(days=400)).replace(day=1)])
        # The timeline: acceptance for all; the standard path's steps for kinds 10 and 11.
        cursor.execute("""
            INSERT INTO cases_caseevent (case_id, action, from_status, to_status, actor_name, opinion, data, at,
                                         actor_id)
            SELECT c.case_id, e.action, e.from_status, e.to_status, '', '', '{}'::jsonb, c.accepted + e.after,
                   CASE WHEN e.action = 'decide' THEN NULL ELSE c.user_id END
            FROM bench_sup_cases c
            JOIN (VALUES ('submit', '', 'accepted', interval '0 days', 0),
                         ('decided', 'accepted', 'decided', interval '0 days', 1),
                         ('township_opinion', 'deliberated', 'township_reviewed', interval '6 days', 2),
                         ('publish_notice', 'township_reviewed', 'public_notice', interval '7 days', 2),
                         ('close_notice', 'public_notice', 'awaiting_decision', interval '14 days', 2),
                         ('decide', 'awaiting_decision', 'decided', interval '20 days', 3))
                 AS e(action, from_status, to_status, after, needs)
              ON e.needs = 0 OR (e.needs = 1 AND c.kind < 9) OR (e.needs = 2 AND c.kind >= 10)
                 OR (e.needs = 3 AND c.kind = 11)""")
        cursor.execute("""
            INSERT INTO cases_review (case_item_id, due, outcome, old_amount, new_amount, note, actor_id, at)
            SELECT ci.id, ci.effective_from, 'confirmed', 840, 840, 'bench', NULL, ci.decided_at + interval '3 days'
            FROM cases_caseitem ci JOIN bench_sup_cases c ON c.case_id = ci.case_id
            WHERE c.kind < 9 AND c.household_id % 10 = 0""")
        cursor.execute("""
            INSERT INTO cases_revocation (case_item_id, reason, not_due_from, revoked_on, monthly_amount,
                months_overpaid, overpayment, dishonest, actor_id, at)
            SELECT ci.id, 'bench', ci.effective_from, ci.effective_from, 840, 0, 0, false, NULL,
                   ci.decided_at + interval '5 days'
            FROM cases_caseitem ci JOIN bench_sup_cases c ON c.case_id = ci.case_id
            WHERE c.kind < 9 AND c.household_id % 40 = 3""")
        cursor.execute("""UPDATE cases_caseitem SET status = 'revoked' WHERE id IN
                          (SELECT case_item_id FROM cases_revocation WHERE reason = 'bench')""")
    with connection.cursor() as cursor:
        for table in ("cases_case", "cases_caseitem", "cases_caseevent", "cases_review", "cases_revocation"):
            cursor.execute(f"ANALYZE {table}")
    count = Case.objects.filter(number__startswith=MARK, created_at__date__gte=month).count()
    return {"what": f"{count:,} applications", "reused": False, "cases": count,
            "seconds": round(time.perf_counter() - started, 2), "month": month.isoformat()}


def run(people: int, **context) -> dict:
    from django.utils import timezone

    from dajiuzhu.cases.selectors import step_timeline
    from dajiuzhu.supervision.evaluation import evaluate, month_bounds
    from dajiuzhu.supervision.models import OverdueStep
    from dajiuzhu.supervision.timelimits import overdue_scan

    prepared = context.get("setup") or setup(people, **context)
    county = context.get("county", "371424")
    month = dt.date.fromisoformat(prepared["month"])
    since, until = month_bounds(month)

    begin = time.perf_counter()
    timeline = len(list(step_timeline(region_prefix=county, since=since, until=until)))
    timeline_seconds = time.perf_counter() - begin

    begin = time.perf_counter()
    result = evaluate(region_prefix=county, month=month)
    evaluation_seconds = time.perf_counter() - begin

    OverdueStep.objects.filter(region_code__startswith=county).delete()
    today = timezone.localdate()
    begin = time.perf_counter()
    first = overdue_scan(region_prefix=county, on=today)
    scan_seconds = time.perf_counter() - begin
    begin = time.perf_counter()
    second = overdue_scan(region_prefix=county, on=today)
    rescan_seconds = time.perf_counter() - begin
    handled = int(sum(r.figures.get("handled", 0) for r in result["handlers"]))
    return {
        "figures": [
            {"name": "monthly evaluation of the county", "value": round(evaluation_seconds, 2), "unit": "s",
             "target": 60 * people / 1e6, "better": "lower",
             "reference": "the month's step timeline query alone", "reference_value": round(timeline_seconds, 2)},
            {"name": "time-limit scan of the county (first)", "value": round(scan_seconds, 2), "unit": "s",
             "target": 60 * people / 1e6, "better": "lower"},
            {"name": "time-limit scan again (nothing new)", "value": round(rescan_seconds, 2), "unit": "s",
             "better": "lower"},
            {"name": "applications of the month", "value": handled, "unit": "", "better": "higher"},
            {"name": "check-first cases in the month's timeline", "value": timeline, "unit": "", "better": "higher"},
            {"name": "overdue steps found", "value": first["overdue"], "unit": "", "better": "higher"},
        ],
        "notes": (f"{len(result['handlers'])} handlers in {len(result['townships'])} townships ranked; "
                  f"second scan wrote {second['new']} rows. "
                  + ("Applications reused from an earlier run. " if prepared["reused"] else
                     f"{prepared['cases']:,} applications written once in SQL in {prepared['seconds']} s. ")
                  + "Targets (60 s per million people) are this module's own, not the issue's."),
    }
