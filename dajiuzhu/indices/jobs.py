"""Jobs of the indices app: both indices and the roster for one region prefix and date.

``indices_fan_out`` enqueues one job per county (6-digit prefix) that has households — per township
with ``DAJIUZHU_FAN_OUT_LEVEL=township`` — or one job for the prefix given (a township on demand).
Each job reads the facts once and writes the scores and the roster changes in one transaction each.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection

from dajiuzhu.core.jobs import job_enqueue, job_handler, job_progress
from dajiuzhu.registry.facts import household_frame

from .roster import roster_compute
from .services import index_scores_compute

KIND = "indices.compute"


@job_handler(KIND)
def compute_job(job, *, on: str, region_prefix: str = "") -> dict:
    day = dt.date.fromisoformat(on)
    frame = household_frame(on=day, region_prefix=region_prefix)
    job_progress(job, total=len(frame), message="scoring")
    scores = index_scores_compute(on=day, region_prefix=region_prefix, frame=frame)
    job_progress(job, done=len(frame), message="roster")
    roster = roster_compute(on=day, region_prefix=region_prefix, frame=frame)
    return {"scores": scores, "roster": {tier: counts for tier, counts in roster.items()}}


def region_prefixes(length: int, region_prefix: str = "") -> list[str]:
    """The regions (prefixes of ``length`` digits: 6 a county, 9 a township) that have households under
    ``region_prefix``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT SUBSTR(region_code, 1, %s) FROM registry_household WHERE region_code LIKE %s",
                       [length, region_prefix[:length] + "%"])
        return sorted(row[0] for row in cursor.fetchall())


def fan_out_prefixes(region_prefix: str = "", *, level: str | None = None) -> list[str]:
    """One prefix per county (or per township, ``settings.FAN_OUT_LEVEL``), or the prefix itself when it is
    that level or narrower. Township jobs of one county run at once (``indices.bulk.lock_region``)."""
    length = 9 if (level or settings.FAN_OUT_LEVEL) == "township" else 6
    if len(region_prefix) >= length:
        return [region_prefix]
    return region_prefixes(length, region_prefix)


def indices_fan_out(*, on: dt.date, region_prefix: str = "", actor=None, backend: str | None = None):
    return [job_enqueue(kind=KIND, actor=actor, params={"on": on.isoformat(), "region_prefix": prefix},
                        region_code=prefix, backend=backend) for prefix in fan_out_prefixes(region_prefix)]
