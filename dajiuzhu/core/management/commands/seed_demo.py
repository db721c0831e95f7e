"""Build the demo county: regions, departments and demo accounts, the registry, then every app's demo data."""

from __future__ import annotations

import importlib
import random
import time
import traceback

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dajiuzhu.core import context
from dajiuzhu.core.demo import DemoContext

DEFAULT_PEOPLE = 20520
DEFAULT_SEED = 371424


def demo_modules() -> list[tuple[str, object]]:
    """(app label, module) of every installed Dajiuzhu app that has ``demo.seed``, in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("dajiuzhu."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        if callable(getattr(module, "seed", None)):
            found.append((config.label, module))
    return found


class Command(BaseCommand):
    help = "Build the demo county (临邑县): regions, demo accounts, a synthetic registry and every app's demo data."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE, help="people in the registry")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same county)")
        parser.add_argument("--county", default="371424", help="6-digit county code")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the registry has households")
        parser.add_argument("--strict", action="store_true", help="stop at the first app whose demo data fails")
        parser.add_argument("--demo-deployment", action="store_true",
                            help="allow it with DJANGO_ENV=production: this deployment is a public demonstration "
                                 "and will never hold real people's data (demo accounts share a known password)")

    def handle(self, *args, **options):
        from django.conf import settings

        if settings.PRODUCTION and not options["demo_deployment"]:
            raise CommandError("seed_demo refuses to run in production (DJANGO_ENV=production): it creates demo "
                               "accounts with a published password and a synthetic registry. On a deployment that is "
                               "only a public demonstration, run it with --demo-deployment.")
        from dajiuzhu.accounts.demo import ensure_demo_accounts
        from dajiuzhu.regions.loaders import load_default
        from dajiuzhu.registry.models import Household

        existing = Household.objects.count()
        if existing and options["if_empty"]:
            self.stdout.write(f"seed_demo: the registry already has {existing:,} households; nothing to do.")
            return
        if existing:
            raise CommandError(f"the registry already has {existing:,} households; seed_demo builds the demo county "
                               "in an empty database (use --if-empty, or a fresh database).")
        started = time.perf_counter()

        def log(message: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - started:6.1f} s] {message}")
            self.stdout.flush()

        with context.source("command"):
            counts = load_default()
            log(f"regions: {counts['total']:,} divisions ({counts['created']:,} new)")
            users = ensure_demo_accounts()
            log(f"departments and {len(users)} demo accounts")
            ctx = DemoContext(rng=random.Random(options["seed"]), county_code=options["county"],
                              today=timezone.localdate(), people=options["people"], log=log)
            ctx.shared["seed"] = options["seed"]
            failures = []
            for label, module in demo_modules():
                step = time.perf_counter()
                log(f"{label}: seeding …")
                try:
                    module.seed(ctx)
                except Exception as exc:  # noqa: BLE001 - one app's demo data must not hide the others'
                    if options["strict"] or label == "registry":
                        raise
                    failures.append(label)
                    self.stderr.write(f"seed_demo: {label} failed: {exc}\n{traceback.format_exc(limit=3)}")
                    continue
                log(f"{label}: done in {time.perf_counter() - step:.1f} s")
        planted = ", ".join(f"{kind}={len(ids)}" for kind, ids in sorted(ctx.planted.items()))
        log(f"demo county ready ({options['people']:,} people, seed {options['seed']}); planted: {planted}")
        if failures:
            self.stderr.write(f"seed_demo: demo data failed for: {', '.join(failures)}")
