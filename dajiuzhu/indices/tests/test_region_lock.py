"""Writers of the indices and roster lock their region: overlapping regions wait, disjoint ones do not.

Township jobs of one county (the fan-out inside a large county, docs/scaling.md section 5) must write
at once; a county-wide run must wait for them, and they for it."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection, connections, transaction

from dajiuzhu.indices.bulk import lock_region, region_lock_keys

COUNTY, TOWN, OTHER_TOWN, VILLAGE = "371424", "371424100", "371424105", "371424100201"


def test_the_keys_are_exclusive_for_the_region_and_shared_for_every_enclosing_one():
    keys = region_lock_keys(TOWN)
    assert [exclusive for _, exclusive in keys] == [False, False, False, False, True]
    assert keys[:4] == [(key, False) for key, _ in region_lock_keys(COUNTY)]  # the county's own key, shared
    assert region_lock_keys(COUNTY)[-1] == region_lock_keys("3714241")[-1]  # between levels: the level above
    assert region_lock_keys(TOWN)[-1] != region_lock_keys(OTHER_TOWN)[-1]
    assert len({key for key, _ in region_lock_keys(VILLAGE)}) == 6  # root, province, city, county, township, village


def _blocks(holder: str, other: str) -> bool:
    """Does a writer of ``other`` wait while a writer of ``holder`` is in its transaction?"""
    second = connections.create_connection("default")
    try:
        with transaction.atomic():
            lock_region(holder)
            with second.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
                try:
                    for key, exclusive in region_lock_keys(other):
                        fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
                        cursor.execute(f"SELECT {fn}(%s)", [key])
                except OperationalError as exc:
                    assert "lock timeout" in str(exc)
                    return True
                finally:
                    cursor.execute("ROLLBACK")
            return False
    finally:
        second.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL advisory locks")
@pytest.mark.parametrize(("holder", "other", "waits"), [
    (TOWN, OTHER_TOWN, False),   # two townships of one county: at once
    (TOWN, COUNTY, True),        # a county run waits for a township job
    (COUNTY, TOWN, True),        # and a township job for the county run
    (TOWN, TOWN, True),          # one region, two writers: one at a time
    (TOWN, VILLAGE, True),       # a village inside the township
    (VILLAGE, OTHER_TOWN, False),
    ("371426", COUNTY, False),   # another county
    ("37", COUNTY, True),        # the province contains the county
])
def test_overlapping_regions_wait_and_disjoint_ones_do_not(holder, other, waits):
    assert _blocks(holder, other) is waits
