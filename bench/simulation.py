"""Simulating a standard's change (政策模拟) over the registry: the rural 低保 standard 720 → 760.

The timed part is ``programs.simulation.simulate_frame``: the items the change reaches (those naming
``std.dibao`` and those using a tier such an item confers) screened twice with the vectorised evaluator
(the standards in force, then the proposed one) and compared — gains and losses of households and people,
monthly and yearly spending by item and township, a sample of affected households with reasons. The
frame is a synthetic numpy frame of the given size (``bench.screening.synthetic_frame``; reading the
registry frame is the screening benchmark's figure and is the same read). Target: ≤ 2 s at a million
people on 2 cores.

Standalone: ``python -m bench --only simulation --people 1000000``.
"""

from __future__ import annotations

import time
from decimal import Decimal

TITLE = "Simulating a standard's change over the registry (政策模拟)"
POSTGRES_ONLY = False
TARGET_SECONDS_PER_MILLION = 2.0


def run(people: int, **context) -> dict:
    from django.utils import timezone

    from bench.screening import synthetic_frame
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue
    from dajiuzhu.programs.evaluation import compiled
    from dajiuzhu.programs.simulation import _items, _tier_items, reached, simulate_frame

    county = context.get("county", "371424")
    seed = int(context.get("seed", 371424))
    on = timezone.localdate()
    ensure_demo_catalogue(county_code=county, today=on)
    frame = synthetic_frame(people, seed=seed, county=county, on=on)
    people_in_frame = int(frame.columns["household_size"].sum())
    items, tiers = [compiled(i) for i in _items()], _tier_items()
    change = (county, "rural", "dibao", Decimal("760"))
    simulate_frame(frame, standard=change, items=items, tier_items=tiers)  # warm up: compile, read standards
    started = time.perf_counter()
    effect = simulate_frame(frame, standard=change, items=items, tier_items=tiers)
    seconds = time.perf_counter() - started
    target = TARGET_SECONDS_PER_MILLION * people_in_frame / 1e6
    return {
        "figures": [
            {"name": "simulation of rural 低保 720 → 760", "value": round(seconds, 3), "unit": "s",
             "target": round(target, 3), "better": "lower"},
            {"name": "simulation per million people", "value": round(seconds * 1e6 / max(people_in_frame, 1), 3),
             "unit": "s", "target": TARGET_SECONDS_PER_MILLION, "better": "lower"},
            {"name": "items reached by the change", "value": len(reached(items, tiers, standard="dibao")), "unit": ""},
            {"name": "households", "value": len(frame), "unit": ""},
            {"name": "people", "value": people_in_frame, "unit": ""},
            {"name": "households gaining", "value": effect["gain_households"], "unit": ""},
            {"name": "households losing", "value": effect["loss_households"], "unit": ""},
        ],
        "notes": (f"Synthetic numpy frame of {len(frame):,} households; the change reaches "
                  f"{len(reached(items, tiers, standard='dibao'))} of {len(items)} screened items; monthly "
                  f"spending change {effect['monthly_change']} yuan."),
    }
