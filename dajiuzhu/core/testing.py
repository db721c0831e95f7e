"""Factories for tests: users of each role, households with members and facts.

Tests build their own data with these; they never depend on the demo data.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from dajiuzhu.core.ids import make_id_number

LINYI_COUNTY = "371424000000"
LINYI_TOWN = "371424100000"  # 临邑镇
LINYI_VILLAGE = "371424100202"  # 张法古村村民委员会 (rural)
LINYI_VILLAGE_2 = "371424100204"  # 朱胡同村村民委员会 (rural)
XINGLONG_TOWN = "371424105000"  # 兴隆镇
XINGLONG_VILLAGE = "371424105276"  # 兴隆村村民委员会
URBAN_COMMUNITY = "371424001023"  # 广场社区居民委员会 of 邢侗街道 (urban)

_sequence = itertools.count(1)


def next_id_number(birth: dt.date, *, address: str = "371424", sex: str = "M") -> str:
    """A fresh valid ID number (odd sequence for men, even for women)."""
    n = next(_sequence)
    seq = (n * 2 + (1 if sex == "M" else 0)) % 1000
    return make_id_number(address, birth, seq)


def years_ago(years: int, *, on: dt.date | None = None) -> dt.date:
    on = on or timezone.localdate()
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def make_user(role: str, region_code: str = LINYI_TOWN, *, username: str | None = None, department: str = "",
              password: str = "Test-password-123"):  # noqa: S107 - a test account
    from dajiuzhu.accounts.departments import ensure_departments
    from dajiuzhu.accounts.models import Department, User

    dept = None
    if department or role == "department":
        ensure_departments()
        dept = Department.objects.get(code=department or "civil_affairs")
    user = User.objects.create_user(
        username=username or f"{role}-{region_code}-{next(_sequence)}",
        password=password,
        role=role,
        region_id=region_code,
        department=dept,
    )
    return user


def member_input(name: str = "张三", *, relation: str = "head", age: int = 45, sex: str = "M", **status):
    from dajiuzhu.registry.validation import MemberInput

    birth = years_ago(age) - dt.timedelta(days=30)
    number = status.pop("id_number", None) or next_id_number(birth, sex=sex)
    return MemberInput(name=name, id_number=number, birth_date=birth, sex=sex, relation=relation, **status)


def make_household(
    region_code: str = LINYI_VILLAGE,
    *,
    members=None,
    facts: dict | None = None,
    as_of: dt.date | None = None,
    actor=None,
):
    """A household registered through the real service (audited), with sensible defaults."""
    from dajiuzhu.registry.services import household_register

    if actor is None:
        actor = _system_admin(region_code)
    members = members or [member_input("张三"), member_input("李四", relation="spouse", sex="F", age=43)]
    base = {"monthly_wages": Decimal("600.00")}
    return household_register(
        actor=actor, region_code=region_code, members=members, facts={**base, **(facts or {})},
        as_of=as_of or timezone.localdate() - dt.timedelta(days=1),
    )


def _system_admin(region_code: str):
    from dajiuzhu.accounts.models import User

    county = region_code[:6] + "000000"
    user = User.objects.filter(username=f"factory-admin-{county}").first()
    return user or make_user("county_admin", county, username=f"factory-admin-{county}")


class _RolledBack(Exception):
    pass


def run_rolled_back(work):
    """Run ``work()`` in a transaction that is then rolled back: (its return value, the SQL texts it sent).

    For comparing two code paths from one starting state (each run leaves the database as it found it)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    outcome = []
    try:
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            outcome.append(work())
            raise _RolledBack
    except _RolledBack:
        pass
    return outcome[0], [q["sql"] for q in queries.captured_queries]


def stop_process_group(process, *, timeout: float = 15) -> None:
    """Stop a subprocess started with ``start_new_session=True`` (a Celery worker and its pool): SIGTERM to its
    process group, then SIGKILL if it has not ended within ``timeout`` seconds."""
    import os
    import signal
    import subprocess

    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def redis_reachable(host: str = "127.0.0.1", port: int = 6379) -> bool:
    """Whether a Redis server answers a connection there (tests that need the real broker skip otherwise)."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
