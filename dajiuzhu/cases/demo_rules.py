"""Demo of the policy rules (issue 16), run at the end of the cases demo:

- a fire recorded at the 临邑镇 window and decided at once at the top grade (10 × the monthly 低保
  standard), with 2,000 yuan paid at once from the township's reserve (先行救助, paperwork due);
- a 特困 application refused because a capable son, registered in 兴隆镇, supports his mother;
- (the checks demo proposes a dishonesty record that waits for the family's answer; the programs demo
  leaves the simulation of raising the rural 低保 standard, not yet saved, on the standards page).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from dajiuzhu.core.demo import DemoContext

from .emergency import emergency_apply
from .models import TownshipReserve

DEMO_TOWNSHIP = "371424100000"  # 临邑镇
OTHER_VILLAGE = "371424105276"  # 兴隆镇 兴隆村
RESERVE = Decimal("50000")


def _users():
    from dajiuzhu.accounts.models import User

    return (User.objects.filter(username="linyi_handler").first(), User.objects.filter(username="county_admin").first())


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    from dajiuzhu.registry.models import Household, HouseholdEvent
    from dajiuzhu.registry.services import household_register, supporter_add
    from dajiuzhu.registry.validation import MemberInput

    from .window import window_submit

    handler, admin = _users()
    if handler is None or admin is None or HouseholdEvent.objects.exists():
        return
    for township in (DEMO_TOWNSHIP, "371424105000"):
        TownshipReserve.objects.get_or_create(township_code=township, year=ctx.today.year,
                                              defaults={"amount": RESERVE})
    # The fire: a rural household of the township, its house burnt down.
    burnt = (Household.objects.filter(region_code__startswith=DEMO_TOWNSHIP[:9], region_code__gte="371424100200",
                                      head__isnull=False, head__deceased_on__isnull=True, facts__isnull=False)
             .order_by("id").first())
    if burnt is not None:
        case, _event, grant = emergency_apply(
            actor=handler, household=burnt, id_number=burnt.head.id_number,
            event={"kind": "fire", "occurred_on": ctx.today - dt.timedelta(days=1), "place": "村北住宅",
                   "loss": Decimal("46000"), "house": "lost", "description": "夜间电线老化起火，三间正房烧毁"},
            promise_signed=True, authorisation_signed=True, urgent_amount=Decimal("2000"),
            note="火灾急难救助（演示）")
        ctx.shared.setdefault("cases", []).append(case.pk)  # every demo case is listed there (cases.demo)
        ctx.log(f"cases: fire at household {burnt.number}: case {case.number}, urgent sum {grant.amount} paid, "
                f"paperwork due {grant.paperwork_due}")
    # The widow whose son in another township can support her: 特困 is refused.
    from dajiuzhu.core.ids import make_id_number

    def born(years: int) -> dt.date:
        return ctx.today.replace(year=ctx.today.year - years, day=1)

    son_household = household_register(
        actor=admin, region_code=OTHER_VILLAGE, as_of=ctx.today - dt.timedelta(days=3),
        members=[MemberInput(name="刘建军", id_number=make_id_number("371424", born(46), 931), birth_date=born(46),
                             sex="M", relation="head")],
        facts={"monthly_wages": Decimal("4800")})
    widow_household = household_register(
        actor=admin, region_code="371424100202", as_of=ctx.today - dt.timedelta(days=3),
        members=[MemberInput(name="刘王氏", id_number=make_id_number("371424", born(78), 942), birth_date=born(78),
                             sex="F", relation="head", labour="none")],
        facts={"monthly_wages": Decimal("260")})
    supporter_add(actor=handler, person=widow_household.head, relation="child",
                  id_number=son_household.head.id_number)
    case = window_submit(actor=handler, item_codes=["tekun"], facts={}, promise_signed=True, authorisation_signed=True,
                         household_id=widow_household.pk, note="特困申请（演示：有赡养能力的儿子）")
    ctx.shared.setdefault("cases", []).append(case.pk)
    ctx.log(f"cases: 特困 application {case.number} of 刘王氏: "
            f"{', '.join(ci.status for ci in case.items.all())} (capable son in 兴隆镇)")
