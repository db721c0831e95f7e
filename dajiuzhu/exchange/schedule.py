"""Celery beat entries of the exchange (gathered by settings.CELERY_BEAT_SCHEDULE)."""

CELERY_BEAT_SCHEDULE = {
    # Callbacks whose back-off has passed are attempted again.
    "exchange-callbacks-due": {"task": "dajiuzhu.exchange.tasks.callbacks_due", "schedule": 30.0},
    # Roster changes become notify pushes; kept-aside department events meet newly registered people.
    "exchange-collect-events": {"task": "dajiuzhu.exchange.tasks.collect_events", "schedule": 60.0},
}
