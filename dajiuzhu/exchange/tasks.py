"""Celery entry points of the exchange (beat and delayed retries)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="dajiuzhu.exchange.tasks.callbacks_due")
def callbacks_due() -> int:
    from .callbacks import callbacks_retry_due

    return callbacks_retry_due()


@shared_task(name="dajiuzhu.exchange.tasks.retry_callback")
def retry_callback(callback_id: int) -> str:
    from .callbacks import callback_attempt

    return callback_attempt(callback_id=callback_id)


@shared_task(name="dajiuzhu.exchange.tasks.collect_events")
def collect_events() -> int:
    from .pushes import pushes_match_pending
    from .receivers import roster_events_collect

    return roster_events_collect() + pushes_match_pending()
