"""The county-wide verification finds exactly the planted false declarations and no honest household."""

import datetime as dt

import pytest
from django.urls import reverse

from dajiuzhu.cases.models import Review
from dajiuzhu.checks.batch import batch_start, worklist
from dajiuzhu.checks.models import ReportOutcome, VerificationReport
from dajiuzhu.core.errors import Forbidden
from dajiuzhu.core.models import Job
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, XINGLONG_TOWN, XINGLONG_VILLAGE, make_user

from .factories import deliver, row
from .test_scenario import TODAY, recipient

pytestmark = pytest.mark.django_db

RECENT = TODAY - dt.timedelta(days=15)


@pytest.fixture
def county(catalogue):
    """Honest recipients with department data matching their declarations, and four planted lies."""
    linyi, xinglong = make_user("township_handler", LINYI_TOWN), make_user("township_handler", XINGLONG_TOWN)
    honest = [recipient(linyi)[0] for _ in range(4)] + [recipient(xinglong, XINGLONG_VILLAGE)[0] for _ in range(2)]
    planted = {kind: recipient(linyi if kind != "false_house" else xinglong,
                               None if kind != "false_house" else XINGLONG_VILLAGE)[0]
               for kind in ("false_vehicle", "false_wages", "false_house", "false_dead_member")}
    everyone = honest + list(planted.values())
    deliver("hr_social_security", "wage", [
        row(h.head, RECENT, monthly_wages="2800" if h == planted["false_wages"] else "600") for h in everyone])
    deliver("banks", "deposit", [row(h.head, RECENT, amount="0") for h in everyone])
    deliver("property_registry", "house", [
        row(h.head, RECENT, houses=2 if h == planted["false_house"] else 1) for h in everyone])
    deliver("police", "vehicle", [
        row(h.head, RECENT, vehicles=1 if h == planted["false_vehicle"] else 0) for h in everyone])
    dead = planted["false_dead_member"].members.exclude(pk=planted["false_dead_member"].head_id).get()
    deliver("civil_affairs", "cremation", [row(dead, RECENT, death_date=RECENT - dt.timedelta(days=3))])
    return honest, planted


def test_the_batch_finds_exactly_the_planted_households(county, run_on_commit):
    honest, planted = county
    admin = make_user("county_admin", LINYI_COUNTY)
    with run_on_commit(execute=True):
        job = batch_start(actor=admin, as_of=TODAY, confirm=True)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    result = job.result
    assert result["households"] == 10 and result["no_authorisation"] == 0
    assert (result["consistent"], result["inconsistent"]) == (6, 4)
    assert result["by_check"]["vehicles"] == 1 and result["by_check"]["wages"] == 1
    assert result["by_check"]["houses"] == 1 and result["by_check"]["deaths"] == 1
    flagged = set(VerificationReport.objects.filter(job=job, outcome=ReportOutcome.INCONSISTENT)
                  .values_list("household_id", flat=True))
    assert flagged == {h.pk for h in planted.values()}
    consistent = VerificationReport.objects.filter(job=job, outcome=ReportOutcome.CONSISTENT)
    assert set(consistent.values_list("household_id", flat=True)) == {h.pk for h in honest}
    assert all(len(r.lines) == 11 and not r.items.exists() and len(r.all_lines()) == 11 for r in consistent)
    # The honest households' benefits are confirmed by the review; the planted ones wait for the approver.
    assert Review.objects.filter(outcome=Review.Outcome.CONFIRMED).count() == 6
    assert job.done == job.total == 10
    assert result["by_township"]["371424105000"] == {"checked": 3, "inconsistent": 1}


def test_each_township_sees_its_own_worklist(county, run_on_commit, client):
    _honest, planted = county
    admin = make_user("county_admin", LINYI_COUNTY)
    with run_on_commit(execute=True):
        job = batch_start(actor=admin, as_of=TODAY)
    xinglong = make_user("township_approver", XINGLONG_TOWN)
    assert [r.household_id for r in worklist(actor=xinglong, job=job)] == [planted["false_house"].pk]
    client.force_login(xinglong)
    page = client.get(reverse("checks:batch_detail", args=[job.pk]))
    assert page.status_code == 200
    assert planted["false_house"].number in page.content.decode()
    assert planted["false_vehicle"].number not in page.content.decode()
    assert client.get(reverse("checks:batch")).status_code == 200
    bulk = VerificationReport.objects.filter(job=job, outcome=ReportOutcome.CONSISTENT,
                                             region_code__startswith="371424105").first()
    page = client.get(reverse("checks:report", args=[bulk.pk]))
    assert page.status_code == 200 and page.content.decode().count("<tr class=\"\">") == 11
    assert len(client.get(f"/api/v1/checks/reports/{bulk.pk}").json()["items"]) == 11


def test_only_workers_with_the_run_permission_start_the_batch(db):
    with pytest.raises(Forbidden):
        batch_start(actor=make_user("village_worker", "371424100202"), as_of=TODAY)
    assert not Job.objects.filter(kind="checks.batch").exists()


def test_the_batch_restarts_the_streak_of_inconsistent_households(county, run_on_commit):
    from dajiuzhu.credit.models import ReviewStreak

    _honest, planted = county
    admin = make_user("county_admin", LINYI_COUNTY)
    with run_on_commit(execute=True):
        batch_start(actor=admin, as_of=TODAY)
    streaks = dict(ReviewStreak.objects.values_list("household_id", "consistent_cycles"))
    assert all(streaks[h.pk] == 0 for h in planted.values())
    assert sum(1 for cycles in streaks.values() if cycles == 1) == 6
