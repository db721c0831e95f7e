"""Helpers of the checks tests: department users and deliveries built through the real service."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dajiuzhu.checks.delivery import delivery_receive
from dajiuzhu.core.testing import make_user

_users: dict[str, object] = {}


def department_user(code: str):
    return make_user("department", "371424000000", department=code)


def deliver(department, data_type: str, rows: list[dict], *, channel: str = "api"):
    user = department if not isinstance(department, str) else department_user(department)
    return delivery_receive(actor=user, data_type=data_type, rows=rows, channel=channel)


def row(person, as_of: dt.date | None = None, **values) -> dict:
    return {"id_number": person.id_number, "name": person.name,
            "as_of": (as_of or timezone.localdate() - dt.timedelta(days=10)).isoformat(), **values}
