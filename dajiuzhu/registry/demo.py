"""Demo data of the registry: the synthetic county and two resident accounts linked to it."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from dajiuzhu.core.demo import DemoContext

from .models import Household, Person
from .synthetic import DEFAULT_SEED, load_county

# Residents of the demo village (张法古村) and of 兴隆镇, so the portal can be tried from both sides.
RESIDENT_VILLAGES = (("resident_zhang", "371424100202"), ("resident_xinglong", "371424105"))


def seed(ctx: DemoContext) -> None:
    seed_value = int(ctx.shared.get("seed", DEFAULT_SEED))
    result = load_county(people=ctx.people, seed=seed_value, county=ctx.county_code, today=ctx.today,
                         log=ctx.log)
    for kind, ids in result.planted.items():
        ctx.planted.setdefault(kind, []).extend(ids)
    ctx.shared["registry"] = {k: v for k, v in result.as_dict().items() if k != "planted"}
    ctx.log(f"registry: {result.households:,} households, {result.people:,} people, "
            f"{result.household_facts:,} monthly household observations, {result.member_facts:,} member observations "
            f"in {result.seconds:.1f} s; planted: "
            + ", ".join(f"{kind} {len(ids)}" for kind, ids in sorted(result.planted.items())))
    for user in ensure_resident_accounts():
        ctx.log(f"resident account {user.username} → household {user.full_name}")


@transaction.atomic
def ensure_resident_accounts() -> list:
    """Resident (role ``resident``) accounts linked by blind index to the head of a demo household."""
    from dajiuzhu.accounts.models import User

    users = []
    for username, prefix in RESIDENT_VILLAGES:
        household = (Household.objects.filter(region_code__startswith=prefix, head__isnull=False,
                                              head__deceased_on__isnull=True)
                     .select_related("head").order_by("id").first())
        if household is None:
            continue
        head: Person = household.head
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"full_name": head.name, "role": "resident", "region_id": household.region_code,
                      "person_id_hash": head.id_hash},
        )
        if not created:
            user.full_name, user.region_id, user.person_id_hash = head.name, household.region_code, head.id_hash
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
        users.append(user)
    return users
