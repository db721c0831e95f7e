"""A small factory-built county with the planted kinds of the demo: illness, death, job loss,
a disaster in one township, and stable households."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dajiuzhu.core.testing import (
    LINYI_VILLAGE,
    LINYI_VILLAGE_2,
    XINGLONG_TOWN,
    XINGLONG_VILLAGE,
    _system_admin,
    make_household,
    member_input,
)
from dajiuzhu.registry.services import household_facts_record, member_facts_record, person_record_death

STEADY = {"monthly_wages": Decimal("4000"), "deposits": Decimal("30000"), "annual_medical_expense": Decimal("800")}


@dataclasses.dataclass
class Scenario:
    today: dt.date
    before: dt.date
    changed: dt.date
    illness: object
    death: object
    job_loss: object
    disaster: object
    stable: list


def build() -> Scenario:
    today = timezone.localdate()
    before, changed = today - dt.timedelta(days=45), today - dt.timedelta(days=5)
    admin = _system_admin(LINYI_VILLAGE)

    def household(region, facts=STEADY, members=None):
        h = make_household(region, as_of=before, facts=facts, members=members or [
            member_input("张三", age=45, employment="employed"),
            member_input("李四", relation="spouse", sex="F", age=43, employment="farming")])
        household_facts_record(actor=admin, household=h, as_of=changed, values=facts)
        return h

    illness = household(LINYI_VILLAGE)
    member = illness.members.get(relation="spouse")
    member_facts_record(actor=admin, person=member, as_of=changed,
                        values={"health": "serious", "illness": "肺癌", "labour": "none", "employment": "not_working"})
    household_facts_record(actor=admin, household=illness, as_of=changed,
                           values={**STEADY, "annual_medical_expense": Decimal("60800")})

    death = household(LINYI_VILLAGE)
    person_record_death(actor=admin, person=death.members.get(relation="spouse"), on=changed)

    job_loss = household(LINYI_VILLAGE_2)
    head = job_loss.members.get(relation="head")
    member_facts_record(actor=admin, person=head, as_of=changed, values={"employment": "unemployed"})
    household_facts_record(actor=admin, household=job_loss, as_of=changed, values={**STEADY, "monthly_wages": Decimal("0")})

    disaster = household(XINGLONG_VILLAGE, facts={**STEADY, "housing": "c_class"})
    stable = [household(LINYI_VILLAGE_2), household(XINGLONG_VILLAGE)]
    return Scenario(today, before, changed, illness, death, job_loss, disaster, stable)


def flood(scenario: Scenario, actor=None):
    from dajiuzhu.alerts.services import disaster_record

    return disaster_record(actor=actor, region_code=XINGLONG_TOWN, kind="flood", occurred_on=scenario.changed,
                           description="暴雨洪涝")


def make_case(household) -> int:
    """An application of the household (a bare ``cases.Case`` row)."""
    from dajiuzhu.cases.models import Case

    case = Case.objects.create(number=f"T{household.pk:08d}", household=household, applicant=household.head,
                               region_code=household.region_code, accepted_region_code=household.region_code)
    return case.pk
