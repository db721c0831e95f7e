"""Demo data of the credit record: one record that has expired and one lifted after repayment (both
heard before they took effect), and the departments that take part in the joint restriction (联合惩戒).

(The court's dishonest-debtor list and the record proposed after a false declaration — waiting for the
family's answer — are made by the checks demo, which runs after this one.)
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dajiuzhu.core.demo import DemoContext
from dajiuzhu.registry.models import Household

from .models import DishonestyRecord, JointParty
from .services import dishonesty_record_lift, dishonesty_record_list_after_hearing, dishonesty_records_expire

# Departments that apply the county's dishonesty list, and what each restricts (demo).
JOINT_PARTIES = [
    ("medical_insurance", "医疗救助按资料全部不真实进行审查"),
    ("hr_social_security", "暂停安排公益性岗位和就业补贴"),
    ("housing", "暂停公租房配租和住房救助"),
]


def ensure_joint_parties(today: dt.date) -> None:
    from dajiuzhu.accounts.models import Department

    for code, restricts in JOINT_PARTIES:
        department = Department.objects.filter(code=code).first()
        if department is not None:
            JointParty.objects.get_or_create(department=department, defaults={"restricts": restricts, "since": today})


def _admin():
    from dajiuzhu.accounts.models import User

    return User.objects.filter(username="county_admin").first()


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    admin = _admin()
    ensure_joint_parties(ctx.today)
    if admin is None or DishonestyRecord.objects.exists():
        return
    households = list(Household.objects.filter(region_code__startswith=ctx.county_code, head__isnull=False,
                                               head__deceased_on__isnull=True).order_by("id")
                      .values_list("id", flat=True)[:2000])
    if len(households) < 2:
        return
    chosen = Household.objects.select_related("head").filter(pk__in=ctx.rng.sample(households, 2)).order_by("id")
    old, repaid = list(chosen)
    dishonesty_record_list_after_hearing(
        actor=admin, person=old.head, reason="concealment", source="case", source_reference="DEMO-2021-001",
        details="隐瞒经营收入（2021年复核发现）", start=ctx.today - dt.timedelta(days=4 * 365), months=36)
    record = dishonesty_record_list_after_hearing(
        actor=admin, person=repaid.head, reason="concealment", source="case", source_reference="DEMO-2025-014",
        details="隐瞒工资收入，已退回多领救助金", start=ctx.today - dt.timedelta(days=200))
    dishonesty_record_lift(actor=admin, record=record, kind="repayment", reason="多领的救助金已全部退回")
    expired = dishonesty_records_expire(actor=admin, on=ctx.today)
    ctx.log(f"credit: 2 demo records ({expired} expired, 1 lifted after repayment)")
