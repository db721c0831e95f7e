"""Demo data of the credit record: one record that has expired and one lifted after repayment.

(The court's dishonest-debtor list and the records that follow false declarations are made
by the checks demo, which runs after this one.)
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dajiuzhu.core.demo import DemoContext
from dajiuzhu.registry.models import Household

from .models import DishonestyRecord
from .services import dishonesty_record_create, dishonesty_record_lift, dishonesty_records_expire


def _admin():
    from dajiuzhu.accounts.models import User

    return User.objects.filter(username="county_admin").first()


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    admin = _admin()
    if admin is None or DishonestyRecord.objects.exists():
        return
    households = list(Household.objects.filter(region_code__startswith=ctx.county_code, head__isnull=False,
                                               head__deceased_on__isnull=True).order_by("id")
                      .values_list("id", flat=True)[:2000])
    if len(households) < 2:
        return
    chosen = Household.objects.select_related("head").filter(pk__in=ctx.rng.sample(households, 2)).order_by("id")
    old, repaid = list(chosen)
    dishonesty_record_create(
        actor=admin, person=old.head, reason="concealment", source="case", source_reference="DEMO-2021-001",
        details="隐瞒经营收入（2021年复核发现）", start=ctx.today - dt.timedelta(days=4 * 365), months=36)
    record = dishonesty_record_create(
        actor=admin, person=repaid.head, reason="concealment", source="case", source_reference="DEMO-2025-014",
        details="隐瞒工资收入，已退回多领救助金", start=ctx.today - dt.timedelta(days=200))
    dishonesty_record_lift(actor=admin, record=record, kind="repayment", reason="多领的救助金已全部退回")
    expired = dishonesty_records_expire(actor=admin, on=ctx.today)
    ctx.log(f"credit: 2 demo records ({expired} expired, 1 lifted after repayment)")
