"""Demo data of the catalogue: categories, standards and the 44 demo items."""

from __future__ import annotations

from dajiuzhu.core.demo import DemoContext

from .catalogue import ensure_demo_catalogue


def seed(ctx: DemoContext) -> None:
    created = ensure_demo_catalogue(county_code=ctx.county_code, today=ctx.today)
    ctx.log(f"programs: {created} catalogue items")
    try:
        from .screening import screen_region
    except ImportError:  # screening arrives after the catalogue
        return
    run = screen_region(actor=None, region_prefix=ctx.county_code, on=ctx.today)
    ctx.log(f"programs: screened {run.households} households, {run.hits} eligible pairs in {run.seconds:.1f} s")
