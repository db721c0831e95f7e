"""``python -m bench --people N [--only NAME] [--repeat K]``: run the benchmark suite (bench/README.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from bench import common


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000, help="people in the synthetic registry")
    parser.add_argument("--seed", type=int, default=371424)
    parser.add_argument("--county", default="371424", help="6-digit county code of the synthetic registry")
    parser.add_argument("--only", default="", help="comma-separated module names (bench/<name>.py)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per module; figures are medians")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", common.DEFAULT_DATABASE_URL))
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the benchmark database first")
    parser.add_argument("--in-process", action="store_true", help="run modules in this process (no peak memory)")
    parser.add_argument("--list", action="store_true", help="list the benchmark modules and exit")
    parser.add_argument("--results", default=str(common.RESULTS_FILE),
                        help="JSON file the results are merged into (the report is rendered from it)")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def child(args: argparse.Namespace) -> None:
    """Run one module in this (fresh) process and print its result as one JSON line."""
    common.setup_django(args.database_url)
    context = json.loads(os.environ.get("BENCH_CONTEXT", "{}"))
    try:
        result = common.run_in_process(args.child, people=args.people, repeat=args.repeat, context=context)
    except common.Skip as exc:
        result = {"skipped": str(exc)}
    print(common.RESULT_MARK + json.dumps(result, ensure_ascii=False, default=str), flush=True)


def _holds_other_registry(people: int, seed: int, county: str) -> bool:
    from dajiuzhu.core.models import Job
    from dajiuzhu.registry.models import Household

    if not Household.objects.exists():
        return False
    marker = Job.objects.filter(kind="bench.registry", status=Job.Status.DONE).order_by("-created_at").first()
    return marker is None or marker.params != {"people": people, "seed": seed, "county": county}


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.child:
        child(args)
        return 0
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", flush=True)

    url = args.database_url
    name = url.rsplit("/", 1)[-1]
    if args.fresh:
        common.drop_database(url)
    common.ensure_database(url)
    common.setup_django(url)
    if args.list:
        print("\n".join(common.discover()))
        return 0
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    if _holds_other_registry(args.people, args.seed, args.county):
        if not name.startswith("dajiuzhu_bench"):
            raise SystemExit(f"{name} holds another registry; use --fresh or a database named dajiuzhu_bench*")
        log(f"{name} holds a registry of another size or seed: recreating it")
        connections.close_all()
        common.drop_database(url)
        common.ensure_database(url)
        call_command("migrate", verbosity=0)
    log(f"database {name} ready; machine: {common.machine()}")
    results_file = Path(args.results)
    report_file = common.report_file_for(results_file)
    results = common.run_suite(people=args.people, seed=args.seed, county=args.county, only=args.only,
                               repeat=args.repeat, in_process=args.in_process, database_url=url, log=log,
                               results_file=results_file, report_file=report_file)
    failed = [n for n, r in results.items() if r.get("error")]
    log(f"wrote {report_file} ({len(results)} benchmarks"
        + (f", failed: {', '.join(failed)}" if failed else "") + ")")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
