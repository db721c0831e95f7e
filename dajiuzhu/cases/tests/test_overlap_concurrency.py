"""重复、交叉、遗漏: the county-wide check; and two windows submitting the same application at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from dajiuzhu.cases.models import Case, CaseItem, ItemStatus, WorklistEntry
from dajiuzhu.cases.selectors import worklist
from dajiuzhu.core.jobs import job_enqueue
from dajiuzhu.core.models import AuditEvent, Job
from dajiuzhu.core.testing import XINGLONG_VILLAGE, make_household, member_input

from .conftest import today
from .test_application import item_of, submit_new_family


@pytest.mark.django_db
def test_the_county_check_finds_duplicates_overlaps_and_missed_households(
        catalogue, linyi_handler, xinglong_handler, deping_handler, county_approver):
    from dajiuzhu.programs.models import AssistanceItem, ScreeningHit, ScreeningRun

    first = submit_new_family(linyi_handler)
    dibao = item_of(first, "dibao")
    # A duplicate that slipped in before the platform (e.g. migrated data): the same person covered twice.
    other = make_household(XINGLONG_VILLAGE, members=[member_input("钱七")])
    second = Case.objects.create(number="MIGRATED-1", household=other, applicant=other.head, region_code=other.region_code,
                                 accepted_region_code=other.region_code)
    copy = CaseItem.objects.create(case=second, household=other, region_code=other.region_code, item=dibao.item,
                                   status=ItemStatus.APPROVED, amount=dibao.amount, effective_from=dibao.effective_from)
    copy.covered.add(first.household.head)
    # An overlap: 特困 in force for the same household as 低保 (they exclude each other).
    tekun = AssistanceItem.objects.get(code="tekun")
    CaseItem.objects.create(case=first, household=first.household, region_code=first.region_code, item=tekun,
                            status=ItemStatus.APPROVED, amount=1000, effective_from=dibao.effective_from)
    # Missed: the screening found this household eligible; it receives nothing and has not applied.
    missed = make_household(XINGLONG_VILLAGE, members=[member_input("孙八")])
    run = ScreeningRun.objects.create(region_prefix="371424", on=today())
    ScreeningHit.objects.create(run=run, household=missed, region_code=missed.region_code, item=dibao.item,
                                screened_on=today())
    ScreeningHit.objects.create(run=run, household=first.household, region_code=first.region_code, item=dibao.item,
                                screened_on=today())

    on = dibao.effective_from
    job = job_enqueue(kind="cases.overlap_check", actor=county_approver, backend="inline",
                      params={"region_prefix": "371424", "on": on.isoformat()})
    from dajiuzhu.core.jobs import job_run

    job = job_run(job.pk)
    assert job.status == Job.Status.DONE, job.message
    kinds = {(e.kind, e.household_id) for e in WorklistEntry.objects.filter(job=job)}
    assert (WorklistEntry.Kind.DUPLICATE, other.pk) in kinds
    assert (WorklistEntry.Kind.OVERLAP, first.household.pk) in kinds
    assert (WorklistEntry.Kind.MISSED, missed.pk) in kinds
    assert (WorklistEntry.Kind.MISSED, first.household.pk) not in kinds  # it receives 低保
    assert job.result["counts"]["missed"] == 1
    # Each township sees its own worklist only.
    assert worklist(actor=xinglong_handler).count() == WorklistEntry.objects.filter(job=job).count()
    assert not worklist(actor=deping_handler).exists()
    assert AuditEvent.objects.filter(action="cases.overlap_check").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_windows_submitting_the_same_application_at_the_same_moment_exactly_one_wins(catalogue):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks across connections)")
    from dajiuzhu.cases.services import application_submit
    from dajiuzhu.core.errors import DomainError
    from dajiuzhu.core.testing import LINYI_TOWN, make_user

    windows = [make_user("township_handler", LINYI_TOWN), make_user("township_handler", "371424105000")]
    household = make_household(XINGLONG_VILLAGE)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(actor):
        try:
            barrier.wait()
            application_submit(actor=actor, household=household, item_codes=["dibao"], promise_signed=True,
                               authorisation_signed=True)
            outcomes.append("won")
        except DomainError as exc:
            outcomes.append(f"refused: {exc.message}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(w,)) for w in windows]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o[:4] for o in outcomes) == ["refu", "won"], outcomes
    assert CaseItem.objects.filter(household=household, item__code="dibao", status=ItemStatus.APPROVED).count() == 1
    assert Case.objects.filter(household=household).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_the_partial_unique_constraint_holds_without_the_row_lock(catalogue):
    """Even if the household lock were skipped, the database refuses the second open item."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from django.db import IntegrityError, transaction

    from dajiuzhu.core.testing import LINYI_TOWN, make_user

    first = submit_new_family(make_user("township_handler", LINYI_TOWN))
    dibao = item_of(first, "dibao")
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseItem.objects.create(case=first, household=first.household, region_code=first.region_code,
                                item=dibao.item, status=ItemStatus.PENDING)
