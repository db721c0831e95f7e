"""Foreign keys checked set-based (``core.fkchecks``): the work PostgreSQL's per-row triggers would do."""

import pytest
from django.db import IntegrityError, connection, connections, transaction

from dajiuzhu.core import fkchecks
from dajiuzhu.core.testing import LINYI_VILLAGE, make_household

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's triggers")


def _role(cursor) -> str:
    cursor.execute("SHOW session_replication_role")
    return cursor.fetchone()[0]


def _require_allowed():
    if not fkchecks.allowed(["registry_membership"]):
        pytest.skip("this database role may not set session_replication_role")


@postgres_only
def test_a_row_written_without_triggers_is_not_checked_until_check_references():
    _require_allowed()
    household = make_household(LINYI_VILLAGE)
    missing = household.pk + 10_000
    with transaction.atomic(), connection.cursor() as cursor:
        with fkchecks.triggers_off(cursor):
            assert _role(cursor) == "replica"
            cursor.execute("UPDATE registry_membership SET household_id = %s WHERE household_id = %s",
                           [missing, household.pk])
        assert _role(cursor) == "origin"
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no trigger was queued: nothing to fire
        with pytest.raises(IntegrityError, match=f"test rows: registry_household id {missing} does not exist"):
            fkchecks.check_references(cursor, "registry_household", {household.pk, missing}, what="test rows")
        transaction.set_rollback(True)


@postgres_only
def test_parents_that_exist_pass_and_created_ones_are_only_counted():
    first, second = make_household(LINYI_VILLAGE), make_household(LINYI_VILLAGE)
    with transaction.atomic(), connection.cursor() as cursor:
        fkchecks.check_references(cursor, "registry_household", [first.pk, second.pk, None], created=[second.pk])
        fkchecks.check_references(cursor, "registry_household", [])  # nothing to check: no statement fails
        missing = second.pk + 10_000
        with pytest.raises(IntegrityError, match=str(missing)), transaction.atomic():
            fkchecks.check_references(cursor, "registry_household", [first.pk, missing], created=[missing])


@postgres_only
def test_a_failed_statement_inside_surfaces_its_own_error_not_the_reset():
    _require_allowed()
    household = make_household(LINYI_VILLAGE)
    with transaction.atomic(), connection.cursor() as cursor:
        with pytest.raises(IntegrityError, match="duplicate key"), transaction.atomic():
            with fkchecks.triggers_off(cursor):
                cursor.execute("INSERT INTO registry_household (id, number, region_code, hukou_region_code, address, "
                               "is_urban, created_at, updated_at) SELECT id, number, region_code, hukou_region_code, "
                               "address, is_urban, created_at, updated_at FROM registry_household WHERE id = %s",
                               [household.pk])
        assert _role(cursor) == "origin"  # the savepoint's rollback undid the SET LOCAL
        cursor.execute("SELECT count(*) FROM registry_household WHERE id = %s", [household.pk])
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@postgres_only
def test_checked_parents_are_locked_against_a_delete_until_commit():
    household = make_household(LINYI_VILLAGE)
    other = connections.create_connection("default")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            fkchecks.check_references(cursor, "registry_household", {household.pk})
            with other.cursor() as theirs:
                theirs.execute("SET lock_timeout = '300ms'")
                with pytest.raises(Exception, match="lock timeout"):
                    theirs.execute("DELETE FROM registry_household WHERE id = %s", [household.pk])
    finally:
        other.close()


def test_off_when_disabled_and_on_sqlite(monkeypatch):
    monkeypatch.setattr(fkchecks, "ENABLED", False)
    assert fkchecks.allowed(["registry_household"]) is False
    monkeypatch.setattr(fkchecks, "ENABLED", True)
    if connection.vendor == "sqlite":
        assert fkchecks.allowed(["registry_household"]) is False
