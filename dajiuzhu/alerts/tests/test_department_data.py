"""Signals from department data delivered through the checks app (same keys as the registry's)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dajiuzhu.alerts.models import Alert, AlertSignal
from dajiuzhu.alerts.scan import alerts_scan
from dajiuzhu.checks.delivery import delivery_receive
from dajiuzhu.core.testing import (
    LINYI_VILLAGE,
    XINGLONG_TOWN,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
    member_input,
)

pytestmark = pytest.mark.django_db


def deliver(department: str, data_type: str, rows: list[dict]):
    user = make_user("department", "371424000000", department=department)
    return delivery_receive(actor=user, data_type=data_type, rows=rows)


def person_row(person, as_of: dt.date, **values) -> dict:
    return {"id_number": person.id_number, "name": person.name, "as_of": as_of.isoformat(), **values}


def test_a_death_and_a_disaster_reported_by_departments_raise_alerts():
    today = timezone.localdate()
    earlier = today - dt.timedelta(days=60)
    family = make_household(LINYI_VILLAGE, as_of=earlier, facts={"monthly_wages": Decimal("4000")},
                            members=[member_input("周一", age=50, employment="employed"),
                                     member_input("周二", relation="spouse", sex="F", age=48)])
    flooded = make_household(XINGLONG_VILLAGE, as_of=earlier, facts={"monthly_wages": Decimal("4000"),
                                                                    "housing": "c_class"})
    spouse = family.members.get(relation="spouse")
    died = today - dt.timedelta(days=6)
    deliver("police", "death_registration", [person_row(spouse, died, death_date=died.isoformat())])
    deliver("emergency", "disaster", [{"region_code": XINGLONG_TOWN, "as_of": (today - dt.timedelta(days=2)).isoformat(),
                                       "kind": "洪涝", "severity": 2}])
    alerts_scan(on=today, region_prefix="371424")
    death = Alert.objects.get(household=family)
    assert [s["code"] for s in death.signals] == ["member_death"]
    assert AlertSignal.objects.filter(household=family, code="member_death", key=str(spouse.pk)).exists()
    disaster = Alert.objects.get(household=flooded)
    assert disaster.signals[0]["code"] == "disaster" and disaster.signals[0]["key"].startswith("checks:")
    assert disaster.signals[0]["params"]["kind"] == "洪涝"
