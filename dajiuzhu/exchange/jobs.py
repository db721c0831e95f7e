"""Background work of the exchange (``core.jobs``): async searches, callbacks, event fan-out, and the
early-warning scan of one household's village after a pushed event."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dajiuzhu.alerts.scan import alerts_scan
from dajiuzhu.core.jobs import job_handler
from dajiuzhu.registry.models import Household

from .auth import actor_of
from .callbacks import JOB as CALLBACK_JOB
from .callbacks import callback_attempt, callback_create
from .events import PUBLISH_JOB, event_fan_out
from .models import Transaction
from .pushes import SCAN_JOB
from .search import search_run

SEARCH_JOB = "exchange.search"


@job_handler(SEARCH_JOB)
def search_job(job, *, transaction_id: int) -> dict:
    txn = Transaction.objects.select_related("client").get(pk=transaction_id)
    message = search_run(client=txn.client, actor=actor_of(txn.client), txn=txn)
    with transaction.atomic():
        callback_create(client=txn.client, action="on-search", url=txn.sender_uri, message=message,
                        status=txn.status, total_count=len(message["search_response"]))
    return {"status": txn.status}


@job_handler(CALLBACK_JOB)
def callback_job(job, *, callback_id: int) -> dict:
    return {"status": callback_attempt(callback_id=callback_id)}


@job_handler(PUBLISH_JOB)
def publish_job(job, **params) -> dict:
    return {"notified": event_fan_out(**params)}


@job_handler(SCAN_JOB)
def scan_household_job(job, *, household_id: int, on: str) -> dict:
    """The warning scan for the household's village (the smallest region the scan takes): its alert
    appears now instead of at the nightly scan."""
    region = Household.objects.filter(pk=household_id).values_list("region_code", flat=True).first()
    if region is None:
        return {"households": 0}
    return alerts_scan(on=dt.date.fromisoformat(on), region_prefix=region)
