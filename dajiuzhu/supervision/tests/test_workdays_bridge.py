"""The county's holiday calendar (supervision) serves the working-day periods of the lower apps."""

import datetime as dt

import pytest

from dajiuzhu.core.workdays import add_working_days
from dajiuzhu.supervision.models import Holiday

pytestmark = pytest.mark.django_db


def test_a_hearing_period_skips_the_county_s_national_day_holiday_and_counts_its_make_up_day():
    Holiday.objects.create(county_code="371424", name="国庆节", kind=Holiday.Kind.HOLIDAY,
                           starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2026, 10, 7))
    Holiday.objects.create(county_code="371424", name="国庆节调休", kind=Holiday.Kind.WORKDAY,
                           starts_on=dt.date(2026, 10, 10), ends_on=dt.date(2026, 10, 10))
    start = dt.date(2026, 9, 30)  # a Wednesday
    # 8 (Thu) and 9 (Fri) are working days, 10 (Sat) is a make-up working day, then 12 and 13.
    assert add_working_days(start, 5, region_code="371424105000") == dt.date(2026, 10, 13)
    # A county that keeps no calendar counts Monday to Friday.
    assert add_working_days(start, 5, region_code="371402000000") == dt.date(2026, 10, 7)
    assert add_working_days(start, 5) == dt.date(2026, 10, 7)
