"""New rows written without PostgreSQL's per-row foreign-key triggers, checked set-based by the import.

The bulk path (``registry.importing.checks_in_bulk_allowed``) must leave exactly the rows the
trigger-checked path leaves, refuse a dangling reference, and stay off where it cannot be used.
"""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dajiuzhu.core import fkchecks
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_VILLAGE,
    LINYI_VILLAGE_2,
    make_household,
    make_user,
    run_rolled_back,
)
from dajiuzhu.registry import importing
from dajiuzhu.registry.importing import registry_import
from dajiuzhu.registry.models import Household, HouseholdFacts, MemberFacts, Membership, Person

from .test_import_pipeline import HEADER, an_id, write_csv

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's triggers")


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    with translation.override("en"):
        yield


def _snapshot() -> dict:
    """Every row the import writes, by natural keys (numbers, blind indexes), without ids and timestamps."""

    def natural(value):
        if isinstance(value, Household):
            return value.number
        if isinstance(value, Person):
            return value.id_hash
        return getattr(value, "pk", value)

    out = {}
    for model in (Household, Person, Membership, MemberFacts, HouseholdFacts):
        rows = []
        for obj in model.objects.all():
            rows.append(tuple((f.name, natural(getattr(obj, f.name))) for f in model._meta.concrete_fields
                              if f.name not in ("id", "created_at", "updated_at", "recorded_at")))
        out[model.__name__] = sorted(rows, key=repr)
    return out


def _import_and_roll_back(monkeypatch, path, actor, *, bulk: bool):
    monkeypatch.setattr(fkchecks, "ENABLED", bulk)
    (result, snapshot), sql = run_rolled_back(
        lambda: (registry_import(actor=actor, path=path, batch_rows=4), _snapshot()))
    return result, snapshot, any("session_replication_role = replica" in q for q in sql)


@postgres_only
def test_the_bulk_path_writes_exactly_the_rows_of_the_trigger_checked_path(tmp_path, monkeypatch):
    if not importing.checks_in_bulk_allowed():
        pytest.skip("this database role may not set session_replication_role")
    admin = make_user("county_admin", LINYI_COUNTY)
    household = make_household(LINYI_VILLAGE)  # a registry household: updated, gains a member
    head, spouse = household.head, household.members.exclude(pk=household.head_id).get()
    header = HEADER + ["联系电话", "健康状况", "残疾类别", "残疾等级", "月工资性收入", "存款", "地址", "信息日期"]
    as_of = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    rows = [
        ["9", head.name, head.id_number, "户主", LINYI_VILLAGE, "13700000000", "", "", "", "300", "", "新地址1号", ""],
        ["9", spouse.name, spouse.id_number, "配偶", LINYI_VILLAGE, "", "慢性病", "", "", "", "", "", ""],
        ["9", "张小宝", an_id(10), "子女", LINYI_VILLAGE, "", "", "", "", "", "", "", ""],
        ["1", "王大山", an_id(60), "户主", LINYI_VILLAGE, "13900000001", "重病", "肢体", "2", "1200.50", "5,000元",
         "张法古村3号", as_of],
        ["1", "刘桂兰", an_id(58, "F"), "配偶", LINYI_VILLAGE, "", "健康", "", "", "", "", "", ""],
        ["1", "王小军", an_id(30), "子女", LINYI_VILLAGE, "13900000002", "", "", "", "", "", "", ""],
        ["2", "赵一", an_id(40), "户主", LINYI_VILLAGE_2, "", "", "", "", "", "", "", ""],
        ["2", "钱二", an_id(38, "F"), "配偶", LINYI_VILLAGE_2, "", "", "", "", "800", "", "", ""],
        ["3", "孙三", "370000000000000000", "户主", LINYI_VILLAGE_2, "", "", "", "", "", "", "", ""],  # rejected
        ["4", "李四", an_id(70), "户主", LINYI_VILLAGE_2, "", "", "", "", "", "", "", ""],
    ]
    path = write_csv(tmp_path, rows, header=header)

    bulk, bulk_rows, bulk_replica = _import_and_roll_back(monkeypatch, path, admin, bulk=True)
    checked, checked_rows, checked_replica = _import_and_roll_back(monkeypatch, path, admin, bulk=False)

    assert bulk_replica and not checked_replica  # each path was taken
    assert bulk.counts == checked.counts
    assert (bulk.counts.households_created, bulk.counts.households_updated, bulk.counts.rows_rejected) == (3, 1, 1)
    assert bulk_rows == checked_rows
    assert len(bulk_rows["Person"]) == 2 + 7 and len(bulk_rows["Membership"]) == 2 + 7
    facts = [dict(row) for row in bulk_rows["HouseholdFacts"] if dict(row)["as_of"].isoformat() == as_of]
    assert [(f["monthly_wages"], f["deposits"], f["vehicles"], f["safe_water"]) for f in facts] == [
        (Decimal("1200.50"), Decimal("5000.00"), 0, True)]  # amounts copied as text, counts and flags typed


@postgres_only
def test_a_dangling_reference_fails_the_batch(tmp_path):
    missing = (Household.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    merge = SimpleNamespace(referenced={"registry_household": {missing}})
    with transaction.atomic(), connection.cursor() as cursor, pytest.raises(IntegrityError, match=str(missing)):
        importing._BatchMerge._check_references(merge, cursor, created={})


@postgres_only
def test_referred_parents_that_exist_pass_and_are_locked(tmp_path):
    household = make_household(LINYI_VILLAGE)
    merge = SimpleNamespace(referenced={"registry_household": {household.pk}, "registry_person": {household.head_id}})
    with transaction.atomic(), connection.cursor() as cursor:
        importing._BatchMerge._check_references(merge, cursor, created={})
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND pid = pg_backend_pid() "
                       "AND relation = 'registry_household'::regclass AND mode = 'RowShareLock'")
        assert cursor.fetchone()[0] == 1  # FOR KEY SHARE took its row lock on the parent table


@postgres_only
def test_a_trigger_of_its_own_on_a_written_table_keeps_the_row_checks(tmp_path):
    if not importing.checks_in_bulk_allowed():
        pytest.skip("this database role may not set session_replication_role")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE FUNCTION test_import_noop() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN RETURN NEW; END $$")
        cursor.execute("CREATE TRIGGER test_import_noop BEFORE INSERT ON registry_membership "
                       "FOR EACH ROW EXECUTE FUNCTION test_import_noop()")
        assert importing.checks_in_bulk_allowed() is False  # the replica role would skip that trigger too
        transaction.set_rollback(True)
    assert importing.checks_in_bulk_allowed() is True


def test_the_bulk_path_is_off_when_disabled_and_on_sqlite(monkeypatch):
    monkeypatch.setattr(fkchecks, "ENABLED", False)
    assert importing.checks_in_bulk_allowed() is False
    monkeypatch.setattr(fkchecks, "ENABLED", True)
    if connection.vendor == "sqlite":
        assert importing.checks_in_bulk_allowed() is False


@hypothesis_settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab1-=+@<:\t\r\n \u3000中\x1f")), max_size=8), max_size=8))
def test_the_batch_precheck_for_formulas_and_markup_is_the_regex(cells):
    text = "\x1f" + "\x1f".join(cells)
    assert importing._suspect(text) is (importing._SUSPECT.search(text) is not None)
