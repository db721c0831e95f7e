"""Whether an app built beside this one (programs, cases, checks) is ready to be asked.

Those apps may be installed before their tables exist (while they are being built, or in a
database migrated before they landed); asking them then would fail — and on PostgreSQL abort
the transaction. ``model_ready`` checks that the model exists and its table is there.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection

_ready: set[str] = set()


def model_ready(label: str) -> bool:
    """``label`` is "app_label.ModelName"; True once its table exists (cached once true)."""
    if label in _ready:
        return True
    try:
        model = apps.get_model(label)
    except LookupError:
        return False
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    if model._meta.db_table in tables:
        _ready.add(label)
        return True
    return False
