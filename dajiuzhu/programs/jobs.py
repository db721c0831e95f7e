"""Background job "programs.screen": screen every household of a region against the catalogue."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core import regioncodes
from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.jobs import job_enqueue, job_handler, job_progress
from dajiuzhu.core.models import Job
from dajiuzhu.core.scoping import region_in_scope

KIND = "programs.screen"


def may_screen(actor, region_prefix: str) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    if not (actor.has_perm_code("programs.edit") or actor.has_perm_code("cases.handle")):
        return False
    return region_in_scope(actor, regioncodes.pad(region_prefix), perm="programs.view_results")


@transaction.atomic
def screening_start(*, actor, region_prefix: str, on: dt.date | None = None) -> Job:
    """Queue a screening of ``region_prefix`` (a code prefix inside the actor's jurisdiction)."""
    region_prefix = (region_prefix or "").strip()
    if not region_prefix.isdigit() or len(region_prefix) not in regioncodes.PREFIX_LENGTHS.values():
        raise DomainError(_("give a region code prefix of 2, 4, 6, 9 or 12 digits"), field="region_prefix")
    if not may_screen(actor, region_prefix):
        raise Forbidden(_("you may not screen this region"))
    on = on or timezone.localdate()
    return job_enqueue(kind=KIND, actor=actor, params={"region_prefix": region_prefix, "on": on.isoformat()},
                       region_code=regioncodes.pad(region_prefix))


@job_handler(KIND)
def run_screening(job: Job, *, region_prefix: str, on: str | None = None) -> dict:
    from .screening import screen_region

    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    job_progress(job, message="screening")
    run = screen_region(actor=job.created_by, region_prefix=region_prefix, on=day, job_id=job.pk)
    job_progress(job, done=run.households, total=run.households)
    return {"run": run.pk, "households": run.households, "hits": run.hits, "seconds": round(run.seconds, 3),
            "on": day.isoformat()}
