"""The Chinese catalogue is complete and reasons read as a family understands them."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import trans_real

from dajiuzhu.core.testing import LINYI_VILLAGE
from dajiuzhu.programs.catalogue import ensure_demo_catalogue
from dajiuzhu.programs.rules import RuleError, compile_rule
from dajiuzhu.programs.services import item_evaluate

CATALOGUE = Path(__file__).resolve().parent.parent / "locale/zh_Hans/LC_MESSAGES/django.po"

# The demo catalogue seeds the standards of this year and the last (ensure_demo_catalogue).
THIS_YEAR_JUNE = dt.date(timezone.localdate().year, 6, 1)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    call_command("compile_catalogues", verbosity=0)
    trans_real._translations = {}
    trans_real._default = None
    yield


def test_the_chinese_catalogue_is_complete():
    po = polib.pofile(str(CATALOGUE))
    assert po.percent_translated() == 100
    assert not [e.msgid for e in po if "fuzzy" in e.flags]


@pytest.mark.django_db
def test_refusal_reason_in_chinese_words():
    ensure_demo_catalogue()
    facts = {"has_facts": True, "per_capita_income": Decimal("850.00"), "per_capita_financial_assets": Decimal("0"),
             "vehicles_non_disability": 0, "extra_houses": 0, "household_size": 2, "members_over_60": 0,
             "disabled_members": 0, "seriously_ill_members": 0}
    with translation.override("zh-hans"):
        result = item_evaluate(item="dibao", facts=facts, on=THIS_YEAR_JUNE, region_code=LINYI_VILLAGE)
    assert "家庭月人均收入 850.00 元，高于低保标准 720.00 元" in result.reasons


@pytest.mark.django_db
def test_benefit_reason_shows_the_formula_with_the_figures():
    ensure_demo_catalogue()
    facts = {"has_facts": True, "per_capita_income": Decimal("500.00"), "per_capita_financial_assets": Decimal("0"),
             "vehicles_non_disability": 0, "extra_houses": 0, "household_size": 2, "members_over_60": 0,
             "disabled_members": 0, "seriously_ill_members": 0}
    with translation.override("zh-hans"):
        result = item_evaluate(item="dibao", facts=facts, on=THIS_YEAR_JUNE, region_code=LINYI_VILLAGE)
    assert result.amount == Decimal("440.00")
    assert any(r.startswith("每月救助金：(低保标准 720 − 家庭月人均收入 500) × 家庭人口 2") and r.endswith("= 440.00 元")
               for r in result.reasons), result.reasons


def test_rule_errors_in_chinese():
    with translation.override("zh-hans"), pytest.raises(RuleError, match="您是否要写“per_capita_income”"):
        compile_rule("per_capita_incom < 1")
