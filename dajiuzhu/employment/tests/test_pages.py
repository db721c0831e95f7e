import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, LINYI_VILLAGE, make_household, make_user, member_input
from dajiuzhu.employment import services
from dajiuzhu.employment.models import Placement, Wage
from dajiuzhu.social.tests.conftest import give_benefit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return make_user("county_admin", LINYI_COUNTY)


@pytest.fixture
def job(admin):
    from dajiuzhu.accounts.departments import ensure_departments
    from dajiuzhu.accounts.models import Department

    ensure_departments()
    return services.job_create(actor=admin, title="道路养护员", region_code=LINYI_VILLAGE,
                               department=Department.objects.get(code="hr_social_security"), hours_per_month=80,
                               monthly_pay="900.00", start=timezone.localdate() - dt.timedelta(days=30))


@pytest.fixture
def candidate():
    household = make_household(LINYI_VILLAGE, members=[member_input("周建国", age=45, labour="full",
                                                                   employment="unemployed")])
    give_benefit(household)
    return household.members.get()


def test_a_township_places_a_candidate_from_the_roster_and_records_a_wage(client, job, candidate):
    client.force_login(make_user("township_handler", LINYI_TOWN))
    page = client.get(reverse("employment:job", args=[job.pk]))
    assert "周建国" in page.content.decode()
    today = timezone.localdate()
    response = client.post(reverse("employment:job", args=[job.pk]), {
        "person": candidate.pk, "start": today.replace(day=1).isoformat(), "contract_number": "GY-1",
        "contract_end": (today + dt.timedelta(days=300)).isoformat()})
    assert response.status_code == 302
    placement = Placement.objects.get()
    response = client.post(reverse("employment:placement", args=[placement.pk]), {
        "form": "wage", "month": f"{today:%Y-%m}", "days_worked": 20, "amount": "900.00"})
    assert response.status_code == 302 and Wage.objects.count() == 1
    for name in ("employment:overview", "employment:jobs", "employment:courses"):
        assert client.get(reverse(name)).status_code == 200
    assert client.get(reverse("employment:overview") + "?format=xlsx").status_code == 200
    assert client.get(reverse("registry:household_detail", args=[candidate.household_id])).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "wrong_region", "wrong_role"])
def test_a_post_outside_reach_is_refused_and_nothing_changes(client, job, candidate, who):
    if who == "wrong_region":
        client.force_login(make_user("township_handler", "371424105000"))
    elif who == "wrong_role":
        client.force_login(make_user("social_org", LINYI_COUNTY))
    today = timezone.localdate()
    response = client.post(reverse("employment:job", args=[job.pk]), {
        "person": candidate.pk, "start": today.isoformat(), "contract_number": "X",
        "contract_end": today.isoformat()})
    assert response.status_code in ((302,) if who == "anonymous" else (403, 404))
    assert not Placement.objects.exists()
