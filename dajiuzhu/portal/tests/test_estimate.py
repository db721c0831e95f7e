"""政策找人: the questionnaire evaluated with the window's rules; plain reasons; nothing stored."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from dajiuzhu.portal.estimate import Answers, estimate, questionnaire_facts, region_for

pytestmark = pytest.mark.django_db


def _find(findings, code):
    return next((f for f in findings if f.code == code), None)


def test_a_rural_couple_with_598_yuan_each_may_get_dibao_of_244_yuan(catalogue):
    answers = Answers(urban=False, members=2, able_to_work=2, monthly_wages=Decimal("1196"))
    facts = questionnaire_facts(answers, on=timezone.localdate())
    assert facts["per_capita_income"] == Decimal("598.00")
    dibao = _find(estimate(facts=facts, region_code=region_for(urban=False)), "dibao")
    # (720 − 598) × 2 members
    assert dibao is not None and dibao.amount == Decimal("244.00") and dibao.online
    text = " ".join(dibao.reasons)
    assert "598" in text and "720" in text
    assert "std." not in text and "per_capita_income" not in text and "*" not in text


def test_the_urban_standard_applies_in_a_town_community(catalogue):
    answers = Answers(urban=True, members=2, able_to_work=2, monthly_wages=Decimal("1600"))
    facts = questionnaire_facts(answers, on=timezone.localdate())
    dibao = _find(estimate(facts=facts, region_code=region_for(urban=True)), "dibao")
    assert dibao is not None and dibao.amount == Decimal("200.00")  # (900 − 800) × 2


def test_a_family_over_the_standard_is_not_offered_dibao(catalogue):
    answers = Answers(urban=False, members=2, able_to_work=2, monthly_wages=Decimal("3000"))
    facts = questionnaire_facts(answers, on=timezone.localdate())
    assert _find(estimate(facts=facts, region_code=region_for(urban=False)), "dibao") is None


def test_an_emergency_adds_the_items_a_worker_checks(catalogue):
    answers = Answers(urban=False, members=2, able_to_work=2, monthly_wages=Decimal("3000"), emergency=True)
    facts = questionnaire_facts(answers, on=timezone.localdate())
    findings = estimate(facts=facts, region_code=region_for(urban=False), emergency=True)
    checked = [f for f in findings if f.to_be_checked]
    assert checked and all(f.amount is None for f in checked)


def test_the_anonymous_estimate_stores_nothing(catalogue, client):
    from django.apps import apps

    def counts():
        return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label != "sessions"}

    before = counts()
    response = client.post("/m/what-could-we-get/", {
        "urban": "0", "members": "2", "my_age": "45", "able_to_work": "2", "monthly_wages": "1196", "housing": "safe",
        "my_disability_grade": "0"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "244.00" in body and "/m/apply/dibao/" in body
    assert counts() == before
