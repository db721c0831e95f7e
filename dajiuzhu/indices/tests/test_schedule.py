"""The Celery beat fragment names tasks that exist."""

from dajiuzhu.indices.schedule import CELERY_BEAT_SCHEDULE


def test_beat_entries_name_registered_tasks():
    from config.celery import app

    app.loader.import_default_modules()
    import dajiuzhu.alerts.tasks  # noqa: F401
    import dajiuzhu.indices.tasks  # noqa: F401

    for entry in CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
