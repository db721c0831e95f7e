"""The security probe's objects of cases: an urgent grant (先行救助) paid by 兴隆镇 awaiting its paperwork (see
dajiuzhu/api/tests/test_probe.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone


def _urgent_grant(world) -> None:
    from dajiuzhu.cases.models import Case, UrgentGrant
    from dajiuzhu.registry.models import Household

    household = Household.objects.get(pk=world.ids["household"])
    case = Case.objects.create(number="PROBE-XL-URGENT", household=household, applicant=household.head,
                               region_code=household.region_code, accepted_region_code="371424105000")
    today = timezone.localdate()
    grant = UrgentGrant.objects.create(case=case, township_code="371424105000", region_code=household.region_code,
                                       amount=Decimal("500.00"), granted_on=today,
                                       paperwork_due=today + dt.timedelta(days=5))
    world.ids["urgent_grant"] = grant.pk
    world.objects += [case, grant]
    world.markers.append("PROBE-XL-URGENT")


def _worklist_entry(world) -> None:
    """A missed-assistance finding of the county-wide check about the 兴隆镇 household."""
    from dajiuzhu.cases.models import WorklistEntry
    from dajiuzhu.core.models import Job
    from dajiuzhu.registry.models import Household

    household = Household.objects.get(pk=world.ids["household"])
    job = Job.objects.get(pk=world.ids["job"])
    entry = WorklistEntry.objects.create(job=job, township_code="371424105000", region_code=household.region_code,
                                         kind=WorklistEntry.Kind.MISSED, household=household,
                                         person=household.head, item_codes=["dibao"],
                                         detail="探针乙的遗漏救助发现")
    world.ids["worklist_entry"] = entry.pk
    world.objects.append(entry)
    world.markers.append("探针乙的遗漏救助发现")


PROBE_OBJECTS = {"urgent_grant": _urgent_grant, "worklist_entry": _worklist_entry}

PROBE_PARAMS = {"grant_id": "urgent_grant", "entry_id": "worklist_entry"}
