"""``manage.py screen --region 371424 [--on 2026-12-01]``: screen a region against the catalogue now."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from dajiuzhu.core import context


class Command(BaseCommand):
    help = "Screen every household of a region against every active item of the catalogue and store the results."

    def add_arguments(self, parser):
        parser.add_argument("--region", default="371424", help="region code prefix (e.g. 371424 or 371424100)")
        parser.add_argument("--on", default="", help="date (YYYY-MM-DD), default today")

    def handle(self, *args, region: str, on: str, **options):
        from dajiuzhu.programs.screening import screen_region

        day = dt.date.fromisoformat(on) if on else timezone.localdate()
        with context.source("command"):
            run = screen_region(actor=None, region_prefix=region, on=day)
        self.stdout.write(f"screened {run.households} households of {region} on {day}: {run.hits} eligible "
                          f"(household, item) pairs in {run.seconds:.2f} s")
