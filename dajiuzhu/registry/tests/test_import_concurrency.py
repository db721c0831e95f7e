"""Two imports adding households to the same village at the same moment: numbering never collides
(PostgreSQL: real concurrent transactions on two connections)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import translation

from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_VILLAGE, LINYI_VILLAGE_2, make_household, make_user
from dajiuzhu.registry.importing import registry_import
from dajiuzhu.registry.models import Household, Person
from dajiuzhu.registry.numbering import reserve_household_numbers

from .test_import_pipeline import family, write_csv

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (two connections, advisory locks)")
    settings.VAR_DIR = tmp_path / "var"


def _run(target, *args, errors: list, **kwargs):
    def body():
        try:
            with translation.override("en"):
                target(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=body)


def test_an_import_waits_for_a_transaction_numbering_the_same_village_and_continues_after_it(tmp_path):
    admin = make_user("county_admin", LINYI_COUNTY)
    make_household(LINYI_VILLAGE)  # 00001
    path = write_csv(tmp_path, family("1") + family("2"))
    reserved, release, errors = threading.Event(), threading.Event(), []

    def holder():
        with transaction.atomic(), connection.cursor() as cursor:
            numbers = reserve_household_numbers(cursor, {LINYI_VILLAGE})
            Household.objects.create(number=f"{LINYI_VILLAGE}-{numbers[LINYI_VILLAGE]:05d}", region_code=LINYI_VILLAGE)
            reserved.set()
            release.wait(30)

    first = _run(holder, errors=errors)
    first.start()
    assert reserved.wait(30)
    result: list = []
    second = _run(lambda: result.append(registry_import(actor=admin, path=path)), errors=errors)
    second.start()
    second.join(1.0)
    assert second.is_alive()  # the import waits on the village's numbering lock, it does not read a stale highest
    release.set()
    first.join(30)
    second.join(60)
    assert not errors, errors
    assert result[0].counts.households_created == 2
    assert sorted(Household.objects.values_list("number", flat=True)) == [
        f"{LINYI_VILLAGE}-{n:05d}" for n in range(1, 5)]


def test_two_imports_into_the_same_villages_at_the_same_moment_both_go_in(tmp_path):
    admin = make_user("county_admin", LINYI_COUNTY)
    files = []
    for name in ("a", "b"):
        rows = []
        for key in range(1, 31):
            rows += family(f"{name}{key}", LINYI_VILLAGE if key % 2 else LINYI_VILLAGE_2, size=2)
        files.append(write_csv(tmp_path, rows, name=f"{name}.csv"))
    barrier, errors, results = threading.Barrier(2), [], []

    def load(path):
        barrier.wait(30)
        results.append(registry_import(actor=admin, path=path, batch_rows=8))  # many small batches, interleaved

    threads = [_run(load, p, errors=errors) for p in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert [r.counts.households_created for r in results] == [30, 30]
    assert Person.objects.count() == 120
    for village in (LINYI_VILLAGE, LINYI_VILLAGE_2):
        numbers = sorted(Household.objects.filter(region_code=village).values_list("number", flat=True))
        assert numbers == [f"{village}-{n:05d}" for n in range(1, 31)]


def test_a_registration_form_and_an_import_into_the_same_village_at_the_same_moment_both_go_in(tmp_path):
    """The form's service numbers households through the same lock as the import."""
    from dajiuzhu.core.testing import member_input
    from dajiuzhu.registry.services import household_register

    admin = make_user("county_admin", LINYI_COUNTY)
    path = write_csv(tmp_path, family("1") + family("2"))
    registered, release, errors, result = threading.Event(), threading.Event(), [], []

    def form():
        with transaction.atomic():
            household_register(actor=admin, region_code=LINYI_VILLAGE, members=[member_input("王五")])
            registered.set()
            release.wait(30)

    first = _run(form, errors=errors)
    first.start()
    assert registered.wait(30)
    second = _run(lambda: result.append(registry_import(actor=admin, path=path)), errors=errors)
    second.start()
    second.join(1.0)
    assert second.is_alive()  # waits for the form's transaction instead of taking the same number
    release.set()
    first.join(30)
    second.join(60)
    assert not errors, errors
    assert sorted(Household.objects.values_list("number", flat=True)) == [
        f"{LINYI_VILLAGE}-{n:05d}" for n in range(1, 4)]
