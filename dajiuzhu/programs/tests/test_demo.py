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


def test_screen_command():
    from io import StringIO

    from django.core.management import call_command

    make_household(LINYI_VILLAGE, facts={"monthly_wages": Decimal("200.00")})
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue

    ensure_demo_catalogue()
    out = StringIO()
    call_command("screen", "--region", "371424100", stdout=out)
    assert "screened 1 households of 371424100" in out.getvalue()
