"""The demo seed: catalogue, standards and a screening of the county."""

import random
from decimal import Decimal

import pytest

from dajiuzhu.core.demo import DemoContext
from dajiuzhu.core.testing import LINYI_VILLAGE, make_household
from dajiuzhu.programs import demo
from dajiuzhu.programs.models import AssistanceItem, ScreeningRun, Standard

pytestmark = pytest.mark.django_db


def test_seed_builds_the_catalogue_and_screens_the_county():
    poor = make_household(LINYI_VILLAGE, facts={"monthly_wages": Decimal("200.00")})
    ctx = DemoContext(rng=random.Random(1), log=lambda message: None)
    demo.seed(ctx)
    demo.seed(ctx)  # idempotent
    assert AssistanceItem.objects.count() == 44
    assert Standard.objects.filter(county_code="371424", name="dibao", area="rural").count() == 2
    run = ScreeningRun.objects.latest("created_at")
    assert run.households == 1 and run.results.filter(household=poor, item__code="dibao").exists()
