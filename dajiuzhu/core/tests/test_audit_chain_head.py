"""The audit chain's head is read once per transaction: later events of the same transaction link to the
event it appended last, unless that event was rolled back with its savepoint (then the head is read again)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dajiuzhu.core.audit import GENESIS, audit_record, audit_verify
from dajiuzhu.core.models import AuditEvent


def _event(i):
    return audit_record(actor=None, action="test.event", object_type="x", object_id=i, new={"i": i})


def _chain_reads(queries) -> int:
    return sum(1 for q in queries.captured_queries
               if "pg_advisory_xact_lock" in q["sql"] or ('FROM "core_auditevent"' in q["sql"]
                                                          and q["sql"].lstrip().startswith("SELECT")))


@pytest.mark.django_db(transaction=True)
def test_one_lock_and_head_read_per_transaction_and_again_after_commit():
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            first, second, third = _event(1), _event(2), _event(3)
    locks = 2 if connection.vendor == "postgresql" else 1  # SQLite serialises writers without a lock
    assert _chain_reads(queries) == locks
    assert len(queries.captured_queries) == locks + 3
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    with transaction.atomic():  # a new transaction locks and reads the head again
        with CaptureQueriesContext(connection) as queries:
            fourth = _event(4)
    assert _chain_reads(queries) == locks
    assert fourth.prev_hash == third.hash
    report = audit_verify()
    assert report.ok and report.checked == 4


@pytest.mark.django_db(transaction=True)
def test_an_event_rolled_back_with_its_savepoint_is_not_linked_to():
    with transaction.atomic():
        first = _event(1)
        try:
            with transaction.atomic():
                _event(2)
                raise RuntimeError("abandon the inner step")
        except RuntimeError:
            pass
        with CaptureQueriesContext(connection) as queries:
            third = _event(3)
    assert third.prev_hash == first.hash
    assert _chain_reads(queries) >= 1  # the head was read again
    assert list(AuditEvent.objects.order_by("id").values_list("object_id", flat=True)) == ["1", "3"]
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_head_behind():
    try:
        with transaction.atomic():
            _event(1)
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    with transaction.atomic():
        event = _event(2)
    assert event.prev_hash == GENESIS
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_events_of_an_inner_savepoint_that_is_kept_link_on():
    with transaction.atomic():
        first = _event(1)
        with transaction.atomic():
            second = _event(2)
        third = _event(3)
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    assert audit_verify().ok


@pytest.mark.django_db
def test_the_row_written_is_the_event_returned_and_verifies():
    """The event is inserted with SQL built once per process: the stored row is the event returned (same
    values, id and hash), JSON and Decimal values as hashed, and the chain verifies."""
    import datetime as dt
    from decimal import Decimal

    from django.forms.models import model_to_dict

    with transaction.atomic():
        events = [audit_record(actor=None, action="test.event", object_type="x", object_id=i,
                               old={"amount": Decimal("1.50")}, new={"on": dt.date(2026, 1, i + 1), "i": [i, "甲"]})
                  for i in range(3)]
    for event in events:
        stored = AuditEvent.objects.get(pk=event.pk)
        assert model_to_dict(stored) == model_to_dict(event) and stored.at == event.at
        assert not event._state.adding
    assert events[1].new == {"on": "2026-01-02", "i": [1, "甲"]} and events[0].old == {"amount": "1.50"}
    assert audit_verify().ok


@pytest.mark.django_db
def test_several_events_appended_with_one_insert_link_as_one_by_one():
    from dajiuzhu.core.audit import audit_record_many

    with transaction.atomic():
        first = _event(0)
        with CaptureQueriesContext(connection) as queries:
            events = audit_record_many([{"actor": None, "action": "test.event", "object_type": "x", "object_id": i,
                                         "new": {"i": i}} for i in (1, 2, 3)])
        assert [q["sql"].startswith('INSERT INTO "core_auditevent"') for q in queries.captured_queries] == [True]
        last = _event(4)
    chain = [first, *events, last]
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]
    assert [e.pk for e in chain] == sorted(e.pk for e in chain)
    assert list(AuditEvent.objects.order_by("id").values_list("hash", flat=True))[-5:] == [e.hash for e in chain]
    assert audit_verify().ok
