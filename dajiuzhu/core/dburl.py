"""The ``DATABASE_URL`` of the default connection, for a process this one starts (a Celery worker, gunicorn,
a restore into another database): the settings parse such a URL (``dj_database_url``); this writes one."""

from __future__ import annotations

from urllib.parse import quote


def database_url(*, name: str | None = None) -> str:
    """The default connection's database as a URL; ``name``: another database on the same server."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor != "postgresql":
        return f"sqlite:///{name or s['NAME']}"
    auth = quote(s["USER"] or "postgres", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name or s['NAME']}"
