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


def _bulk_snapshot():
    from django.forms.models import model_to_dict

    from dajiuzhu.cases.models import CaseEvent, CaseItem, Signature

    def plain(obj, drop=("id", "case", "updated_at")):
        return tuple(sorted((k, repr(v)) for k, v in model_to_dict(obj).items() if k not in drop))

    cases = Case.objects.filter(number__contains="D").order_by("number")
    number = dict(cases.values_list("pk", "number"))
    return {
        "cases": [plain(c, drop=("id", "updated_at")) for c in cases],
        "items": sorted((number[i.case_id], plain(i, drop=("id", "case", "covered")),
                         tuple(sorted(i.covered.values_list("pk", flat=True))))
                        for i in CaseItem.objects.filter(case_id__in=number)),
        "signatures": sorted((number[s.case_id], plain(s)) for s in Signature.objects.filter(case_id__in=number)),
        "events": sorted((number[e.case_id], plain(e)) for e in CaseEvent.objects.filter(case_id__in=number)),
        "audit": sorted(repr(e.new) for e in AuditEvent.objects.filter(action="cases.demo_batch")),
    }


def test_the_copy_path_of_the_demo_writes_exactly_what_bulk_create_writes(catalogue, monkeypatch):
    """PostgreSQL writes the year of approved cases with COPY; it must equal the bulk_create path."""
    from django.db import connection, transaction

    from dajiuzhu.accounts.demo import ensure_demo_accounts
    from dajiuzhu.cases import demo
    from dajiuzhu.programs.screening import screen_region
    from dajiuzhu.registry.synthetic import load_county

    if connection.vendor != "postgresql":
        pytest.skip("COPY is the PostgreSQL path")
    ensure_demo_accounts()
    result = load_county(people=600, today=today())
    screen_region(actor=None, region_prefix="371424", on=today())
    original = demo._bulk_approved
    snapshots = []
    monkeypatch.setattr(demo, "BATCH", 50)  # several batches
    for fast in (False, True):
        monkeypatch.setattr(demo, "_bulk_approved", lambda *a, fast=fast, **k: original(*a, fast=fast, **k))
        with transaction.atomic():
            ctx = DemoContext(rng=random.Random(7), today=today(), people=600, log=lambda message: None,
                              planted={k: v for k, v in result.planted.items()})
            demo.seed(ctx)
            snapshots.append(_bulk_snapshot())
            transaction.set_rollback(True)
    assert snapshots[0]["cases"] and snapshots[0]["items"] and len(snapshots[0]["audit"]) > 1
    assert snapshots[1] == snapshots[0]
