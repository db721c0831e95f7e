"""Background entry points of the cases app (``core.jobs`` handlers): thin, they call services."""

from __future__ import annotations

import datetime as dt

from dajiuzhu.core.jobs import job_handler


@job_handler("cases.verify")
def verify_case(job, *, case_id: int) -> dict:
    """Run the registered verifiers after a trust-first decision (否定式审查: review after)."""
    from django.db import transaction

    from .models import Case
    from .services import _event, run_verifiers

    case = Case.objects.get(pk=case_id)
    actor = job.created_by
    results = run_verifiers(case, actor)
    with transaction.atomic():
        _event(case, "verify", actor, data={"verification": results})
    return {"case": case_id, "results": len(results)}


@job_handler("cases.overlap_check")
def overlap_check(job, *, region_prefix: str = "", on: str | None = None) -> dict:
    """The county-wide duplicate / overlap / missed check (重复、交叉、遗漏)."""
    from .overlap import overlap_check_run

    day = dt.date.fromisoformat(on) if on else None
    return overlap_check_run(job=job, actor=job.created_by, region_prefix=region_prefix, on=day)
