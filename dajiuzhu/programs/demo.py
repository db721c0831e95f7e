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
    _simulation(ctx)


def _simulation(ctx: DemoContext) -> None:
    """Raising the rural 低保 standard by 40 yuan, simulated on the demo registry and left unsaved (政策模拟)."""
    from dajiuzhu.accounts.models import User

    from .models import Simulation, Standard
    from .simulation import simulation_standard

    admin = User.objects.filter(username="county_admin").first()
    current = Standard.objects.filter(county_code=ctx.county_code, area="rural", name="dibao",
                                      year__lte=ctx.today.year).order_by("-year").first()
    if admin is None or current is None or Simulation.objects.exists():
        return
    simulation = simulation_standard(actor=admin, county_code=ctx.county_code, year=ctx.today.year, area="rural",
                                     name="dibao", amount=current.amount + 40)
    ctx.log(f"programs: simulated rural 低保 {current.amount:.0f} → {current.amount + 40:.0f}: "
            f"{simulation.summary['gain_households']} households gain, monthly "
            f"{simulation.summary['monthly_change']} yuan (simulation {simulation.pk}, not saved)")
