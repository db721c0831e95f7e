"""Background work of the credit record: the daily expiry run (``credit.expire``)."""

from __future__ import annotations

import datetime as dt

from dajiuzhu.core.jobs import job_handler

from .services import dishonesty_records_expire


@job_handler("credit.expire")
def expire_records(job, on: str | None = None) -> dict:
    count = dishonesty_records_expire(actor=job.created_by, on=dt.date.fromisoformat(on) if on else None)
    return {"expired": count}
