"""Jobs of the supervision app: the nightly time-limit scan (per county, idempotent)."""

from __future__ import annotations

import datetime as dt

from dajiuzhu.core.jobs import job_enqueue, job_handler

from .timelimits import overdue_scan

SCAN = "supervision.overdue_scan"


@job_handler(SCAN)
def scan_job(job, *, on: str, region_prefix: str = "") -> dict:
    return overdue_scan(region_prefix=region_prefix, on=dt.date.fromisoformat(on))


def scan_counties(*, on: dt.date, actor=None, backend: str | None = None):
    """One scan job per county that has time limits."""
    from .models import StepLimit

    counties = sorted(set(StepLimit.objects.values_list("county_code", flat=True)))
    return [job_enqueue(kind=SCAN, actor=actor, params={"on": on.isoformat(), "region_prefix": county},
                        region_code=county, backend=backend) for county in counties]
