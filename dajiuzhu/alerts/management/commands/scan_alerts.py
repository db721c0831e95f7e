"""``manage.py scan_alerts [--date D] [--region PREFIX] [--escalate]``: the warning scan, one job per county."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from dajiuzhu.alerts.jobs import escalate_fan_out, scan_fan_out
from dajiuzhu.core import context


class Command(BaseCommand):
    help = "Scan households for early-warning signals (返贫预警) and raise alerts; optionally escalate overdue ones."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="scan date (today)")
        parser.add_argument("--region", default="", help="region code prefix (all counties by default)")
        parser.add_argument("--escalate", action="store_true", help="also escalate overdue alerts")

    def handle(self, *args, date=None, region="", escalate=False, **options):
        on = date or timezone.localdate()
        with context.source("command"):
            jobs = scan_fan_out(on=on, region_prefix=region, backend="inline")
            if escalate:
                jobs += escalate_fan_out(on=on, region_prefix=region, backend="inline")
        for job in jobs:
            job.refresh_from_db()
            self.stdout.write(f"{job.kind} {job.region_code} {job.status} {job.result or job.message}")
