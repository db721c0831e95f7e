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
    assert "file: x.csv" in merged["notes"]
