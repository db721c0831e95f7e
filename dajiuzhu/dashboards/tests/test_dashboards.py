import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    LINYI_VILLAGE,
    LINYI_VILLAGE_2,
    XINGLONG_TOWN,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
)
from dajiuzhu.dashboards.models import Figure
from dajiuzhu.dashboards.selectors import dashboard_data
from dajiuzhu.dashboards.services import dashboards_refresh
from dajiuzhu.results.models import Kind, Source
from dajiuzhu.results.services import RecordInput, assistance_record_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    admin = make_user("county_admin", LINYI_COUNTY)
    today = dt.date.today()
    month = today.replace(day=1)
    plan = [(LINYI_VILLAGE, "dibao", "720.00"), (LINYI_VILLAGE, "dibao", "500.00"),
            (LINYI_VILLAGE_2, "tekun", "1200.00"), (XINGLONG_VILLAGE, "dibao", "300.00")]
    out = []
    for region, item, amount in plan:
        household = make_household(region)
        data = RecordInput(item_code=item, given_on=today, amount=Decimal(amount), period_start=month, persons=2)
        out.append(assistance_record_create(actor=admin, household=household, data=data, source=Source.MANUAL)[0])
    household = make_household(LINYI_VILLAGE)
    service = RecordInput(item_code="home_care", item_name="居家照护", category="social", kind=Kind.SERVICE,
                          service_kind="居家照护", service_hours=Decimal("6"), given_on=today)
    out.append(assistance_record_create(actor=admin, household=household, data=service, source=Source.MANUAL)[0])
    return out


def test_refresh_adds_up_village_figures_into_township_county_and_city(records):
    dashboards_refresh()
    period = f"{dt.date.today():%Y-%m}"

    def value(prefix, metric, key=""):
        return Figure.objects.get(region_prefix=prefix, period=period, metric=metric, key=key).value

    assert value("371424100202", "spending", "living") == Decimal("1220.00")
    assert value("371424100", "spending", "living") == Decimal("2420.00")
    assert value("371424", "spending", "living") == Decimal("2720.00")
    assert value("3714", "spending", "living") == Decimal("2720.00")
    assert value("371424", "households_tier", "dibao") == 3
    assert value("371424", "persons_tier", "dibao") == 6
    assert value("371424100", "records_kind", "service") == 1
    assert value("371424100", "service_hours") == Decimal("6.00")
    assert Figure.objects.get(region_prefix="371424", period="", metric="registry_households").value == 5


def test_county_dashboard_drills_down_to_township_and_village(client, records):
    call_command("refresh_dashboards")
    user = make_user("county_admin", LINYI_COUNTY)
    client.force_login(user)
    county = client.get(reverse("dashboards:region", args=[LINYI_COUNTY]))
    assert county.status_code == 200
    township_url = reverse("dashboards:region", args=[LINYI_TOWN])
    assert township_url.encode() in county.content  # the chart's and the table's click target
    township = client.get(township_url)
    village_url = reverse("dashboards:region", args=[LINYI_VILLAGE])
    assert village_url.encode() in township.content
    village = client.get(village_url)
    assert village.status_code == 200
    assert village.context["data"]["summary"]["spending_month"] == 1220.0
    assert village.context["data"]["parent"]["url"] == township_url


def test_api_returns_the_same_figures_as_the_page(client, records):
    dashboards_refresh()
    user = make_user("township_handler", LINYI_TOWN)
    client.force_login(user)
    body = client.get(f"/api/v1/dashboards/{LINYI_TOWN}").json()
    page = dashboard_data(actor=user, code=LINYI_TOWN)
    assert body["summary"] == page["summary"]
    assert body["summary"]["spending_month"] == 2420.0
    assert {c["code"] for c in body["children"]} >= {LINYI_VILLAGE, LINYI_VILLAGE_2}


@pytest.mark.parametrize("who", ["anonymous", "other_township", "department", "county_for_city"])
def test_a_region_outside_the_jurisdiction_is_404_and_nothing_changes(client, records, who):
    dashboards_refresh()
    before = Figure.objects.count()
    target = LINYI_TOWN
    if who == "other_township":
        client.force_login(make_user("township_handler", XINGLONG_TOWN))
    elif who == "department":
        client.force_login(make_user("department", LINYI_COUNTY))
    elif who == "county_for_city":
        client.force_login(make_user("county_admin", LINYI_COUNTY))
        target = "371400000000"
    page = client.get(reverse("dashboards:region", args=[target]))
    api = client.get(f"/api/v1/dashboards/{target}")
    if who == "anonymous":
        assert page.status_code == 302 and api.status_code == 401
    else:
        assert page.status_code == 404 and api.status_code == 404
    assert Figure.objects.count() == before


def test_dashboard_reads_a_fixed_number_of_queries(records, django_assert_max_num_queries):
    dashboards_refresh()
    user = make_user("county_admin", LINYI_COUNTY)
    with django_assert_max_num_queries(8):
        data = dashboard_data(actor=user, code=LINYI_COUNTY)
    assert len(data["children"]) == 12


def test_refresh_job_is_enqueued_and_runs(run_on_commit, records):
    from dajiuzhu.core.jobs import job_enqueue

    with run_on_commit(execute=True):
        job = job_enqueue(kind="dashboards.refresh")
    job.refresh_from_db()
    assert job.status == "done" and job.result["figures"] > 0


def test_applications_decisions_and_new_cases_come_from_the_cases_app(run_on_commit, monkeypatch):
    cases_services = pytest.importorskip("dajiuzhu.cases.services")
    from django.utils import timezone

    from dajiuzhu.programs import evaluation
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue

    monkeypatch.setattr(evaluation, "_COMPILED", {})
    ensure_demo_catalogue()
    handler = make_user("township_handler", LINYI_TOWN)
    household = make_household(LINYI_VILLAGE, facts={"monthly_wages": Decimal("300.00")},
                               as_of=timezone.localdate() - dt.timedelta(days=5))
    with run_on_commit(execute=True):
        case = cases_services.application_submit(actor=handler, household=household, item_codes=["dibao"],
                                                 promise_signed=True, authorisation_signed=True)
    dashboards_refresh()
    data = dashboard_data(actor=handler, code=LINYI_TOWN)
    period = f"{case.created_at:%Y-%m}"
    index = data["cases_by_month"]["months"].index(period) if period in data["cases_by_month"]["months"] else -1
    assert index == -1 or data["cases_by_month"]["applications"][index] == 1
    assert Figure.objects.filter(region_prefix="371424100", metric="applications").exists()
    assert Figure.objects.filter(region_prefix="371424100", metric="decision_count").exists()
    assert {d["key"] for d in data["decisions"]} >= {"approved"}


def test_the_month_shown_is_the_last_complete_month_unless_asked(records):
    admin = make_user("county_admin", LINYI_COUNTY)
    household = make_household(LINYI_VILLAGE)
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    assistance_record_create(actor=admin, household=household, source=Source.MANUAL, data=RecordInput(
        item_code="dibao", amount=Decimal("100.00"), given_on=last_month, period_start=last_month))
    dashboards_refresh()
    default = dashboard_data(actor=admin, code=LINYI_COUNTY)
    assert default["period"] == f"{last_month:%Y-%m}" and default["summary"]["spending_month"] == 100.0
    current = dashboard_data(actor=admin, code=LINYI_COUNTY, period=f"{dt.date.today():%Y-%m}")
    assert current["summary"]["spending_month"] == 2720.0
    assert dashboard_data(actor=admin, code=LINYI_COUNTY, period="junk")["period"] == default["period"]


def test_the_beat_schedule_refreshes_the_figures(run_on_commit, records):
    from django.conf import settings

    from dajiuzhu.core.models import Job
    from dajiuzhu.dashboards.tasks import refresh_dashboards

    assert "dashboards-refresh" in settings.CELERY_BEAT_SCHEDULE
    with run_on_commit(execute=True):
        job_id = refresh_dashboards()
    assert Job.objects.get(pk=job_id).status in ("done", "queued", "running")


def test_a_village_worker_sees_the_village_dashboard_and_nothing_above(client, records):
    dashboards_refresh()
    client.force_login(make_user("village_worker", LINYI_VILLAGE))
    home = client.get(reverse("dashboards:home"))
    assert home.status_code == 302 and home["Location"].endswith(f"/{LINYI_VILLAGE}/")
    page = client.get(home["Location"])
    assert page.status_code == 200 and page.context["data"]["parent"] is None
    assert client.get(reverse("dashboards:region", args=[LINYI_TOWN])).status_code == 404
