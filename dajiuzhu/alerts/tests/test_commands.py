"""Commands and jobs: one job per county, a township on demand, idempotent re-runs; query counts."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from dajiuzhu.alerts.models import Alert
from dajiuzhu.core.models import Job
from dajiuzhu.core.testing import LINYI_VILLAGE, make_user
from dajiuzhu.indices.models import IndexScore

from . import scenario as sc

pytestmark = pytest.mark.django_db


def run(capture, *args, **kwargs):
    with capture(execute=True):
        call_command(*args, **kwargs)


def test_commands_run_one_job_per_county_and_rerun_changes_nothing(django_capture_on_commit_callbacks):
    c = django_capture_on_commit_callbacks
    s = sc.build()
    sc.flood(s)
    run(c, "run_indices", date=s.today)
    run(c, "scan_alerts", date=s.today, escalate=True)
    assert Job.objects.filter(kind="indices.compute", region_code="371424", status="done").count() == 1
    assert Job.objects.filter(kind="alerts.scan", status="done").count() == 1
    assert IndexScore.objects.filter(on=s.today).count() == 6
    alerts = list(Alert.objects.values())
    run(c, "run_indices", date=s.today)
    run(c, "scan_alerts", date=s.today)
    assert list(Alert.objects.values()) == alerts
    assert IndexScore.objects.filter(on=s.today).count() == 6


def test_a_township_on_demand(django_capture_on_commit_callbacks):
    s = sc.build()
    run(django_capture_on_commit_callbacks, "run_indices", date=s.today, region="371424105")
    assert set(IndexScore.objects.values_list("region_code", flat=True)) == {s.disaster.region_code,
                                                                             s.stable[1].region_code}


def test_inbox_query_count_does_not_grow_with_alerts(client, django_assert_max_num_queries,
                                                     django_capture_on_commit_callbacks):
    worker = make_user("village_worker", LINYI_VILLAGE)
    s = sc.build()
    run(django_capture_on_commit_callbacks, "scan_alerts", date=s.today)
    assert Alert.objects.filter(assigned_to=worker).count() == 2
    client.force_login(worker)
    client.get(reverse("alerts:inbox"))  # warm caches (nav, session)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("alerts:inbox"))
    assert response.status_code == 200
