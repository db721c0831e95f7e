"""Run the time-limit scan now (all counties, or one region prefix)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from dajiuzhu.core import context
from dajiuzhu.supervision.timelimits import overdue_scan


class Command(BaseCommand):
    help = "Record overdue steps (idempotent) and close those that ended."

    def add_arguments(self, parser):
        parser.add_argument("--region", default="", help="region code prefix (default: everything)")
        parser.add_argument("--on", default="", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        on = dt.date.fromisoformat(options["on"]) if options["on"] else timezone.localdate()
        with context.source("command"):
            result = overdue_scan(region_prefix=options["region"], on=on)
        self.stdout.write(f"supervision_scan: {result}")
