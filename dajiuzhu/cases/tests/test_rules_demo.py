"""The demo of issue 16: a fire granted the top grade with an urgent sum at once, a 特困 refusal because of
a capable son in another township."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from dajiuzhu.accounts.demo import ensure_demo_accounts
from dajiuzhu.cases import demo_rules
from dajiuzhu.cases.models import UrgentGrant
from dajiuzhu.core.demo import DemoContext
from dajiuzhu.core.testing import LINYI_VILLAGE, make_household
from dajiuzhu.programs.catalogue import ensure_demo_catalogue
from dajiuzhu.registry.models import HouseholdEvent, Supporter

pytestmark = pytest.mark.django_db


def test_rules_demo_shows_the_fire_and_the_capable_son():
    today = timezone.localdate()
    ensure_demo_accounts()
    ensure_demo_catalogue(today=today)
    make_household(LINYI_VILLAGE, as_of=today - dt.timedelta(days=5))
    ctx = DemoContext(rng=random.Random(1), today=today, people=100, log=lambda message: None)
    demo_rules.seed(ctx)
    event = HouseholdEvent.objects.get()
    item = event.household.cases.get().items.get(item__code="temp_emergency")
    assert item.item.code == "temp_emergency" and item.status == "approved" and item.amount == 7200
    assert UrgentGrant.objects.get().amount == 2000
    supporter = Supporter.objects.get()
    tekun = supporter.person.household.cases.get().items.get(item__code="tekun")
    assert tekun.item.code == "tekun" and tekun.status == "refused"
    assert tekun.facts_used["applicant_able_supporters"] == "1"
    demo_rules.seed(ctx)  # idempotent
    assert HouseholdEvent.objects.count() == 1
