"""``manage.py run_indices [--date D] [--region PREFIX]``: both indices and the roster, one job per county."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from dajiuzhu.core import context
from dajiuzhu.indices.jobs import indices_fan_out


class Command(BaseCommand):
    help = "Compute the hardship and development indices and the low-income roster for a reference date."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="reference date (today)")
        parser.add_argument("--region", default="", help="region code prefix (all counties by default)")

    def handle(self, *args, date=None, region="", **options):
        on = date or timezone.localdate()
        with context.source("command"):
            jobs = indices_fan_out(on=on, region_prefix=region, backend="inline")
        for job in jobs:
            job.refresh_from_db()
            self.stdout.write(f"{job.region_code} {job.status} {job.result or job.message}")
