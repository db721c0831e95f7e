"""The whole benchmark suite at a tiny size, in-process on the test database (SQLite or PostgreSQL).

Modules marked ``POSTGRES_ONLY`` are skipped on SQLite. Only that every module runs and returns
figures is checked — never a timing.
"""

from __future__ import annotations

import pytest

from bench import common


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_benchmark_suite_runs_end_to_end_at_a_tiny_size(tmp_path):
    results = common.run_suite(people=300, seed=11, repeat=1, in_process=True, smoke=True,
                               results_file=tmp_path / "results.json", report_file=tmp_path / "benchmarks.md",
                               log=lambda message: None, command="pytest bench/test_smoke.py")
    assert "registry_load" in results
    assert set(common.discover()) <= set(results)
    for name, entry in results.items():
        assert not entry.get("error"), (name, entry.get("error"))
        if not entry.get("skipped"):
            assert entry["figures"], name
            assert all(isinstance(f["value"], int | float) or f["value"] is None for f in entry["figures"])
    report = (tmp_path / "benchmarks.md").read_text()
    assert report.startswith("# Benchmarks") and "dajiuzhu/registry/synthetic.py" in report


@pytest.mark.django_db(transaction=True)
def test_the_registry_is_reused_when_size_and_seed_match():
    first = common.ensure_registry(people=200, seed=4, county="371424", log=lambda m: None)
    again = common.ensure_registry(people=200, seed=4, county="371424", log=lambda m: None)
    assert first["reused"] is False and again["reused"] is True
    assert again["people"] == 200
    with pytest.raises(RuntimeError, match="another registry"):
        common.ensure_registry(people=300, seed=4, county="371424", log=lambda m: None)


def test_flat_results_are_normalised_with_module_targets_and_medians():
    class Module:
        TARGETS = {"rows_per_s": (100000, "higher", "rows/s")}
        REFERENCES = {"rows_per_s": "copy_rows_per_s"}

    runs = [common.normalise(Module, {"rows_per_s": v, "copy_rows_per_s": 2 * v, "file": "x.csv"}, 1.0)
            for v in (90000.0, 120000.0, 110000.0)]
    merged = common.median_of(runs)
    figure = next(f for f in merged["figures"] if f["name"] == "rows_per_s")
    assert figure["value"] == 110000.0 and figure["reference_value"] == 220000.0
    assert common.ratio(figure) == ("1.10", "✓")
    assert common.ratio({"value": 0, "target": 0}) == ("–", "✓")  # "none at all" targets: met or not, no ratio
    assert common.ratio({"value": 2, "target": 0}) == ("–", "✗ missed")
    assert "file: x.csv" in merged["notes"]


def test_medians_keep_the_spread_of_the_runs_and_the_report_shows_it():
    runs = [common.normalise(None, {"figures": [{"name": "p95", "value": v, "unit": "ms", "target": 200}]}, 1.0)
            for v in (12.0, 30.0, 15.0)]
    for run, load in zip(runs, (0.5, 3.5, 1.0)):
        run["load_average"] = load
    merged = common.median_of(runs)
    figure = merged["figures"][0]
    assert (figure["value"], figure["min"], figure["max"], figure["runs"]) == (15.0, 12.0, 30.0, 3)
    assert merged["load_averages"] == [0.5, 3.5, 1.0]
    entry = {**merged, "title": "T", "people": 10, "repeat": 3, "machine": {"cores": 2}, "load_average": 2.5,
             "registry_data": "registry reused (loaded 2026-11-30 09:00 UTC in 12 s)",
             "setup": {"what": "1,000 records", "reused": False, "seconds": 4.2, "load_average": 0.7}}
    report = common.render({"x": entry})
    assert "| p95 | 15 ms (12–30) | ≤ 200 ms |" in report
    glance = report.split("## Targets at a glance", 1)[1].split("\n## ", 1)[0]  # the summary before the sections
    assert "| T | p95 | 15 ms (12–30) | ≤ 200 ms | 0.07 ✓ | 10 |" in glance
    assert "load average (1 min) at the start: 2.5 · at each timed run: 0.5, 3.5, 1" in report
    assert "above the 2 cores" in report
    assert "Data: registry reused" in report
    assert "Set-up (once, before the timed runs): 1,000 records generated in 4.20 s (load average 0.7)" in report


def test_a_module_setup_runs_once_and_every_timed_run_gets_it(monkeypatch):
    import sys
    import types

    calls = {"setup": 0, "run": []}
    module = types.ModuleType("bench._fake_setup")

    def setup(people, **context):
        calls["setup"] += 1
        return {"what": "fake data", "reused": False, "rows": people * 2, "ids": [1, 2, 3]}

    def run(people, **context):
        calls["run"].append(context["setup"]["rows"])
        return {"figures": [{"name": "t", "value": float(len(calls["run"])), "unit": "s"}]}

    module.setup, module.run, module.TITLE = setup, run, "Fake"
    monkeypatch.setitem(sys.modules, "bench._fake_setup", module)
    result = common.run_in_process("_fake_setup", people=5, repeat=3, context={"seed": 1})
    assert calls == {"setup": 1, "run": [10, 10, 10]}
    assert result["figures"][0]["value"] == 2.0 and result["figures"][0]["min"] == 1.0
    assert result["setup"]["what"] == "fake data" and "ids" not in result["setup"]  # only plain values are kept
    assert isinstance(result["setup"]["seconds"], float) and len(result["load_averages"]) == 3


def test_a_run_with_its_own_results_file_never_rewrites_the_published_report(tmp_path):
    assert common.report_file_for(common.RESULTS_FILE) == common.REPORT_FILE
    assert common.report_file_for(tmp_path / "results-me.json") == tmp_path / "results-me.md"


def _schema(table: str) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass
            UNION ALL
            SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass
            """, [table, table])
        return sorted(cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_benchmark_data_set_ups_rebuild_the_indexes_and_write_the_rows_of_the_plain_queries():
    import datetime as dt

    from django.db import connection

    from bench import dashboards, verification
    from dajiuzhu.registry.synthetic import load_county

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL set-up paths")
    load_county(people=400, seed=9, parallel=False)
    on = dt.date.today()
    before = _schema("checks_departmentrecord"), _schema("results_assistancerecord")
    records, reused, _seconds = verification._ensure_department_data(on)
    assert not reused and records > 0
    # The rows the plain window-function query (the SQLite path, and the set-up as it was) selects.
    with connection.cursor() as cursor:
        expected = set()
        for data_type, _department, field, column in verification.DATA_TYPES:
            value = (f"CAST(ROUND(f.{field} * 100) AS BIGINT)" if column == "amount" else f"f.{field} + 1")
            if data_type == "wage":
                value = f"({value} + CASE WHEN h.id %% {verification.PLANT_EVERY} = 0 THEN 200000 ELSE 0 END)"
            cursor.execute(f"""
                SELECT %s, p.id_hash, p.id, {value} FROM registry_household h
                JOIN registry_person p ON p.id = h.head_id JOIN {verification.LATEST_FACTS}""", [data_type, on])
            expected |= set(cursor.fetchall())
        cursor.execute("SELECT data_type, subject_key, person_id, COALESCE(amount, quantity) "
                       "FROM checks_departmentrecord")
        assert set(cursor.fetchall()) == expected and len(expected) == records
    assert verification._ensure_department_data(on)[1] is True  # reused the second time
    generated = dashboards.ensure_records(5000, log=lambda m: None)
    assert generated["generated"] == 5000 and dashboards.ensure_records(5000, log=lambda m: None)["generated"] == 0
    assert (_schema("checks_departmentrecord"), _schema("results_assistancerecord")) == before
