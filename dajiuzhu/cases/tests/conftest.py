"""Fixtures of the cases tests: the demo catalogue and the users of each role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, XINGLONG_TOWN, make_user, member_input

DEPING_TOWN = "371424103000"  # 德平镇
QIHE_COUNTY = "371425000000"  # 齐河县 (another county)


@pytest.fixture
def catalogue(db, monkeypatch):
    from dajiuzhu.programs import evaluation
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue

    # Compiled rules are cached by rule-version id; ids are reused after a test's rollback.
    monkeypatch.setattr(evaluation, "_COMPILED", {})
    ensure_demo_catalogue()


@pytest.fixture
def linyi_handler(db):
    return make_user("township_handler", LINYI_TOWN)


@pytest.fixture
def xinglong_handler(db):
    return make_user("township_handler", XINGLONG_TOWN)


@pytest.fixture
def deping_handler(db):
    return make_user("township_handler", DEPING_TOWN)


@pytest.fixture
def xinglong_approver(db):
    return make_user("township_approver", XINGLONG_TOWN)


@pytest.fixture
def county_approver(db):
    return make_user("county_approver", LINYI_COUNTY)


@pytest.fixture
def other_county_approver(db):
    return make_user("county_approver", QIHE_COUNTY)


def family(*, wages="600.00", business="0", head_age=45, spouse_age=43, **facts) -> tuple[list, dict]:
    """A two-adult family and its declared facts (raw, as the form or the API sends them)."""
    members = [
        {"name": "王建国", "id_number": member_input(age=head_age).id_number, "relation": "head"},
        {"name": "李秀英", "id_number": member_input(age=spouse_age, sex="F").id_number, "relation": "spouse"},
    ]
    return members, {"monthly_wages": wages, "monthly_business_income": business, **facts}


def today() -> dt.date:
    return timezone.localdate()


def next_month_start(on: dt.date | None = None) -> dt.date:
    on = on or today()
    return (on.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


ZERO = Decimal("0.00")


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in the source language (the platform's default is Chinese)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
