"""Demo data of the indices: 12 monthly score snapshots and the roster of the demo county.

Each snapshot is the first day of one of the last 12 months (the dates of the synthetic
registry's monthly observations), and a last one on ``ctx.today``; the facts are read once
per date and shared by the scores and the roster. The roster is brought up to date on the last
three dates only (enough for dated entering/leaving events; the registry's frame read is most of
the time of a snapshot).
"""

from __future__ import annotations

import time

from dajiuzhu.core.demo import DemoContext
from dajiuzhu.registry.facts import household_frame
from dajiuzhu.registry.synthetic import month_starts

from .roster import roster_compute
from .services import index_models_bootstrap, index_scores_compute


def seed(ctx: DemoContext) -> None:
    started = time.perf_counter()
    index_models_bootstrap()
    prefix = ctx.county_code[:6]
    dates = month_starts(ctx.today, 12)
    if dates[-1] != ctx.today:
        dates.append(ctx.today)
    for index, on in enumerate(dates):
        frame = household_frame(on=on, region_prefix=prefix)
        counts = index_scores_compute(on=on, region_prefix=prefix, frame=frame)
        if index >= len(dates) - 3:
            roster_compute(on=on, region_prefix=prefix, frame=frame)
    ctx.log(f"indices: {len(dates)} snapshots of {counts.get('households', 0):,} households "
            f"({counts.get('poor', 0):,} multidimensionally poor now) in {time.perf_counter() - started:.1f} s")
