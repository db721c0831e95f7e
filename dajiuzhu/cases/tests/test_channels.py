"""Channels: the resident online, the platform's own (proactive) application; verification after a decision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dajiuzhu.cases import hooks
from dajiuzhu.cases.models import Case, CaseEvent, Channel, ItemStatus
from dajiuzhu.cases.services import application_submit
from dajiuzhu.core.testing import XINGLONG_VILLAGE, make_household, make_user

from .conftest import today
from .test_application import item_of, submit_new_family

pytestmark = pytest.mark.django_db


def resident_of(household):
    from dajiuzhu.accounts.models import User

    return User.objects.create_user(username=f"resident-{household.pk}", password="x-Test-password-1",
                                    role="resident", region_id=household.region_code,
                                    person_id_hash=household.head.id_hash)


def test_a_resident_applies_online_for_their_own_household(catalogue, client):
    household = make_household(XINGLONG_VILLAGE)
    client.force_login(resident_of(household))
    response = client.post("/api/v1/cases/applications",
                           {"items": ["dibao"], "facts": {"monthly_wages": "600"}, "promise_signed": True,
                            "authorisation_signed": True, "household_id": 999999},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.household == household and case.channel == Channel.ONLINE
    assert item_of(case, "dibao").amount == Decimal("840.00")
    # A resident cannot read another household's cases through the workers' endpoints.
    assert client.get(f"/api/v1/cases/cases/{case.pk}").status_code == 404


def test_a_resident_cannot_apply_for_another_household(catalogue):
    from django.http import Http404

    from dajiuzhu.core.errors import Forbidden

    mine, other = make_household(XINGLONG_VILLAGE), make_household(XINGLONG_VILLAGE)
    with pytest.raises((Forbidden, Http404)):
        application_submit(actor=resident_of(mine), household=other, item_codes=["dibao"], channel="online",
                           promise_signed=True, authorisation_signed=True)
    assert not Case.objects.exists()


def test_the_platform_raises_a_proactive_application(catalogue):
    household = make_household(XINGLONG_VILLAGE)
    case = application_submit(actor=None, household=household, item_codes=["dibao"], channel="proactive",
                              promise_signed=True, authorisation_signed=True, note="主动发现")
    assert case.channel == Channel.PROACTIVE and case.created_by is None
    assert case.accepted_region_code == household.region_code
    assert item_of(case, "dibao").status == ItemStatus.APPROVED


def test_verifiers_run_after_a_trust_first_decision_as_a_job(catalogue, linyi_handler, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    seen = []
    monkeypatch.setattr(hooks, "VERIFIERS", [lambda case, actor: seen.append(case.pk) or "一致"])
    with django_capture_on_commit_callbacks(execute=True):
        case = submit_new_family(linyi_handler)
    assert seen == [case.pk]
    assert CaseEvent.objects.filter(case=case, action="verify").exists()


def test_api_review_revoke_and_appeal(catalogue, client, linyi_handler, county_approver):
    case = submit_new_family(linyi_handler)
    dibao = item_of(case, "dibao")
    worker = make_user("township_handler", "371424105000")
    client.force_login(worker)
    confirm = client.post(f"/api/v1/cases/items/{dibao.pk}/review", {"action": "confirm", "reason": "无变化"},
                          content_type="application/json")
    assert confirm.status_code == 200 and confirm.json()["review_due"] > today().isoformat()
    adjust = client.post(f"/api/v1/cases/items/{dibao.pk}/review", {"action": "adjust", "amount": "700",
                                                                    "reason": "收入增加"},
                         content_type="application/json")
    assert adjust.status_code == 200 and Decimal(str(adjust.json()["amount"])) == Decimal("700.00")
    revoke = client.post(f"/api/v1/cases/items/{dibao.pk}/revoke",
                         {"reason": "隐瞒收入", "not_due_from": (today() - dt.timedelta(days=1)).isoformat()},
                         content_type="application/json")
    assert revoke.status_code == 200, revoke.content
    assert revoke.json()["months_overpaid"] >= 0
    appeal = client.post(f"/api/v1/cases/items/{dibao.pk}/appeals", {"grounds": "收入为一次性"},
                         content_type="application/json")
    assert appeal.status_code == 201
    client.force_login(county_approver)
    decided = client.post(f"/api/v1/cases/appeals/{appeal.json()['id']}/decision",
                          {"uphold": False, "note": "维持停发"}, content_type="application/json")
    assert decided.status_code == 200 and decided.json()["status"] == "dismissed"
    due = client.get("/api/v1/cases/reviews/due")
    assert due.status_code == 200


def test_api_lookup_and_check_job(catalogue, client, linyi_handler, django_capture_on_commit_callbacks):
    household = make_household(XINGLONG_VILLAGE)
    client.force_login(linyi_handler)
    found = client.post("/api/v1/cases/lookup", {"id_number": household.head.id_number},
                        content_type="application/json")
    assert found.json()["found"] is True and found.json()["household_id"] == household.pk
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post("/api/v1/cases/checks", {}, content_type="application/json")
    assert started.status_code == 202
    assert client.get("/api/v1/cases/worklist").status_code == 200
