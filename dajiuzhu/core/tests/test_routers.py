"""The read-replica router: dashboards read from the replica when one is configured, nothing else moves."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.test import override_settings

from config.routers import ReplicaRouter, reporting_alias
from dajiuzhu.registry.models import Household


def _with_replica():
    return override_settings(DATABASES={**settings.DATABASES, "replica": {**settings.DATABASES["default"]}})


def test_without_a_replica_everything_uses_the_primary():
    router = ReplicaRouter()
    dashboard_model = next(iter(apps.get_app_config("dashboards").get_models()))
    assert "replica" not in settings.DATABASES
    assert router.db_for_read(dashboard_model) is None and reporting_alias() == "default"


def test_with_a_replica_dashboards_read_there_and_writes_and_migrations_stay_on_the_primary():
    router = ReplicaRouter()
    dashboard_model = next(iter(apps.get_app_config("dashboards").get_models()))
    with _with_replica():
        assert router.db_for_read(dashboard_model) == "replica"
        assert reporting_alias() == "replica"
        assert router.db_for_read(Household) is None  # registry reads stay on the primary
        assert router.db_for_write(dashboard_model) == "default"
        assert router.allow_migrate("replica", "dashboards") is False
        assert router.allow_migrate("default", "dashboards") is True
