import pytest
from django.core.management import call_command
from django.db import transaction

from dajiuzhu.core.audit import audit_record, audit_verify
from dajiuzhu.core.audit_guard import audit_maintenance
from dajiuzhu.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _write(n):
    for i in range(n):
        with transaction.atomic():
            audit_record(actor=None, action="test.event", object_type="x", object_id=i, new={"i": i, "amount": "1.50"})


def test_each_event_links_to_the_previous_one():
    _write(3)
    events = list(AuditEvent.objects.order_by("id"))
    assert events[0].prev_hash == "0" * 64
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert audit_verify().ok


def test_a_tampered_row_is_found_and_named():
    _write(4)
    victim = AuditEvent.objects.order_by("id")[1]
    with audit_maintenance():  # the attacker owns the database
        AuditEvent.objects.filter(pk=victim.pk).update(new={"i": 999})
    report = audit_verify()
    assert report.broken_at == victim.pk
    assert "altered" in report.reason
    with pytest.raises(Exception, match=f"#{victim.pk}"):
        call_command("audit_verify")


def test_a_deleted_row_breaks_the_next_link():
    _write(3)
    events = list(AuditEvent.objects.order_by("id"))
    with audit_maintenance():
        events[1].delete()
    assert audit_verify().broken_at == events[2].pk


@pytest.mark.django_db(transaction=True)
def test_audit_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        audit_record(actor=None, action="x")


def test_audit_verify_command_passes_on_an_intact_chain(capsys):
    _write(2)
    call_command("audit_verify")
    assert "intact: 2 events" in capsys.readouterr().out
