"""Demo data of the dashboards: compute the figures once the other apps have seeded theirs."""

from __future__ import annotations

from dajiuzhu.core.demo import DemoContext


def seed(ctx: DemoContext) -> None:
    from django.db import transaction

    from .services import dashboards_refresh

    with transaction.atomic():
        refresh = dashboards_refresh()
    ctx.log(f"dashboards: {refresh.figures:,} figures in {refresh.seconds:.1f} s from {', '.join(refresh.sources)}")
