"""The benchmark runner: registry set-up, module discovery, medians, machine facts, the report.

Used by ``python -m bench`` (each module in its own subprocess) and by the smoke test
(in-process, on the test database).
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/dajiuzhu_bench"
RESULTS_FILE = ROOT / "var" / "bench" / "results.json"
REPORT_FILE = ROOT / "docs" / "benchmarks.md"
FRAMEWORK_FILES = {"__init__", "__main__", "common", "test_smoke"}
RESULT_MARK = "BENCH-RESULT "


def report_file_for(results_file: Path) -> Path:
    """``docs/benchmarks.md`` for the suite's own results file; ``<results>.md`` beside any other one.

    An engineer's partial run (``--results var/bench/results-me.json``) never rewrites the published report.
    """
    if Path(results_file).resolve() == RESULTS_FILE.resolve():
        return REPORT_FILE
    return Path(results_file).with_suffix(".md")


class Skip(Exception):  # noqa: N818 - reads as "raise Skip(reason)"
    """A module cannot run here (e.g. it needs PostgreSQL)."""


# --- set-up ----------------------------------------------------------------------------------------------------

def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return
    params = {"host": config["HOST"] or "127.0.0.1", "port": config["PORT"] or 5432, "user": config["USER"],
              "password": config["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


def drop_database(url: str) -> None:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    params = {"host": config["HOST"] or "127.0.0.1", "port": config["PORT"] or 5432, "user": config["USER"],
              "password": config["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DAJIUZHU_JOBS", "inline")
    # As deployed: no debug cursor recording every statement (measured on the import at 200,000 rows, within
    # the noise: 10.8-11.9 s with it, 11.1-11.2 s without). The suite run of 30 November 2026 had it on.
    os.environ.setdefault("DJANGO_DEBUG", "0")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_registry(*, people: int, seed: int, county: str, log: Callable[[str], None] = print,
                    batch_size: int = 10000) -> dict:
    """Load the synthetic registry of that size and seed unless the database already holds it.

    Returns the registry's counts and, when it was loaded now, the load figures.
    """
    from dajiuzhu.core.models import Job
    from dajiuzhu.regions.loaders import load_default
    from dajiuzhu.regions.models import Region
    from dajiuzhu.registry.models import Household, Person
    from dajiuzhu.registry.synthetic import load_county

    params = {"people": people, "seed": seed, "county": county}
    marker = Job.objects.filter(kind="bench.registry", status=Job.Status.DONE).order_by("-created_at").first()
    if marker and marker.params == params and Household.objects.exists():
        log(f"registry: reusing {people:,} people (seed {seed}) loaded {marker.finished_at:%Y-%m-%d %H:%M}")
        return {**marker.result, "loaded_at": f"{marker.finished_at:%Y-%m-%d %H:%M} UTC", "reused": True}
    if Household.objects.exists():
        raise RuntimeError("the benchmark database holds another registry; use a fresh database (--fresh)")
    if not Region.objects.filter(code=county.ljust(12, "0")).exists():
        load_default()
    load = load_average()
    log(f"registry: generating and loading {people:,} people (seed {seed}; load average {load}) …")
    result = load_county(people=people, seed=seed, county=county, batch_size=batch_size,
                         log=lambda m: log("registry:" + m))
    counts = {
        "households": result.households, "people": result.people, "memberships": result.memberships,
        "household_facts": result.household_facts, "member_facts": result.member_facts,
        "load_seconds": result.seconds, "load_people_per_s": round(result.people / max(result.seconds, 1e-9)),
        "planted": {k: len(v) for k, v in result.planted.items()},
        "parallel": result.parallel, "deferred_indexes": result.deferred_indexes,
        "index_seconds": result.index_seconds, "generator_cpu_seconds": result.generator_cpu_seconds,
        "writer_cpu_seconds": result.writer_cpu_seconds, "load_average": load,
        "loaded_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    assert Person.objects.count() >= people
    Job.objects.create(kind="bench.registry", status=Job.Status.DONE, params=params, result=counts,
                       finished_at=dt.datetime.now(dt.UTC), done=people, total=people)
    log(f"registry: loaded in {result.seconds:.1f} s ({counts['load_people_per_s']:,} people/s)")
    return {**counts, "reused": False}


# --- modules ---------------------------------------------------------------------------------------------------

def discover(only: str = "") -> list[str]:
    names = sorted(p.stem for p in Path(__file__).parent.glob("*.py")
                   if p.stem not in FRAMEWORK_FILES and not p.stem.startswith("_"))
    names = [n for n in names if callable(getattr(_import(n), "run", None))]
    if only:
        wanted = [w.strip() for w in only.split(",") if w.strip()]
        unknown = set(wanted) - set(names)
        if unknown:
            raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have: {', '.join(names)}")
        names = [n for n in names if n in wanted]
    return names


def _import(name: str):
    return importlib.import_module(f"bench.{name}")


def call_module(name: str, *, people: int, context: dict) -> dict:
    """One run of a module, its result normalised to {"figures": [...], "notes": str}."""
    module = _import(name)
    run = module.run
    accepted = inspect.signature(run).parameters
    kwargs: dict[str, Any] = {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        kwargs = dict(context)
    else:
        kwargs = {k: v for k, v in context.items() if k in accepted}
    first = next(iter(accepted), "people")
    report = None
    if "report" in accepted:
        report = kwargs["report"] = Report()
    load = load_average()
    started = time.perf_counter()
    raw = run(people, **{k: v for k, v in kwargs.items() if k != first})
    elapsed = time.perf_counter() - started
    if raw is None and report is not None:
        raw = report.as_dict()
    result = normalise(module, raw or {}, elapsed)
    result["load_average"] = load
    return result


def load_average() -> float | None:
    """The machine's 1-minute load average (runnable processes; > cores means the figures are pessimistic)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def call_setup(name: str, *, people: int, context: dict) -> dict | None:
    """Run the module's ``setup(people, **context)`` once (its data set-up), timed; None when it has none.

    Its return value reaches every timed run as ``context["setup"]``. It returns a dict; the keys
    ``reused`` (bool: the data was there already) and ``what`` (words) are shown in the report.
    """
    module = _import(name)
    setup = getattr(module, "setup", None)
    if not callable(setup):
        return None
    accepted = inspect.signature(setup).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        kwargs = dict(context)
    else:
        kwargs = {k: v for k, v in context.items() if k in accepted}
    started = time.perf_counter()
    state = setup(people, **kwargs) or {}
    state.setdefault("seconds", round(time.perf_counter() - started, 2))
    return state


class Report:
    """For modules written as ``run(size, report)``: ``report.figure(...)``, ``report.note(...)``."""

    def __init__(self):
        self.figures: list[dict] = []
        self.notes: list[str] = []

    def figure(self, name: str, value: float, unit: str = "", *, target: float | None = None,
               better: str = "lower", reference: str = "", reference_value: float | None = None) -> None:
        self.figures.append({"name": name, "value": value, "unit": unit, "target": target, "better": better,
                             "reference": reference, "reference_value": reference_value})

    def note(self, text: str) -> None:
        self.notes.append(text)

    def as_dict(self) -> dict:
        return {"figures": self.figures, "notes": "\n".join(self.notes)}


def normalise(module, raw: dict, elapsed: float) -> dict:
    if "figures" in raw:
        figures = [dict(f) for f in raw["figures"]]
        notes = str(raw.get("notes", "") or "")
    else:
        targets = getattr(module, "TARGETS", {})
        references = getattr(module, "REFERENCES", {})
        figures, extra = [], []
        for key, value in raw.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                if key not in ("notes", "title"):
                    extra.append(f"{key}: {value}")
                continue
            target = targets.get(key)
            figure = {"name": key, "value": value, "unit": target[2] if target and len(target) > 2 else "",
                      "target": target[0] if target else None, "better": target[1] if target else "lower"}
            ref_key = references.get(key)
            if ref_key and isinstance(raw.get(ref_key), int | float):
                figure["reference"], figure["reference_value"] = ref_key, raw[ref_key]
            figures.append(figure)
        notes = "\n".join(filter(None, [str(raw.get("notes", "") or ""), *extra]))
    for figure in figures:
        figure.setdefault("unit", "")
        figure.setdefault("target", None)
        figure.setdefault("better", "lower")
        figure.setdefault("reference", "")
        figure.setdefault("reference_value", None)
    return {"figures": figures, "notes": notes, "elapsed": round(elapsed, 3)}


def median_of(runs: list[dict]) -> dict:
    """Median of every figure over the runs (matched by name), with its min and max; notes of the last run."""
    by_name: dict[str, list[dict]] = {}
    for run in runs:
        for figure in run["figures"]:
            by_name.setdefault(figure["name"], []).append(figure)
    figures = []
    for name, series in by_name.items():
        merged = dict(series[-1])
        values = [f["value"] for f in series if isinstance(f["value"], int | float)]
        merged["value"] = statistics.median(values) if values else None
        merged["min"] = min(values) if values else None
        merged["max"] = max(values) if values else None
        refs = [f["reference_value"] for f in series if isinstance(f.get("reference_value"), int | float)]
        merged["reference_value"] = statistics.median(refs) if refs else None
        merged["runs"] = len(values)
        merged["name"] = name
        figures.append(merged)
    return {"figures": figures, "notes": runs[-1]["notes"] if runs else "",
            "elapsed": [r["elapsed"] for r in runs],
            "load_averages": [r.get("load_average") for r in runs]}


def run_in_process(name: str, *, people: int, repeat: int, context: dict) -> dict:
    """The module's set-up once (if it has ``setup``), then ``repeat`` timed runs; medians of the runs."""
    module = _import(name)
    setup_load = load_average()
    setup = call_setup(name, people=people, context=context)
    runs = []
    for index in range(repeat):
        runs.append(call_module(name, people=people, context={**context, "repeat_index": index,
                                                              **({"setup": setup} if setup is not None else {})}))
    result = median_of(runs)
    if setup is not None:
        result["setup"] = {k: v for k, v in setup.items() if isinstance(v, str | int | float | bool) or v is None}
        result["setup"]["load_average"] = setup_load
    result["title"] = getattr(module, "TITLE", name)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["figures"].append({"name": "peak memory (whole process)", "value": result["peak_rss_mb"], "unit": "MB",
                              "target": None, "better": "lower", "reference": "", "reference_value": None,
                              "runs": 1})
    return result


def run_in_subprocess(name: str, *, people: int, repeat: int, context: dict, database_url: str,
                      timeout: float = 7200) -> dict:
    command = [sys.executable, "-m", "bench", "--child", name, "--people", str(people), "--repeat", str(repeat),
               "--seed", str(context["seed"]), "--county", context["county"], "--database-url", database_url]
    env = {**os.environ, "DATABASE_URL": database_url, "BENCH_CONTEXT": json.dumps(context)}
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)  # noqa: S603
    sys.stderr.write(proc.stderr[-4000:] if proc.returncode else "")
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
        print(f"    {line}")
    return {"title": name, "error": f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}", "figures": []}


# --- machine and report ----------------------------------------------------------------------------------------

PG_SETTINGS = ("shared_buffers", "work_mem", "maintenance_work_mem", "max_wal_size", "jit")


def _pg_size(setting: str, unit: str | None) -> str:
    """``pg_settings`` gives sizes in units of 8 kB / kB / MB: shown in MB or GB."""
    factor = {"8kB": 8 * 1024, "kB": 1024, "MB": 1024 ** 2}.get(unit or "")
    if factor is None or not setting.isdigit():
        return setting
    size = int(setting) * factor
    return f"{size / 1024 ** 3:g} GB" if size >= 1024 ** 3 else f"{size / 1024 ** 2:g} MB"


def machine() -> dict:
    info = {"cores": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()}
    try:
        meminfo = Path("/proc/meminfo").read_text()
        kb = int(next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal")))
        info["memory_gb"] = round(kb / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        info["memory_gb"] = None
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                           if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    try:
        from django.db import connection

        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SHOW server_version")
                version = cursor.fetchone()[0]
                cursor.execute("SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s) ORDER BY name",
                               [list(PG_SETTINGS)])
                settings = ", ".join(f"{name} {_pg_size(setting, unit)}" for name, setting, unit in cursor.fetchall())
                info["database"] = f"PostgreSQL {version} ({settings})"
            else:
                info["database"] = f"{connection.vendor} {connection.Database.sqlite_version}"
    except Exception:  # noqa: BLE001 - best effort
        info["database"] = "?"
    return info


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 1000 else (f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}")
    else:
        text = f"{value:,}"
    return f"{text} {unit}".strip()


def ratio(figure: dict) -> tuple[str, str]:
    """(ratio to target, met?) — ratio = value / target."""
    value, target = figure.get("value"), figure.get("target")
    if not isinstance(value, int | float) or not isinstance(target, int | float):
        return "–", ""
    if target == 0:  # "none at all" (disagreements, failures): no ratio, but met or not
        met = value <= 0 if figure.get("better", "lower") == "lower" else value >= 0
        return "–", "✓" if met else "✗ missed"
    r = value / target
    met = r <= 1 if figure.get("better", "lower") == "lower" else r >= 1
    return f"{r:.2f}", "✓" if met else "✗ missed"


def _value_text(figure: dict) -> str:
    """The median, and the spread of the runs (min–max) when there were several that differ."""
    unit = figure.get("unit", "")
    text = _fmt(figure.get("value"), unit)
    low, high = figure.get("min"), figure.get("max")
    if (figure.get("runs") or 1) > 1 and isinstance(low, int | float) and isinstance(high, int | float) and low != high:
        text += f" ({_fmt(low)}–{_fmt(high)})"
    return text


def _conditions(entry: dict) -> list[str]:
    """Load average, data reused or generated, set-up: what a reader needs to judge the figures."""
    out = []
    loads = [x for x in entry.get("load_averages") or [] if x is not None]
    if entry.get("load_average") is not None or loads:
        text = f"- Machine load average (1 min) at the start: {entry.get('load_average', '?')}"
        if loads:
            text += " · at each timed run: " + ", ".join(f"{x:g}" for x in loads)
        cores = (entry.get("machine") or {}).get("cores")
        if cores and max([entry.get("load_average") or 0, *loads]) > cores:
            text += f" (above the {cores} cores: other work shared the machine, figures are pessimistic)"
        out.append(text)
    if entry.get("registry_data"):
        out.append(f"- Data: {entry['registry_data']}")
    setup = entry.get("setup")
    if setup:
        what = setup.get("what") or "module data"
        if setup.get("reused"):
            text = f"- Set-up (once, before the timed runs): {what} reused from an earlier run"
        else:
            text = f"- Set-up (once, before the timed runs): {what} generated in {_fmt(setup.get('seconds'), 's')}"
        if setup.get("load_average") is not None:
            text += f" (load average {setup['load_average']})"
        out.append(text)
    return out


def _targets_at_a_glance(results: dict) -> list[str]:
    """One table of every figure that has a target, across the modules, before the modules' own sections."""
    rows = []
    for name in sorted(results):
        entry = results[name]
        for figure in entry.get("figures", []) if not (entry.get("error") or entry.get("skipped")) else []:
            if figure.get("target") is None:
                continue
            r, met = ratio(figure)
            target = ("≤ " if figure.get("better") == "lower" else "≥ ") + _fmt(figure["target"], figure.get("unit", ""))
            rows.append(f"| {entry.get('title', name)} | {figure['name']} | {_value_text(figure)} | {target} | {r} {met} "
                        f"| {entry.get('people', 0):,} | {entry.get('at', '?')} |")
    if not rows:
        return []
    return ["## Targets at a glance", "",
            "| benchmark | figure | value | target | ratio | people | suite run started |", "|---|---|---|---|---|---|---|",
            *rows, ""]


def render(results: dict, *, header: str = "") -> str:
    lines = ["# Benchmarks", "",
             "Generated by `python -m bench` (`make bench`); do not edit by hand — see `bench/README.md`.",
             "Figures are medians of the runs shown, with the spread of the runs (min–max) in brackets when they",
             "differ; the ratio is figure ÷ target (≤ 1 meets a “lower is better”",
             "target, ≥ 1 a “higher is better” one); the reference is measured in the same run on the same machine.",
             ""]
    if header:
        lines += [header, ""]
    lines += _targets_at_a_glance(results)
    for name in sorted(results):
        entry = results[name]
        source = f"bench/{name}.py" if (Path(__file__).parent / f"{name}.py").exists() else entry.get("source", name)
        lines.append(f"## {entry.get('title', name)} (`{source}`)")
        lines.append("")
        m = entry.get("machine", {})
        lines.append(f"- Size: {entry.get('people', 0):,} people · runs: {entry.get('repeat', 1)} (median) · "
                     f"suite run started {entry.get('at', '?')}")
        lines.append(f"- Machine: {m.get('cores')} cores, {m.get('memory_gb')} GB, {m.get('cpu', '?')}; "
                     f"{m.get('database', '?')}; Python {m.get('python', '?')}")
        lines.append(f"- Command: `{entry.get('command', '')}`")
        lines += _conditions(entry)
        lines.append("")
        if entry.get("error"):
            lines += [f"**Failed:** {entry['error']}", ""]
            continue
        if entry.get("skipped"):
            lines += [f"Skipped: {entry['skipped']}", ""]
            continue
        lines.append("| figure | value | target | ratio to target | reference (same run) |")
        lines.append("|---|---|---|---|---|")
        for figure in entry.get("figures", []):
            r, met = ratio(figure)
            target = figure.get("target")
            target_text = "–" if target is None else (("≤ " if figure.get("better") == "lower" else "≥ ")
                                                      + _fmt(target, figure.get("unit", "")))
            reference = figure.get("reference") or ""
            if figure.get("reference_value") is not None:
                reference = f"{reference}: {_fmt(figure['reference_value'], figure.get('unit', ''))}"
            lines.append(f"| {figure['name']} | {_value_text(figure)} | {target_text} | {r} {met} | {reference} |")
        if entry.get("notes"):
            lines += ["", *[f"> {line}" if line else ">" for line in str(entry["notes"]).splitlines()]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def save(results: dict, *, results_file: Path = RESULTS_FILE, report_file: Path = REPORT_FILE,
         header: str = "") -> dict:
    """Merge into the stored results (one entry per module) and rewrite the report."""
    stored: dict = {}
    if results_file.exists():
        try:
            stored = json.loads(results_file.read_text())
        except ValueError:
            stored = {}
    stored.update(results)
    results_file.parent.mkdir(parents=True, exist_ok=True)
    results_file.write_text(json.dumps(stored, ensure_ascii=False, indent=1, default=str))
    report_file.parent.mkdir(parents=True, exist_ok=True)
    report_file.write_text(render(stored, header=header))
    return stored


def run_suite(*, people: int, seed: int, county: str = "371424", only: str = "", repeat: int = 3,
              in_process: bool = False, database_url: str = "", smoke: bool = False,
              results_file: Path = RESULTS_FILE, report_file: Path = REPORT_FILE,
              log: Callable[[str], None] = print, command: str = "") -> dict:
    """Set up the registry, run the modules, write the results; returns them by module name."""
    from django.db import connection

    registry = ensure_registry(people=people, seed=seed, county=county, log=log)
    info = machine()
    at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = command or " ".join(["python -m bench", *sys.argv[1:]])
    results: dict[str, dict] = {}
    if not registry.get("reused"):
        results["registry_load"] = {
            "title": "Synthetic registry: generation and bulk load", "source": "dajiuzhu/registry/synthetic.py",
            "people": people, "repeat": 1, "at": at, "load_average": registry.get("load_average"),
            "machine": info, "command": command,
            "figures": [
                {"name": "people loaded per second (generate + encrypt + write)", "value": registry["load_people_per_s"],
                 "unit": "people/s", "target": None, "better": "higher", "reference": "", "reference_value": None},
                {"name": "total load time", "value": registry["load_seconds"], "unit": "s", "target": None,
                 "better": "lower", "reference": "", "reference_value": None},
            ],
            "notes": (f"{registry['households']:,} households, {registry['people']:,} people, "
                      f"{registry['household_facts']:,} household observations (12 months), "
                      f"{registry['member_facts']:,} member observations; one audit event per batch; "
                      + ("COPY text; " if connection.vendor == "postgresql" else "batched INSERT; ")
                      + ("households drafted in a second process while this one encrypts and writes; "
                         if registry.get("parallel") else "")
                      + (f"indexes and constraints rebuilt after the load ({registry.get('index_seconds')} s of the "
                         "total)" if registry.get("deferred_indexes") else "into indexed tables")
                      + (f"; CPU: generator process {registry['generator_cpu_seconds']} s, writer process "
                         f"{registry['writer_cpu_seconds']} s" if registry.get("generator_cpu_seconds") else "")
                      + ". Loaded once and reused by later runs of the same size and seed."),
        }
    context = {"seed": seed, "county": county, "registry": {k: v for k, v in registry.items() if k != "planted"},
               "smoke": smoke}
    if registry.get("reused"):
        registry_note = (f"registry reused (loaded {registry.get('loaded_at', 'earlier')} in "
                         f"{registry.get('load_seconds', '?')} s)")
    else:
        registry_note = f"registry generated and loaded in this run ({registry.get('load_seconds', '?')} s)"
    for name in discover(only):
        module = _import(name)
        log(f"{name}: running ×{repeat} at {people:,} people …")
        started = time.perf_counter()
        entry: dict[str, Any] = {"title": getattr(module, "TITLE", name), "people": people, "repeat": repeat,
                                 "at": at, "machine": info, "command": command, "load_average": load_average(),
                                 "registry_data": registry_note}
        if getattr(module, "POSTGRES_ONLY", False) and connection.vendor != "postgresql":
            entry["skipped"] = "needs PostgreSQL"
        else:
            try:
                if in_process:
                    outcome = run_in_process(name, people=people, repeat=repeat, context=context)
                else:
                    outcome = run_in_subprocess(name, people=people, repeat=repeat, context=context,
                                                database_url=database_url)
            except Skip as exc:
                outcome = {"skipped": str(exc)}
            entry.update(outcome)
        log(f"{name}: {'skipped' if entry.get('skipped') else ('FAILED' if entry.get('error') else 'done')} "
            f"in {time.perf_counter() - started:.1f} s")
        results[name] = entry
        # Saved after every module, so an interrupted run keeps what it measured.
        save(results, results_file=results_file, report_file=report_file)
    save(results, results_file=results_file, report_file=report_file)
    return results
