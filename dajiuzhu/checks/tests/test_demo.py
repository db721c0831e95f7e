"""The demo seeds of credit and checks on a small synthetic county with recipients from the cases service."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from dajiuzhu.core.demo import DemoContext
from dajiuzhu.core.models import Job

pytestmark = pytest.mark.django_db


def test_demo_plants_false_declarations_and_the_review_finds_exactly_them(catalogue):
    from dajiuzhu.accounts.demo import ensure_demo_accounts
    from dajiuzhu.cases.models import ItemStatus
    from dajiuzhu.cases.services import application_submit
    from dajiuzhu.checks import demo as checks_demo
    from dajiuzhu.checks.models import ReportOutcome, VerificationReport
    from dajiuzhu.credit import demo as credit_demo
    from dajiuzhu.credit.models import DishonestyRecord
    from dajiuzhu.programs.facts import facts_for
    from dajiuzhu.programs.services import item_evaluate
    from dajiuzhu.registry.models import Household
    from dajiuzhu.registry.synthetic import load_county

    today = timezone.localdate()
    load_county(people=1200, seed=7, county="371424", today=today, log=lambda message: None)
    ensure_demo_accounts()
    from dajiuzhu.accounts.models import User

    admin = User.objects.get(username="county_admin")
    recipients = []
    for household in Household.objects.filter(head__isnull=False).order_by("id"):
        facts = facts_for(household_id=household.pk, on=today)
        if facts.get("has_facts") and item_evaluate(item="dibao", facts=facts, on=today,
                                                    region_code=household.region_code).eligible:
            case = application_submit(actor=admin, household=household, item_codes=["dibao"], promise_signed=True,
                                      authorisation_signed=True, on=today - dt.timedelta(days=60))
            if case.items.filter(item__code="dibao", status=ItemStatus.APPROVED).exists():
                recipients.append(household.pk)
        if len(recipients) >= 25:
            break
    assert len(recipients) >= 15

    ctx = DemoContext(rng=random.Random(5), today=today, people=1200, log=lambda message: None)
    credit_demo.seed(ctx)
    assert DishonestyRecord.objects.filter(status__in=["expired", "lifted"]).count() == 2
    checks_demo.seed(ctx)
    planted = {h for kind in ("false_vehicle", "false_wages", "false_house", "false_dead_member")
               for h in ctx.planted[kind]}
    assert len(planted) == 10 and planted <= set(recipients)
    job = Job.objects.get(kind="checks.batch")
    assert job.status == Job.Status.DONE, job.message
    flagged = set(VerificationReport.objects.filter(job=job, outcome=ReportOutcome.INCONSISTENT)
                  .values_list("household_id", flat=True))
    assert flagged == planted
    assert job.result["consistent"] == job.result["households"] - len(planted) and job.result["inconsistent"] == 10
    # The false declaration's record is proposed: the family's answer period runs first (告知与申辩).
    revoked = DishonestyRecord.objects.get(source="case", status="proposed")
    assert revoked.answer_due > today and revoked.notices.get().kind == "hearing"
    assert revoked.household_id in ctx.planted["false_vehicle"] and revoked.evidence_report_id
    assert DishonestyRecord.objects.filter(source="department_list").count() == 2
