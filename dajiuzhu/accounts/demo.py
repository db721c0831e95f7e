"""Demo accounts, one for each role, in the demo county (临邑县)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from .departments import ensure_departments
from .models import Department, User
from .roles import Role

DEMO_COUNTY = "371424000000"
DEMO_TOWNSHIP = "371424100000"  # 临邑镇
OTHER_TOWNSHIP = "371424105000"  # 兴隆镇
DEMO_VILLAGE = "371424100202"  # 张法古村

# (username, full name, role, region code, department code)
DEMO_ACCOUNTS: list[tuple[str, str, str, str, str]] = [
    ("county_admin", "县救助中心管理员", Role.COUNTY_ADMIN, DEMO_COUNTY, ""),
    ("county_approver", "县救助中心审批员", Role.COUNTY_APPROVER, DEMO_COUNTY, ""),
    ("linyi_handler", "临邑镇窗口经办员", Role.TOWNSHIP_HANDLER, DEMO_TOWNSHIP, ""),
    ("linyi_approver", "临邑镇审批员", Role.TOWNSHIP_APPROVER, DEMO_TOWNSHIP, ""),
    ("xinglong_handler", "兴隆镇窗口经办员", Role.TOWNSHIP_HANDLER, OTHER_TOWNSHIP, ""),
    ("xinglong_approver", "兴隆镇审批员", Role.TOWNSHIP_APPROVER, OTHER_TOWNSHIP, ""),
    ("village_worker", "张法古村代办员", Role.VILLAGE_WORKER, DEMO_VILLAGE, ""),
    ("dept_medical", "县医保局数据员", Role.DEPARTMENT, DEMO_COUNTY, "medical_insurance"),
    ("dept_police", "县公安局数据员", Role.DEPARTMENT, DEMO_COUNTY, "police"),
    ("social_org", "县慈善义工协会", Role.SOCIAL_ORG, DEMO_COUNTY, ""),
    ("supervisor", "县纪委监委监督员", Role.SUPERVISOR, DEMO_COUNTY, ""),
]


@transaction.atomic
def ensure_demo_accounts(password: str | None = None) -> list[User]:
    """Create (or reset) the demo accounts; idempotent."""
    password = password or settings.DEMO_PASSWORD
    ensure_departments()
    users = []
    for username, full_name, role, region, dept in DEMO_ACCOUNTS:
        department = Department.objects.get(code=dept) if dept else None
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"full_name": full_name, "role": role, "region_id": region, "department": department},
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save()
        users.append(user)
    return users
