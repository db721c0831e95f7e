"""The monthly run fanned out per township gives exactly what one job for the county gives."""

from __future__ import annotations

import datetime as dt

import pytest

from dajiuzhu.core.models import Job
from dajiuzhu.indices.jobs import fan_out_prefixes, indices_fan_out
from dajiuzhu.indices.models import IndexScore, RosterEntry, RosterEvent
from dajiuzhu.indices.services import index_models_bootstrap
from dajiuzhu.registry.models import Household
from dajiuzhu.registry.synthetic import load_county

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 15)


def _stored() -> dict:
    return {
        "scores": sorted(IndexScore.objects.values_list("household_id", "on", "hardship", "hardship_band",
                                                        "development", "development_band", "region_code")),
        "entries": sorted(RosterEntry.objects.values_list("household_id", "tier", "since", "until")),
        "events": sorted(RosterEvent.objects.values_list("household_id", "tier", "kind", "on")),
    }


def test_township_jobs_store_what_the_county_job_stores(settings, django_capture_on_commit_callbacks):
    load_county(people=400, seed=11, today=TODAY)
    index_models_bootstrap()
    townships = sorted({code[:9] for code in Household.objects.values_list("region_code", flat=True)})
    assert len(townships) > 1
    assert fan_out_prefixes("371424", level="township") == townships
    assert fan_out_prefixes("371424", level="county") == ["371424"]
    assert fan_out_prefixes(townships[0], level="county") == [townships[0]]  # narrower than the level: itself
    assert fan_out_prefixes("37", level="county") == ["371424"]

    settings.FAN_OUT_LEVEL = "township"
    with django_capture_on_commit_callbacks(execute=True):
        jobs = indices_fan_out(on=TODAY, region_prefix="371424", backend="inline")
    assert sorted(job.region_code for job in jobs) == townships
    assert set(Job.objects.filter(pk__in=[j.pk for j in jobs]).values_list("status", flat=True)) == {Job.Status.DONE}
    per_township = _stored()
    assert len(per_township["scores"]) == Household.objects.count() and per_township["entries"]

    IndexScore.objects.all().delete()
    RosterEntry.objects.all().delete()
    RosterEvent.objects.all().delete()
    settings.FAN_OUT_LEVEL = "county"
    with django_capture_on_commit_callbacks(execute=True):
        (job,) = indices_fan_out(on=TODAY, region_prefix="371424", backend="inline")
    assert job.region_code == "371424"
    assert _stored() == per_township
