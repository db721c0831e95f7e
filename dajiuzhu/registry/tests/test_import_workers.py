"""A registry file imported by several worker processes ends exactly as one process leaves it
(PostgreSQL: each worker forks with its own connection and commits its own batches)."""

from __future__ import annotations

import array
import csv
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import translation

from dajiuzhu.core import regioncodes
from dajiuzhu.core.audit import audit_verify
from dajiuzhu.core.dburl import database_url
from dajiuzhu.core.models import AuditEvent, Job
from dajiuzhu.core.tasks import run_job
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_VILLAGE,
    LINYI_VILLAGE_2,
    XINGLONG_VILLAGE,
    make_user,
    redis_reachable,
    stop_process_group,
)
from dajiuzhu.registry import importing
from dajiuzhu.registry.importing import _Importer, _Scan, import_workers, registry_import
from dajiuzhu.registry.models import Household, HouseholdFacts, MemberFacts, Membership, Person
from dajiuzhu.registry.services import id_hash

from .test_import_pipeline import HEADER, an_id, family, read_report, write_csv, write_xlsx

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[3]

def _villages() -> list[str]:
    """Six villages of the county: the test file mixes their households, as the synthetic county does."""
    from dajiuzhu.regions.models import Region

    others = Region.objects.filter(code__startswith="371424", level=regioncodes.LEVEL_VILLAGE).exclude(
        code__in=[LINYI_VILLAGE, LINYI_VILLAGE_2, XINGLONG_VILLAGE]).order_by("code").values_list("code", flat=True)
    return [LINYI_VILLAGE, LINYI_VILLAGE_2, XINGLONG_VILLAGE, *others[:3]]


@pytest.fixture(autouse=True)
def _postgres_only(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (worker processes commit on their own connections)")
    if threading.active_count() > 1:
        # The importer forks only from a single-threaded process (a fork copies locks other threads hold). A
        # session-scoped live server (pytest-django's live_server) started by an earlier test keeps its thread
        # for the whole session: run this file in a pytest process of its own, as .ci/run does.
        pytest.fail("other threads are running, so the import cannot fork its workers: "
                    + ", ".join(t.name for t in threading.enumerate() if t is not threading.current_thread())
                    + "; run this file in its own pytest process")
    settings.VAR_DIR = tmp_path / "var"
    with translation.override("en"):
        yield


def _file(tmp_path, villages):
    """60 households in six villages, mixed, with three refusals: a row with a code outside the county
    (household 7) and one ID number in two households (20 and 45)."""
    rows = []
    shared = an_id(33)
    for key in range(1, 61):
        members = family(str(key), villages[key % len(villages)], size=2 + key % 3)
        if key == 7:
            members[1][4] = "110101001001"
        if key in (20, 45):
            members[1][2] = shared
        rows += members
    return write_csv(tmp_path, rows, header=HEADER)


def _no_child_processes() -> bool:
    """True when this process has no child process left (the workers were all waited for)."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _registry() -> dict:
    """The registry as a user sees it, without database ids or the order numbers were given in."""
    people = {}
    for person in Person.objects.select_related("household"):
        members = frozenset(Person.objects.filter(household=person.household_id).values_list("id_hash", flat=True))
        people[person.id_hash] = (person.name, person.sex, person.birth_date, person.relation, person.region_code,
                                  person.household.region_code, members, person.household.head.id_hash)
    facts = sorted((f.person.id_hash, f.as_of, f.health, f.labour) for f in MemberFacts.objects.select_related("person"))
    numbers = sorted(Household.objects.values_list("number", flat=True))
    memberships = Membership.objects.filter(end__isnull=True).count()
    return {"people": people, "facts": facts, "numbers": numbers, "memberships": memberships,
            "household_facts": HouseholdFacts.objects.count()}


def _empty_registry() -> None:
    MemberFacts.objects.all().delete()
    HouseholdFacts.objects.all().delete()
    Membership.objects.all().delete()
    Household.objects.update(head=None)
    Person.objects.all().delete()
    Household.objects.all().delete()


def test_two_workers_leave_the_registry_and_the_report_exactly_as_one_process(tmp_path):
    admin = make_user("county_admin", LINYI_COUNTY)
    villages = _villages()
    path = _file(tmp_path, villages)
    progress: list[tuple[int, int]] = []
    parallel = registry_import(actor=admin, path=path, batch_rows=8, workers=2,
                               progress=lambda done, total, counts: progress.append((done, total)))
    assert parallel.workers == 2
    assert _no_child_processes()
    after_parallel = _registry()
    parallel_report = read_report(parallel.report_path)
    batches = AuditEvent.objects.filter(action="registry.import.batch").count()
    assert batches == parallel.batches > 2
    assert audit_verify().ok

    # The same file again, by two workers: nothing changes.
    again = registry_import(actor=admin, path=path, batch_rows=8, workers=2)
    assert again.workers == 2
    assert again.counts.households_unchanged == 57 and again.counts.members_unchanged == parallel.counts.members_created
    assert again.counts.households_created == again.counts.members_updated == 0
    assert _registry() == after_parallel

    _empty_registry()
    single = registry_import(actor=admin, path=path, batch_rows=8, workers=1)
    assert single.workers == 1
    assert parallel.counts == single.counts
    assert parallel.counts.households_created == 57 and parallel.counts.households_rejected == 3
    assert _registry() == after_parallel
    # The same rows with the same reasons (merged from the workers by row number; one process writes them as
    # their households end).
    single_report = read_report(single.report_path)
    assert parallel_report[0] == single_report[0]
    assert sorted(parallel_report[1:], key=lambda r: int(r[-1])) == sorted(single_report[1:], key=lambda r: int(r[-1]))
    assert [int(r[-1]) for r in parallel_report[1:]] == sorted(int(r[-1]) for r in parallel_report[1:])
    own_reasons = {row[0] for row in parallel_report[1:] if not row[-2].startswith("not imported: another row")}
    assert own_reasons == {"7", "20", "45"}  # the bad code, and the ID number in two households (both)
    assert len(parallel_report) - 1 == parallel.counts.rows_rejected

    dones = [done for done, _total in progress]
    assert dones == sorted(dones) and dones[-1] == parallel.counts.rows == progress[-1][1]
    assert {n.rsplit("-", 1)[0] for n in after_parallel["numbers"]} == set(villages)


def test_an_xlsx_file_is_imported_by_workers_that_each_open_the_workbook(tmp_path):
    admin = make_user("county_admin", LINYI_COUNTY)
    villages = _villages()
    with open(_file(tmp_path, villages), encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    path = write_xlsx(tmp_path, {"登记表": rows})
    result = registry_import(actor=admin, path=path, batch_rows=8, workers=2)
    assert result.workers == 2 and "XLSX" in result.source
    assert result.counts.households_created == 57 and result.counts.households_rejected == 3
    assert Person.objects.count() == result.counts.members_created
    refused = read_report(result.report_path)
    assert len(refused) - 1 == result.counts.rows_rejected
    assert [int(r[-1]) for r in refused[1:]] == sorted(int(r[-1]) for r in refused[1:])


def test_a_failing_worker_fails_the_import_and_its_batch_leaves_nothing(tmp_path, monkeypatch):
    admin = make_user("county_admin", LINYI_COUNTY)
    path = _file(tmp_path, _villages())
    real_run = importing._BatchMerge.run

    def failing(self):
        if any(household.key == "50" for household in self.batch):
            raise RuntimeError("disk full while merging household 50")
        return real_run(self)

    monkeypatch.setattr(importing._BatchMerge, "run", failing)  # the forked workers inherit it
    with pytest.raises(RuntimeError, match="disk full while merging household 50"):
        registry_import(actor=admin, path=path, batch_rows=8, workers=2)
    assert _no_child_processes()
    assert Household.objects.count() < 57  # the failing part stopped
    assert not list((tmp_path / "var").rglob("*.part*"))  # the workers' own reports are gone
    # The batch that failed wrote nothing: no member of household 50 is in the registry.
    with open(path, encoding="utf-8", newline="") as handle:
        ids_of_50 = [row[2] for row in csv.reader(handle) if row[0] == "50"]
    assert not Person.objects.filter(id_hash__in=[id_hash(i) for i in ids_of_50]).exists()
    assert audit_verify().ok


def test_the_command_imports_with_the_workers_asked_for(tmp_path, capsys):
    path = _file(tmp_path, _villages())
    call_command("registry_import", str(path), "--batch", "8", "--workers", "2")
    out = capsys.readouterr().out
    assert "households: 57 created" in out and "3 rejected" in out
    assert "workers: 2, batches: " in out
    with pytest.raises(CommandError, match="--workers must be 1 or more"):
        call_command("registry_import", str(path), "--workers", "0")


def test_one_process_where_workers_would_not_help_or_not_be_safe(settings):
    settings.IMPORT_WORKERS = 4
    assert import_workers(1_000_000, 10_000) == 4
    assert import_workers(1_000_000, 10_000, 2) == 2
    assert import_workers(30_000, 10_000) == 1  # fewer than two batches for each of two workers
    assert import_workers(40_000, 10_000) == 2
    with transaction.atomic():  # a caller's transaction could not hold the workers' commits
        assert import_workers(1_000_000, 10_000) == 1


def test_a_worker_that_dies_without_a_word_fails_the_import_with_what_to_do(tmp_path, monkeypatch):
    admin = make_user("county_admin", LINYI_COUNTY)
    path = _file(tmp_path, _villages())
    real_run = importing._BatchMerge.run

    test_process = os.getpid()

    def dying(self):
        if any(household.key == "50" for household in self.batch):
            if os.getpid() == test_process:  # never end the test runner itself (the import ran in one process)
                raise AssertionError("the batch ran in the test process, not in a worker")
            os._exit(3)  # killed, say by the out-of-memory killer: no error reaches the parent
        return real_run(self)

    monkeypatch.setattr(importing._BatchMerge, "run", dying)
    with pytest.raises(RuntimeError, match="stopped before it finished.*import the file again"):
        registry_import(actor=admin, path=path, batch_rows=8, workers=2)
    assert _no_child_processes()
    assert Household.objects.count() < 57


def _scan(residence: list[int], sizes: list[int]) -> _Scan:
    return _Scan(rows=sum(sizes), ordinals={}, last_row=array.array("q", range(len(sizes))), duplicates={},
                 keys_of={}, residence=array.array("q", residence), sizes=array.array("q", sizes))


def test_the_households_of_one_village_go_to_one_worker_and_the_rows_are_shared_evenly():
    # Households of six villages, mixed through the file; village v has v + 1 households of 3 rows.
    residence = [v for round_ in range(6) for v in range(6) if round_ <= v]
    owner, parts = _Importer.parts(_scan(residence, [3] * len(residence)), 2)
    assert parts == 2 and len(owner) == len(residence)
    worker_of_village: dict[int, set[int]] = {}
    for village, worker in zip(residence, owner, strict=True):
        worker_of_village.setdefault(village, set()).add(worker)
    assert all(len(workers) == 1 for workers in worker_of_village.values())
    rows = [3 * list(owner).count(w) for w in (0, 1)]
    assert rows == [33, 30] or rows == [30, 33]  # 63 rows: villages 5, 2, 1 against 4, 3, 0 (largest first)


def test_a_file_of_one_village_is_cut_into_runs_instead():
    owner, parts = _Importer.parts(_scan([0] * 10, [2] * 10), 2)
    assert parts == 2 and list(owner) == [0] * 5 + [1] * 5
    owner, parts = _Importer.parts(_scan([0] * 10, [2] * 10), 1)
    assert (owner, parts) == (b"", 1)


@pytest.mark.services
@pytest.mark.slow
def test_an_import_job_on_a_celery_pool_process_uses_the_workers(tmp_path):
    """A Celery prefork pool process is a daemon to ``multiprocessing``: the workers are forked without it."""
    if not redis_reachable():
        pytest.skip("needs Redis (the Celery broker)")
    from config.celery import app

    admin = make_user("county_admin", LINYI_COUNTY)
    path = _file(tmp_path, _villages())
    queue = f"import-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "CELERY_BROKER_URL": app.conf.broker_url, "DATABASE_URL": database_url(),
           "DAJIUZHU_VAR_DIR": str(tmp_path / "var"), "DAJIUZHU_IMPORT_WORKERS": "2", "DAJIUZHU_JOBS": "celery"}
    worker = subprocess.Popen(  # noqa: S603 - the same flags as deploy/systemd/dajiuzhu-worker@.service
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "1",
         "--prefetch-multiplier", "1", "--max-tasks-per-child", "200", "-n", f"{queue}@test", "-Q", queue,
         "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"), start_new_session=True)
    try:
        job = Job.objects.create(kind="registry.import", created_by=admin, params={
            "path": str(path), "filename": "registry.csv", "actor_id": admin.pk, "keep_upload": True,
            "batch_rows": 8})
        run_job.apply_async(args=[str(job.pk)], queue=queue)
        deadline = time.monotonic() + 150  # a loaded machine takes a while to start Django and Celery
        while job.status not in (Job.Status.DONE, Job.Status.FAILED):
            assert worker.poll() is None, f"the worker exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"the job never finished: {log.read_text()[-2000:]}"
            time.sleep(0.5)
            job.refresh_from_db()
    finally:
        stop_process_group(worker)
    assert job.status == Job.Status.DONE, job.message
    assert job.result["workers"] == 2
    assert job.result["counts"]["households_created"] == 57 and job.result["counts"]["households_rejected"] == 3
    assert Household.objects.count() == 57


_PARENT_SCRIPT = """
import os, sys, time
import django
django.setup()
from dajiuzhu.registry import importing

real_run = importing._BatchMerge.run

def slow(self):  # each batch waits inside its transaction, before it commits
    counts = real_run(self)
    time.sleep(float(os.environ["BATCH_SECONDS"]))
    return counts

real_part = importing._Importer._part_main

def part(self, *args):
    with open(os.environ["WORKER_PIDS"], "a") as handle:
        handle.write(f"{os.getpid()}\\n")
    return real_part(self, *args)

importing._BatchMerge.run = slow
importing._Importer._part_main = part
importing.registry_import(actor=None, path=sys.argv[1], batch_rows=4, workers=2)
"""


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie left for a container's init to reap counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def _batches() -> int:
    return AuditEvent.objects.filter(action="registry.import.batch").count()


def test_kill_9_of_the_importing_process_stops_its_workers_before_another_commit(tmp_path):
    """Finding 9 of #14: the workers of a killed import went on committing a batch or two. They die with their
    parent (PR_SET_PDEATHSIG) and check it before every commit: nothing is committed after the kill."""
    path = _file(tmp_path, _villages())
    pids_file = tmp_path / "pids"
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.settings",
           "DAJIUZHU_VAR_DIR": str(tmp_path / "var"), "BATCH_SECONDS": "1.0", "WORKER_PIDS": str(pids_file)}
    parent = subprocess.Popen([sys.executable, "-c", _PARENT_SCRIPT, str(path)], cwd=ROOT, env=env,  # noqa: S603
                              stdout=subprocess.DEVNULL, stderr=(tmp_path / "parent.log").open("w"))
    try:
        deadline = time.monotonic() + 120  # Django's start on a loaded machine
        while _batches() < 2:
            assert parent.poll() is None, (tmp_path / "parent.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the import never committed two batches"
            time.sleep(0.02)
        seen = _batches()
        while _batches() == seen:  # kill just after a commit: both workers are inside their next batch
            assert time.monotonic() < deadline
            time.sleep(0.01)
        parent.kill()
        parent.wait()
        killed_at = time.monotonic()
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
    workers = [int(line) for line in pids_file.read_text().split()]
    assert len(workers) == 2
    time.sleep(0.3)  # a commit already sent before the kill lands
    at_kill = _batches()
    while any(_alive(pid) for pid in workers) and time.monotonic() - killed_at < 10:
        time.sleep(0.05)
    gone_after = time.monotonic() - killed_at
    time.sleep(2.5)  # more than two batches' time: a worker still running would have committed by now
    assert _batches() == at_kill
    assert not any(_alive(pid) for pid in workers)
    assert gone_after < 1.0, f"the workers outlived their parent by {gone_after:.1f} s"
    assert audit_verify().ok


def test_a_sealed_upload_is_imported_by_the_workers_as_the_plain_file(tmp_path):
    """Uploads are kept sealed (core.uploads): each worker reads its part through the sealed file."""
    from dajiuzhu.core.intake import file_digest
    from dajiuzhu.core.uploads import upload_save_bytes

    admin = make_user("county_admin", LINYI_COUNTY)
    path = _file(tmp_path, _villages())
    sealed = upload_save_bytes(path.read_bytes(), name="registry.csv")
    assert file_digest(sealed) == file_digest(path)
    result = registry_import(actor=admin, path=sealed, filename="registry.csv", batch_rows=8, workers=2)
    assert result.workers == 2
    assert result.counts.households_created == 57 and result.counts.households_rejected == 3
