"""Jobs of the alerts app: the warning scan per county (or township on demand), and escalation."""

from __future__ import annotations

import datetime as dt

from dajiuzhu.core.jobs import job_enqueue, job_handler
from dajiuzhu.indices.jobs import fan_out_prefixes

from .scan import alerts_scan
from .services import alerts_escalate

SCAN = "alerts.scan"
ESCALATE = "alerts.escalate"


@job_handler(SCAN)
def scan_job(job, *, on: str, region_prefix: str = "") -> dict:
    return alerts_scan(on=dt.date.fromisoformat(on), region_prefix=region_prefix)


@job_handler(ESCALATE)
def escalate_job(job, *, on: str, region_prefix: str = "") -> dict:
    return alerts_escalate(today=dt.date.fromisoformat(on), region_prefix=region_prefix)


def scan_fan_out(*, on: dt.date, region_prefix: str = "", actor=None, backend: str | None = None):
    return [job_enqueue(kind=SCAN, actor=actor, params={"on": on.isoformat(), "region_prefix": prefix},
                        region_code=prefix, backend=backend) for prefix in fan_out_prefixes(region_prefix)]


def escalate_fan_out(*, on: dt.date, region_prefix: str = "", actor=None, backend: str | None = None):
    return [job_enqueue(kind=ESCALATE, actor=actor, params={"on": on.isoformat(), "region_prefix": prefix},
                        region_code=prefix, backend=backend) for prefix in fan_out_prefixes(region_prefix)]
