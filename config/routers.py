"""Database routing: dashboards and reports read from a replica when one is configured.

Set ``DATABASE_REPLICA_URL`` (a streaming replica of the primary) and the ORM reads of the apps
in ``DAJIUZHU_REPLICA_APPS`` (default: ``dashboards``) go to the ``replica`` alias; every write,
every migration and every other read stays on ``default``. Raw SQL that should use the replica
asks ``reporting_alias()`` for the connection alias. Without a replica everything is ``default``,
so the embedded set-up is unchanged.
"""

from __future__ import annotations

from django.conf import settings

REPLICA = "replica"


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def reporting_alias() -> str:
    """The alias for read-only reporting queries: the replica if configured, else the primary."""
    return REPLICA if replica_configured() else "default"


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if replica_configured() and model._meta.app_label in settings.REPLICA_APPS:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data (the replica follows the primary).
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
