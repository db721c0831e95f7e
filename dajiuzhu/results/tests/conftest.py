import datetime as dt
from decimal import Decimal

import pytest

from dajiuzhu.core.testing import LINYI_TOWN, LINYI_VILLAGE, LINYI_VILLAGE_2, make_household, make_user
from dajiuzhu.results.benefits import Benefit


def benefit_for(household, item_code="dibao", amount="720.00", *, tier="dibao", status="approved", case_item_id=None,
                persons=2):
    return Benefit(household_id=household.pk, item_code=item_code, amount=Decimal(amount),
                   region_code=household.region_code, item_name={"dibao": "最低生活保障", "tekun": "特困人员供养"}
                   .get(item_code, item_code), category="living", tier=tier, persons=persons,
                   payee_id=household.head_id, case_item_id=case_item_id, status=status)


@pytest.fixture
def month():
    today = dt.date.today()
    return today.replace(day=1)


@pytest.fixture
def town_households():
    return [make_household(LINYI_VILLAGE if i % 2 else LINYI_VILLAGE_2) for i in range(5)]


@pytest.fixture
def handler():
    return make_user("township_handler", LINYI_TOWN)


@pytest.fixture
def approver():
    return make_user("township_approver", LINYI_TOWN)
