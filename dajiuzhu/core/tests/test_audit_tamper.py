"""Tampering with the audit log by someone with write access to the database: the table refuses changes, and
the signed checkpoints outside the database show a cut tail, a deleted log and a rewritten chain."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.urls import reverse

from dajiuzhu.core import audit
from dajiuzhu.core.audit import GENESIS, audit_record, audit_verify, event_hash
from dajiuzhu.core.audit_checkpoint import (
    CheckpointFile,
    checkpoint_path,
    checkpoint_write,
    checkpoints_load,
)
from dajiuzhu.core.audit_guard import audit_maintenance, guard_installed
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_VILLAGE, make_user

pytestmark = pytest.mark.django_db


def _write(n: int, start: int = 0) -> list[AuditEvent]:
    out = []
    for i in range(start, start + n):
        with transaction.atomic():
            out.append(audit_record(actor=None, action="test.event", object_type="x", object_id=i,
                                    region_code=LINYI_VILLAGE, new={"i": i}))
    return out


def _rehash_from(first: AuditEvent) -> None:
    """The attacker's rewrite: every event from ``first`` on gets a recomputed link and hash."""
    previous = (AuditEvent.objects.filter(id__lt=first.pk).order_by("-id").values_list("hash", flat=True).first()
                or GENESIS)
    for event in AuditEvent.objects.filter(id__gte=first.pk).order_by("id"):
        event.prev_hash = previous
        event.hash = previous = event_hash(event)
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, hash=event.hash)


# -- the table refuses changes ----------------------------------------------------------------------------

def test_the_guard_is_installed_by_the_migrations():
    assert guard_installed()


@pytest.mark.parametrize("change", ["update", "delete", "delete_all", "raw_update"])
def test_update_and_delete_of_audit_events_are_refused_by_the_database(change):
    events = _write(3)
    before = list(AuditEvent.objects.order_by("id").values_list("id", "hash", "new"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        if change == "update":
            AuditEvent.objects.filter(pk=events[1].pk).update(new={"i": 999})
        elif change == "delete":
            AuditEvent.objects.filter(pk=events[2].pk).delete()
        elif change == "delete_all":
            AuditEvent.objects.all().delete()
        else:
            with connection.cursor() as cursor:
                cursor.execute("UPDATE core_auditevent SET action = 'x' WHERE id = %s", [events[0].pk])
    assert list(AuditEvent.objects.order_by("id").values_list("id", "hash", "new")) == before


def test_truncate_is_refused_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (a DELETE without WHERE is refused above)")
    _write(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check of this test's inserts pending
        cursor.execute("TRUNCATE core_auditevent")
    assert AuditEvent.objects.count() >= 2


def test_the_maintenance_path_lifts_the_guard_for_its_block_only():
    events = _write(2)
    with audit_maintenance():
        AuditEvent.objects.filter(pk=events[0].pk).update(action="maintained")
    assert AuditEvent.objects.get(pk=events[0].pk).action == "maintained"
    assert guard_installed()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=events[0].pk).update(action="again")
    # A failing block rolls the lifting back with its own changes.
    with pytest.raises(ZeroDivisionError), audit_maintenance():
        AuditEvent.objects.filter(pk=events[1].pk).update(action="lost")
        1 / 0  # noqa: B018
    assert AuditEvent.objects.get(pk=events[1].pk).action == "test.event" and guard_installed()


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_table_and_keeps_the_guard():
    _write(2)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    assert guard_installed()


# -- signed checkpoints -----------------------------------------------------------------------------------

def test_a_checkpoint_signs_the_head_and_count_and_links_to_the_one_before():
    events = _write(3)
    first = checkpoint_write()
    assert (first.event_id, first.count, first.hash) == (events[-1].pk, 3, events[-1].hash)
    assert checkpoint_write() is None  # the head has not moved
    more = _write(2, start=3)
    second = checkpoint_write()
    assert (second.event_id, second.count) == (more[-1].pk, 5)
    lines = [json.loads(line) for line in checkpoint_path().read_text().splitlines()]
    assert [line["count"] for line in lines] == [3, 5]
    assert lines[1]["prev_sig"] == lines[0]["sig"]
    assert "key" not in json.dumps(lines).replace("key_id", "")  # the key itself is nowhere in the file
    loaded = checkpoints_load()
    assert not loaded.problem and [cp.count for cp in loaded.checkpoints] == [3, 5]
    report = audit_verify()
    assert report.ok and report.checkpoints_checked == 2 and report.checkpoint.count == 5


@override_settings(AUDIT_CHECKPOINT_EVERY=4)
def test_a_checkpoint_is_written_after_the_commit_that_passes_every_n_events(django_capture_on_commit_callbacks):
    events = []
    for i in range(9):  # nine committed transactions
        with django_capture_on_commit_callbacks(execute=True):
            events += _write(1, start=i)
    loaded = checkpoints_load()
    crossings = [e.pk for e in events if e.pk % 4 == 0]
    assert len(loaded.checkpoints) == len(crossings) >= 2
    assert [cp.event_id for cp in loaded.checkpoints] == crossings
    assert audit_verify().ok


def test_the_scheduled_task_writes_a_checkpoint():
    from django.conf import settings

    from dajiuzhu.core.tasks import audit_checkpoint

    assert settings.CELERY_BEAT_SCHEDULE["core-audit-checkpoint"]["task"] == audit_checkpoint.name
    events = _write(2)
    assert audit_checkpoint() == f"#{events[-1].pk} (2 events)"
    assert audit_checkpoint() == "unchanged"


def test_a_cut_tail_is_reported():
    events = _write(6)
    checkpoint_write()
    with audit_maintenance():
        AuditEvent.objects.filter(pk__in=[events[-1].pk, events[-2].pk]).delete()
    assert audit_verify(checkpoints=CheckpointFile([])).ok  # the chain alone cannot see it
    report = audit_verify()
    assert not report.ok
    assert report.broken_at == events[-1].pk and report.reason == audit.REASON_CUT and report.checked == 4
    with pytest.raises(CommandError, match="tail was cut"):
        call_command("audit_verify")


def test_deleting_every_row_is_reported():
    _write(4)
    checkpoint_write()
    with audit_maintenance():
        AuditEvent.objects.all().delete()
    assert audit_verify(checkpoints=CheckpointFile([])).ok
    report = audit_verify()
    assert not report.ok and report.reason == audit.REASON_EMPTY and report.checked == 0
    with pytest.raises(CommandError, match="all rows were deleted"):
        call_command("audit_verify")


def test_an_edited_row_with_every_later_hash_recomputed_is_reported():
    events = _write(6)
    checkpoint_write()
    with audit_maintenance():
        AuditEvent.objects.filter(pk=events[1].pk).update(new={"i": 999})
        _rehash_from(AuditEvent.objects.get(pk=events[1].pk))
    assert audit_verify(checkpoints=CheckpointFile([])).ok  # a consistent chain again
    report = audit_verify()
    assert not report.ok and report.reason == audit.REASON_REWRITTEN and report.broken_at == events[-1].pk
    with pytest.raises(CommandError, match="rewritten"):
        call_command("audit_verify")


def test_a_rewrite_with_a_cut_and_new_events_after_it_is_reported():
    events = _write(5)
    checkpoint_write()
    with audit_maintenance():
        AuditEvent.objects.filter(pk__gte=events[2].pk).delete()
    _write(5, start=100)  # new events with new ids continue the cut chain
    report = audit_verify()
    assert not report.ok and report.reason == audit.REASON_MISSING and report.broken_at == events[-1].pk


def test_an_edited_row_without_recomputing_is_still_found_first():
    events = _write(4)
    checkpoint_write()
    with audit_maintenance():
        AuditEvent.objects.filter(pk=events[2].pk).update(new={"i": 999})
    report = audit_verify()
    assert report.broken_at == events[2].pk and report.reason == audit.REASON_CONTENT


def test_an_altered_or_forged_checkpoint_line_is_reported():
    _write(2)
    checkpoint_write()
    _write(1, start=2)
    checkpoint_write()
    path = checkpoint_path()
    lines = path.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["count"] = 1  # lower the count to hide a cut
    path.write_text(lines[0] + "\n" + json.dumps(forged) + "\n")
    loaded = checkpoints_load()
    assert loaded.problem == "checkpoint_forged" and loaded.problem_line == 2
    report = audit_verify()
    assert not report.ok and "wrong signature" in report.reason
    # Removing a line from the middle breaks the links between lines.
    path.write_text(lines[0] + "\n")
    _write(1, start=3)
    checkpoint_write()
    _write(1, start=4)
    checkpoint_write()
    kept = path.read_text().splitlines()
    path.write_text(kept[0] + "\n" + kept[2] + "\n")
    assert checkpoints_load().problem == "checkpoint_lines_removed"


def test_a_checkpoint_signed_with_another_key_is_not_accepted():
    _write(2)
    with override_settings(AUDIT_CHECKPOINT_KEY="an-attacker-key-that-is-long-enough-0123456789"):
        checkpoint_write()
    loaded = checkpoints_load()
    assert loaded.problem == "checkpoint_other_key" and loaded.checkpoints == []
    assert not audit_verify().ok


def test_a_rebase_after_a_restore_starts_the_checks_again(capsys):
    events = _write(5)
    checkpoint_write()
    with audit_maintenance():  # as a restore of an older backup does
        AuditEvent.objects.filter(pk__gte=events[3].pk).delete()
    assert not audit_verify().ok
    with pytest.raises(CommandError, match="reason"):
        call_command("audit_checkpoint", rebase="x")
    call_command("audit_checkpoint", rebase="restored the backup of 2026-12-01 after a disk failure")
    assert "rebase written" in capsys.readouterr().out
    assert audit_verify().ok
    _write(2, start=10)
    call_command("audit_checkpoint")
    report = audit_verify()
    assert report.ok and report.checkpoint.count == 5


# -- the supervisor's page --------------------------------------------------------------------------------

def test_the_audit_page_prints_the_latest_checkpoint_and_whether_it_was_verified(client,
                                                                                  django_capture_on_commit_callbacks):
    client.force_login(make_user("supervisor", LINYI_COUNTY))
    page = client.get(reverse("audit_list")).content.decode()
    assert "尚未签署检查点" in page or "No checkpoint has been signed yet" in page
    _write(3)
    written = checkpoint_write()
    response = client.get(reverse("audit_list"))
    page = response.content.decode()
    assert written.hash in page
    shanghai = response.context["checkpoint"]["at"]
    assert str(shanghai.tzinfo) == "Asia/Shanghai" and shanghai.strftime("%Y-%m-%d %H:%M:%S") in page
    assert response.context["checkpoint"]["verified"] is False
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("audit_verify"))
    response = client.get(reverse("audit_list"))
    assert response.context["checkpoint"]["verified"] is True
    assert response.context["chain"]["ok"]
    # A cut tail is named on the page after the next verification.
    with audit_maintenance():
        AuditEvent.objects.filter(pk=written.event_id).delete()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("audit_verify"))
    response = client.get(reverse("audit_list"))
    assert not response.context["chain"]["ok"]
    assert "截断" in response.context["chain"]["text"] or "tail was cut" in response.context["chain"]["text"]


def test_a_restored_backup_is_checked_against_the_checkpoints_it_should_hold(capsys):
    events = _write(3)
    checkpoint_write()
    later = _write(3, start=3)
    checkpoint_write()
    with audit_maintenance():  # the backup was taken before the last three events
        AuditEvent.objects.filter(pk__gte=later[0].pk).delete()
    assert audit_verify().reason == audit.REASON_CUT
    report = audit_verify(backup=True)
    assert report.ok and report.checkpoints_checked == 1
    call_command("audit_verify", backup=True)
    assert "intact: 3 events, 1 signed checkpoints matched" in capsys.readouterr().out
    with audit_maintenance():  # a backup whose own rows were rewritten is still caught
        AuditEvent.objects.filter(pk=events[0].pk).update(new={"i": 999})
        _rehash_from(AuditEvent.objects.get(pk=events[0].pk))
    assert audit_verify(backup=True).reason == audit.REASON_REWRITTEN
