"""The demo data of the cases app: deterministic, decided cases, pending ones at the steps, refusals."""

from __future__ import annotations

import random

import pytest

from dajiuzhu.cases.models import Case, CaseStatus, ItemStatus
from dajiuzhu.cases.selectors import active_benefits
from dajiuzhu.core.demo import DemoContext
from dajiuzhu.core.models import AuditEvent

from .conftest import today

pytestmark = pytest.mark.django_db


def test_demo_seed_creates_decided_pending_and_refused_cases(catalogue):
    from dajiuzhu.accounts.demo import ensure_demo_accounts
    from dajiuzhu.cases import demo
    from dajiuzhu.programs.screening import screen_region
    from dajiuzhu.registry.synthetic import load_county

    ensure_demo_accounts()
    result = load_county(people=600, today=today())
    screen_region(actor=None, region_prefix="371424", on=today())
    ctx = DemoContext(rng=random.Random(7), today=today(), people=600, log=lambda message: None,
                      planted={k: v for k, v in result.planted.items()})
    demo.seed(ctx)
    ids = ctx.shared["cases"]
    assert ids and Case.objects.filter(pk__in=ids).count() == len(ids)
    statuses = set(Case.objects.values_list("status", flat=True))
    assert CaseStatus.DECIDED in statuses and CaseStatus.ACCEPTED in statuses
    assert active_benefits(on=today()).exists()
    assert Case.objects.filter(items__status=ItemStatus.REFUSED).exists()
    assert AuditEvent.objects.filter(action="cases.demo_batch").exists()
    # Running it again does nothing.
    demo.seed(ctx)
    assert Case.objects.count() == len(ids)
