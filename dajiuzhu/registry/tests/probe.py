"""The security probe's objects of the registry: a legal supporter of the 兴隆镇 household's head (see
dajiuzhu/api/tests/test_probe.py)."""

from __future__ import annotations

from dajiuzhu.core.testing import LINYI_COUNTY, make_user


def _supporter(world) -> None:
    from dajiuzhu.registry.models import Person
    from dajiuzhu.registry.services import supporter_add

    admin = make_user("county_admin", LINYI_COUNTY, username="probe-registry-admin")
    supporter = supporter_add(actor=admin, person=Person.objects.get(pk=world.ids["person"]), relation="child",
                              name="探针乙赡养人", residence_region_code="371424105276")
    world.ids["supporter"] = supporter.pk
    world.objects.append(supporter)
    world.markers.append("探针乙赡养人")


PROBE_OBJECTS = {"supporter": _supporter}

PROBE_PARAMS = {"supporter_id": "supporter"}
