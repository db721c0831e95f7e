"""Screening the registry: the job, the stored results and their selector."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dajiuzhu.core.errors import Forbidden
from dajiuzhu.core.models import Job
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    LINYI_VILLAGE,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
    member_input,
)
from dajiuzhu.programs.catalogue import ensure_demo_catalogue
from dajiuzhu.programs.facts import facts_for
from dajiuzhu.programs.jobs import screening_start
from dajiuzhu.programs.screening import screen, screening_frame
from dajiuzhu.programs.selectors import screening_hits
from dajiuzhu.programs.services import item_evaluate_many

pytestmark = pytest.mark.django_db


@pytest.fixture
def households():
    ensure_demo_catalogue()
    poor = make_household(LINYI_VILLAGE, members=[
        member_input("王五", age=50), member_input("赵六", relation="spouse", sex="F", age=48),
        member_input("王小", relation="child", age=10)], facts={"monthly_wages": Decimal("900.00")})
    well_off = make_household(LINYI_VILLAGE, facts={"monthly_wages": Decimal("9000.00")})
    elsewhere = make_household(XINGLONG_VILLAGE, facts={"monthly_wages": Decimal("100.00")})
    return poor, well_off, elsewhere


def test_screening_the_registry_agrees_with_item_evaluate(households):
    on = timezone.localdate()
    frame = screening_frame(on=on, region_prefix="371424")
    from dajiuzhu.programs.models import AssistanceItem

    items = list(AssistanceItem.objects.all())
    result = screen(frame, items)
    for i, hid in enumerate(frame.household_ids):
        facts = facts_for(household_id=int(hid), on=on)
        for evaluation in item_evaluate_many(items=items, facts=facts, on=on, region_code=str(frame.region_codes[i])):
            assert bool(result.eligible[evaluation.item_code][i]) == evaluation.eligible
            assert result.amount(evaluation.item_code, i) == evaluation.amount


def test_the_screening_job_stores_eligible_pairs_for_the_missed_check(households, run_on_commit):
    poor, well_off, elsewhere = households
    handler = make_user("township_handler", LINYI_TOWN)
    with run_on_commit(execute=True):
        job = screening_start(actor=handler, region_prefix="371424100")
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert job.result["households"] == 2
    hits = screening_hits(region_prefix="371424100")
    dibao = hits.get(household=poor, item__code="dibao")
    assert dibao.amount == Decimal("1260.00") and dibao.screened_on == timezone.localdate()
    assert not hits.filter(household=well_off, item__code="dibao").exists()
    # Items whose decisive condition is not in the data (legal aid needs a case) are not proposed.
    assert not hits.filter(item__code="legal_aid").exists()
    assert not screening_hits(region_prefix="371424105").exists()  # 兴隆镇 was not screened


def test_a_new_screening_replaces_the_region_results(households, run_on_commit):
    admin = make_user("county_admin", LINYI_COUNTY)
    with run_on_commit(execute=True):
        screening_start(actor=admin, region_prefix="371424")
    first = screening_hits().count()
    with run_on_commit(execute=True):
        screening_start(actor=admin, region_prefix="371424", on=timezone.localdate() + dt.timedelta(days=1))
    assert screening_hits().count() == first
    assert set(screening_hits().values_list("screened_on", flat=True)) == {timezone.localdate() + dt.timedelta(days=1)}


@pytest.mark.parametrize("role, region", [("township_handler", "371424105"), ("village_worker", "371424100"),
                                          ("supervisor", "371424")])
def test_screening_outside_the_jurisdiction_or_role_is_refused(households, role, region):
    user = make_user(role, LINYI_TOWN if role != "village_worker" else LINYI_VILLAGE)
    with pytest.raises(Forbidden):
        screening_start(actor=user, region_prefix=region)
    assert not Job.objects.filter(kind="programs.screen").exists()


def test_screening_one_township_keeps_the_results_of_another(households, run_on_commit):
    poor, well_off, elsewhere = households
    admin = make_user("county_admin", LINYI_COUNTY)
    with run_on_commit(execute=True):
        screening_start(actor=admin, region_prefix="371424105")
    with run_on_commit(execute=True):
        screening_start(actor=admin, region_prefix="371424100")
    assert screening_hits(region_prefix="371424105").filter(household=elsewhere).exists()
    assert screening_hits(region_prefix="371424100").filter(household=poor).exists()
    with run_on_commit(execute=True):
        screening_start(actor=admin, region_prefix="371424100")
    assert screening_hits(region_prefix="371424105").filter(household=elsewhere).exists()
    assert screening_hits(region_prefix="371424100").filter(household=poor, item__code="dibao").count() == 1
