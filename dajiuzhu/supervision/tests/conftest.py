"""Fixtures of the supervision tests: the catalogue, the demo limits and calendar, users of each level."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dajiuzhu.cases import hooks
from dajiuzhu.cases.models import Case, CaseEvent
from dajiuzhu.cases.services import case_decide, case_transition
from dajiuzhu.cases.window import NewHousehold, window_submit
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, XINGLONG_TOWN, XINGLONG_VILLAGE, make_user, member_input

COUNTY = "371424"
LINGCHENG_COUNTY = "371403000000"  # 陵城区, the city's second county


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def catalogue(db, monkeypatch):
    from dajiuzhu.programs import evaluation
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue
    from dajiuzhu.supervision.calendar import ensure_demo_limits, ensure_official_holidays

    monkeypatch.setattr(evaluation, "_COMPILED", {})
    monkeypatch.setattr(hooks, "VERIFIERS", [])
    ensure_demo_catalogue()
    ensure_official_holidays(COUNTY)
    ensure_demo_limits(COUNTY)


@pytest.fixture
def county_admin(db):
    return make_user("county_admin", LINYI_COUNTY)


@pytest.fixture
def county_approver(db):
    return make_user("county_approver", LINYI_COUNTY)


@pytest.fixture
def linyi_handler(db):
    return make_user("township_handler", LINYI_TOWN)


@pytest.fixture
def xinglong_handler(db):
    return make_user("township_handler", XINGLONG_TOWN)


@pytest.fixture
def supervisor(db):
    return make_user("supervisor", LINYI_COUNTY)


def tekun_case(actor, age: int = 72) -> Case:
    members = [{"name": "孙德顺", "id_number": member_input(age=age).id_number, "relation": "head", "labour": "none"}]
    return window_submit(actor=actor, item_codes=["tekun"], facts={"monthly_wages": "0"}, promise_signed=True,
                         authorisation_signed=True, id_number=members[0]["id_number"],
                         new_household=NewHousehold(region_code=XINGLONG_VILLAGE, members=members))


def set_times(case: Case, accepted: dt.datetime, **by_action: dt.datetime) -> None:
    """Move a case's recorded moments into the past (acceptance and the events of the named actions)."""
    Case.objects.filter(pk=case.pk).update(created_at=accepted)
    CaseEvent.objects.filter(case=case, action__in=("submit", "accept")).update(at=accepted)
    for action, moment in by_action.items():
        CaseEvent.objects.filter(case=case, action=action).update(at=moment)
        if action == "decide":
            Case.objects.filter(pk=case.pk).update(decided_at=moment)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def walk_to_review(case, handler):
    for step, opinion in (("investigate", ""), ("record_home_visit", "入户核实：独居"),
                          ("record_deliberation", "评议同意"), ("township_opinion", "符合条件，报县审批")):
        case_transition(actor=handler, case=case, step=step, opinion=opinion)


def decide_fully(case, handler, approver, notice_on: dt.date):
    walk_to_review(case, handler)
    case_transition(actor=handler, case=case, step="publish_notice", on=notice_on)
    case_transition(actor=handler, case=case, step="close_notice", on=notice_on + dt.timedelta(days=7))
    case_decide(actor=approver, case=case, outcome="approve", opinion="同意")


def dibao_case(actor, village: str = XINGLONG_VILLAGE, wages: str = "600") -> Case:
    """A trust-first 低保 decided at once for a two-adult family (rural standard 720: 840 a month)."""
    members = [{"name": "王建国", "id_number": member_input(age=45).id_number, "relation": "head"},
               {"name": "李秀英", "id_number": member_input(age=43, sex="F").id_number, "relation": "spouse"}]
    return window_submit(actor=actor, item_codes=["dibao"], facts={"monthly_wages": wages, "monthly_business_income": "0"},
                         promise_signed=True, authorisation_signed=True, id_number=members[0]["id_number"],
                         new_household=NewHousehold(region_code=village, members=members, address="兴隆村3号"))
