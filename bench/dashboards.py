"""Dashboards over many assistance records: JSON latency for the county and a township, refresh time.

Generates ``records`` assistance records with one set-based ``INSERT … SELECT … FROM
generate_series`` (PostgreSQL), spread over the registry's households, 24 months, 12 items and the
three kinds (cash, goods, service); refreshes the pre-aggregated figures (the ``dashboards.refresh``
job's work) and times it; then requests ``/api/v1/dashboards/<code>`` for the county and for a
township through the Django test client (the full stack: auth, selector, schema, JSON) and reports
p50/p95. Also times the selector alone.

    .venv/bin/python -m bench --people 20000 --only dashboards
    # or directly: from bench.dashboards import run; run(20000, records=10_000_000)
"""

from __future__ import annotations

import statistics
import time

TITLE = "Dashboards over 10 million assistance records (pre-aggregated figures)"
POSTGRES_ONLY = True
TARGET_P95_MS = 200.0
MARK = "bench:"

ITEMS = [  # code, category, tier, kind, base amount
    ("dibao", "living", "dibao", "cash", 620), ("tekun", "living", "tekun", "cash", 1250),
    ("orphan", "children", "", "cash", 1500), ("disability_care", "disability", "", "cash", 100),
    ("disability_living", "disability", "", "cash", 90), ("temp_small", "temporary", "", "cash", 1440),
    ("med_class2", "medical", "", "cash", 1800), ("edu_boarding", "education", "", "cash", 625),
    ("house_renovation", "housing", "", "cash", 15000), ("disaster_winter", "disaster", "", "goods", 300),
    ("home_care", "social", "", "service", 0), ("public_welfare_job", "employment", "", "service", 0),
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def ensure_records(records: int, *, log=print) -> dict:
    """Exactly ``records`` benchmark records (``dedupe_key`` 'bench:<n>'), generated set-based.

    One transaction: the table's secondary indexes and unique constraints are dropped, the records
    inserted by one ``INSERT … SELECT … generate_series`` and the indexes rebuilt (one sort each,
    instead of 10 million insertions into each of 10 indexes). The records depend only on the
    registry, ``records`` and the day (the same registry on the same day gives the same records).
    """
    from django.db import connection, transaction

    from dajiuzhu.registry.synthetic import begin_bulk_load

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM results_assistancerecord WHERE dedupe_key LIKE %s", [MARK + "%"])
        have = cursor.fetchone()[0]
        if have == records:
            return {"generated": 0, "seconds": 0.0}
        started = time.perf_counter()
        cursor.execute("DROP TABLE IF EXISTS bench_households")
        cursor.execute(
            "CREATE TEMP TABLE bench_households AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, region_code, "
            "is_urban FROM registry_household"
        )
        cursor.execute("SELECT COUNT(*) FROM bench_households")
        households = cursor.fetchone()[0]
        if not households:
            raise RuntimeError("the registry is empty: load it first")
        items_sql = " UNION ALL ".join(
            f"SELECT {i} AS k, '{code}' AS code, '{cat}' AS category, '{tier}' AS tier, '{kind}' AS kind, {base} AS base"
            for i, (code, cat, tier, kind, base) in enumerate(ITEMS)
        )
        # The households are taken from the registry itself, so the foreign-key triggers (10 million
        # look-ups) are skipped for this insert where the role may (superuser); otherwise they run.
        # Periodic items dominate (as in a real county): item = g % 20 mapped onto the 12 items.
        sql = f"""
            INSERT INTO results_assistancerecord (
                household_id, person_id, region_code, is_urban, item_code, item_name, category, tier,
                department_id, organisation, kind, amount, quantity, unit, goods, service_kind, service_hours,
                provider, persons, period_start, period_end, given_on, case_id_ref, case_item_ref,
                payment_line_id, source, external_ref, dedupe_key, status, note, created_by_id, created_at)
            SELECT h.id, NULL, h.region_code, h.is_urban, i.code, i.code, i.category, i.tier,
                NULL, '', i.kind,
                CASE WHEN i.kind = 'service' THEN 0 ELSE i.base + (g %% 97) END,
                CASE WHEN i.kind = 'goods' THEN 1 ELSE NULL END, '',
                CASE WHEN i.kind = 'goods' THEN '棉被' ELSE '' END,
                CASE WHEN i.kind = 'service' THEN '居家照护' ELSE '' END,
                CASE WHEN i.kind = 'service' THEN 2 ELSE NULL END,
                '', 1 + (g %% 4),
                CASE WHEN i.tier <> '' THEN date_trunc('month', d)::date ELSE NULL END,
                CASE WHEN i.tier <> '' THEN (date_trunc('month', d) + interval '1 month - 1 day')::date ELSE NULL END,
                d, NULL, NULL, NULL, 'manual', '', '{MARK}' || g, 'given', '', NULL, now()
            FROM generate_series(1, %s) AS g
            JOIN bench_households h ON h.n = (g::bigint * 7919) %% %s
            JOIN ({items_sql}) AS i ON i.k = (CASE WHEN g %% 20 < 9 THEN 0 ELSE (g %% 20) - 8 END)
            CROSS JOIN LATERAL (SELECT (current_date - ((g %% 730))::int) AS d) AS dd
            """
        with transaction.atomic():
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute("SET LOCAL maintenance_work_mem TO '512MB'")
            # Without the row triggers (replica) the foreign keys can stay; otherwise they are re-added
            # (and checked with one join each) after the insert, like the indexes.
            recreate, replica = begin_bulk_load(cursor, ("results_assistancerecord",))
            cursor.execute("DELETE FROM results_assistancerecord WHERE dedupe_key LIKE %s", [MARK + "%"])
            cursor.execute(sql, [records, households])
            inserted = time.perf_counter()
            for statement in recreate:
                cursor.execute(statement)
            indexed = time.perf_counter()
        cursor.execute("ANALYZE results_assistancerecord")
        seconds = time.perf_counter() - started
    log(f"dashboards: {records:,} records generated in {seconds:.1f} s (insert {inserted - started:.1f} s, "
        f"{len(recreate)} indexes {indexed - inserted:.1f} s; foreign-key triggers skipped: {replica})")
    return {"generated": records, "seconds": seconds, "replica": replica, "insert_seconds": inserted - started,
            "index_seconds": indexed - inserted}


def _user(role: str, region: str):
    from dajiuzhu.accounts.models import User

    user, _created = User.objects.get_or_create(username=f"bench-{role}-{region}",
                                                defaults={"role": role, "region_id": region})
    return user


def setup(people: int, records: int = 10_000_000, **context) -> dict:
    """The data set-up, once before the timed runs: the assistance records (generated or reused)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        from bench.common import Skip

        raise Skip("generate_series needs PostgreSQL")
    if context.get("smoke", False):
        records = min(records, 20_000)
    generated = ensure_records(records, log=context.get("log", print))
    return {"what": f"{records:,} assistance records", "records": records, "reused": not generated["generated"],
            "seconds": round(generated["seconds"], 2),
            "insert_seconds": round(generated.get("insert_seconds", 0.0), 2),
            "index_seconds": round(generated.get("index_seconds", 0.0), 2)}


def run(people: int, records: int = 10_000_000, **context) -> dict:
    from django.db import transaction
    from django.test import Client

    from dajiuzhu.dashboards.selectors import dashboard_data
    from dajiuzhu.dashboards.services import dashboards_refresh

    county = context.get("county", "371424")
    smoke = context.get("smoke", False)
    prepared = context.get("setup") or setup(people, records, **context)
    records = prepared["records"]
    started = time.perf_counter()
    with transaction.atomic():
        refresh = dashboards_refresh()
    refresh_seconds = time.perf_counter() - started

    county_code = county.ljust(12, "0")
    township_code = county + "100000"
    admin = _user("county_admin", county_code)
    handler = _user("township_handler", township_code)
    client = Client()
    samples = 5 if smoke else 60
    figures = []
    results: dict[str, list[float]] = {}
    for label, user, code in (("county", admin, county_code), ("township", handler, township_code)):
        client.force_login(user)
        url = f"/api/v1/dashboards/{code}"
        client.get(url)  # warm
        times = []
        for _i in range(samples):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.content[:200]
        results[label] = times
        selector_times = []
        for _i in range(samples):
            t0 = time.perf_counter()
            dashboard_data(actor=user, code=code)
            selector_times.append((time.perf_counter() - t0) * 1000)
        figures += [
            {"name": f"{label} dashboard JSON p50", "value": round(statistics.median(times), 2), "unit": "ms"},
            {"name": f"{label} dashboard JSON p95", "value": round(_percentile(times, 0.95), 2), "unit": "ms",
             "target": TARGET_P95_MS, "better": "lower",
             "reference": "selector alone, p95", "reference_value": round(_percentile(selector_times, 0.95), 2)},
        ]
    figures += [
        {"name": "refresh job (all figures of every level)", "value": round(refresh_seconds, 2), "unit": "s",
         "better": "lower"},
        {"name": "figures stored", "value": refresh.figures, "unit": "rows"},
        {"name": "assistance records", "value": records, "unit": "records"},
    ]
    if not prepared["reused"]:
        figures.append({"name": "record generation (set-up, once: INSERT … generate_series, indexes rebuilt)",
                        "value": prepared["seconds"], "unit": "s"})
    return {
        "figures": figures,
        "notes": (f"{records:,} records over {context.get('registry', {}).get('households', '?')} households, 24 months, "
                  f"12 items; the page and the API read only dashboards_figure (one indexed query for the region, one "
                  f"for its children); the refresh groups the records once per village and adds villages up into "
                  f"township, county, city and province in Python. {samples} requests per level. "
                  + ("The records were reused from an earlier run (same count)." if prepared["reused"] else
                     f"The records were generated once before the timed runs in {prepared['seconds']} s (insert "
                     f"{prepared.get('insert_seconds')} s, indexes rebuilt {prepared.get('index_seconds')} s).")),
    }

