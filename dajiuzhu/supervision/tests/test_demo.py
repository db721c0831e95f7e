"""The demo data of flat management: a second county, the accounts above the county, overdue steps,
a spot check with a difference, certificates and complaints — and running it twice adds nothing."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from dajiuzhu.core.demo import DemoContext

pytestmark = pytest.mark.django_db


def test_demo_seed(catalogue, monkeypatch):
    from dajiuzhu.accounts.demo import ensure_demo_accounts
    from dajiuzhu.accounts.models import User
    from dajiuzhu.cases import demo as cases_demo
    from dajiuzhu.programs.screening import screen_region
    from dajiuzhu.registry.models import Household
    from dajiuzhu.registry.synthetic import load_county
    from dajiuzhu.supervision import demo
    from dajiuzhu.supervision.models import Certificate, Complaint, OverdueStep, SpotCheck

    monkeypatch.setattr(demo, "SECOND_PEOPLE", 300)
    monkeypatch.setattr(demo, "SECOND_FROM", 600)
    today = timezone.localdate()
    ensure_demo_accounts()
    result = load_county(people=600, today=today)
    screen_region(actor=None, region_prefix="371424", on=today)
    ctx = DemoContext(rng=random.Random(7), today=today, people=600, log=print,
                      planted={k: v for k, v in result.planted.items()})
    cases_demo.seed(ctx)
    demo.seed(ctx)
    assert Household.objects.filter(region_code__startswith="371403").exists()
    assert User.objects.filter(username="dezhou_city", role="city_supervisor").exists()
    assert OverdueStep.objects.filter(closed_at__isnull=True).count() >= 1
    assert Certificate.objects.filter(user__username="county_approver").exists()
    assert Complaint.objects.filter(status="closed").count() == 1 and Complaint.objects.filter(kind="tip").exists()
    if SpotCheck.objects.exists():
        assert SpotCheck.objects.filter(outcome="differs").count() == 1
    counts = (OverdueStep.objects.count(), Complaint.objects.count(), Household.objects.count())
    demo.seed(ctx)
    assert (OverdueStep.objects.count(), Complaint.objects.count(), Household.objects.count()) == counts
