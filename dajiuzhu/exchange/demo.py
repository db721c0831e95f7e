"""Demo clients of the open registry API, with known secrets (demo only; docs/exchange.md):

- ``yibao-demo`` 医疗保障局: searches and subscribes, learns name, sex, birth date and the 低保/特困
  status with its start date — not incomes (premium waivers for assistance households);
- ``jiaoyu-demo`` 教育和体育局: searches students' households (name, birth date, tiers, household number);
- ``gongan-demo`` 公安局: pushes deaths (the police's 户籍注销).
The secret of each is ``<client id>-Linyi-demo-2026``; the built-in and one registered identifier type."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import transaction

from dajiuzhu.accounts.models import Department, User
from dajiuzhu.core.demo import DemoContext

from .models import Client, IdentifierType
from .services import client_register

DEMO_CLIENTS = [
    ("yibao-demo", "医保局 参保资助系统", "medical_insurance", "为低保、特困人员资助参保（医疗救助）",
     ["registry.search", "registry.subscribe"], ["name", "sex", "birth_date", "roster", "death"]),
    ("jiaoyu-demo", "教育局 学生资助系统", "education", "为困难家庭学生发放教育救助",
     ["registry.search"], ["name", "birth_date", "roster", "household_identifier"]),
    ("gongan-demo", "公安局 户籍注销推送", "police", "推送死亡（户籍注销）信息",
     ["registry.push"], []),
]


def demo_secret(client_id: str) -> str:
    return f"{client_id}-Linyi-demo-2026"


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    admin = User.objects.filter(username="county_admin").first()
    if admin is None:
        return
    IdentifierType.objects.get_or_create(code="YB_MEMBER", defaults={
        "name": "医保参保人员编号", "department": Department.objects.filter(code="medical_insurance").first()})
    for client_id, name, department, purpose, scopes, fields in DEMO_CLIENTS:
        if Client.objects.filter(client_id=client_id).exists():
            continue
        client, _secret = client_register(actor=admin, name=name, department=Department.objects.get(code=department),
                                          region_prefix=ctx.county_code, purpose=purpose, scopes=scopes,
                                          fields=fields, client_id=client_id)
        Client.objects.filter(pk=client.pk).update(secret_hash=make_password(demo_secret(client_id)))
        ctx.log(f"open registry API client {client_id} ({name}): secret {demo_secret(client_id)}")
