"""The security probe's objects of programs: a policy simulation. Simulations are county-wide (a county's
standards and rules), so the other jurisdiction of one is another county: 陵城区 (see
dajiuzhu/api/tests/test_probe.py)."""

from __future__ import annotations

from django.utils import timezone


def _simulation(world) -> None:
    from dajiuzhu.programs.models import Simulation

    today = timezone.localdate()
    simulation = Simulation.objects.create(
        kind=Simulation.Kind.values[0], county_code="371403", region_prefix="371403", on=today, year=today.year,
        changes={"name": "探针乙县标准"}, households=1, people=2,
        sample=[{"household": "探针乙县样本户", "number": "PROBE-LC-1"}])
    world.ids["simulation"] = simulation.pk
    world.objects.append(simulation)
    world.markers += ["探针乙县标准", "探针乙县样本户", "PROBE-LC-1"]


PROBE_OBJECTS = {"simulation": _simulation}

PROBE_PARAMS = {"simulation_id": "simulation", "programs:simulation_detail:pk": "simulation"}
