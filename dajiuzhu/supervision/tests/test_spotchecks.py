"""Spot checks: the reproducible stratified draw, assignment away from the handlers, the home-visit record."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from dajiuzhu.cases.models import CaseEvent, CaseItem
from dajiuzhu.core.errors import Conflict, DomainError, Forbidden
from dajiuzhu.core.testing import LINYI_COUNTY, XINGLONG_TOWN, make_user
from dajiuzhu.supervision.models import CountySetting, SpotCheck, SpotCheckDraw
from dajiuzhu.supervision.spotchecks import draw_sample, photo_bytes, spot_assign, spot_draw, spot_record

from .conftest import dibao_case

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def test_the_draw_is_stratified_and_reproducible_from_its_seed():
    population = [{"id": i, "number": f"N{i}", "region_code": ("371424100202" if i % 3 else "371424105276"),
                   "item_code": "dibao", "created_by_id": 1, "decider_id": None} for i in range(1, 61)]
    a = draw_sample(population, seed=42, strata="township", share=Decimal("0.1"), minimum=1)
    b = draw_sample(population, seed=42, strata="township", share=Decimal("0.1"), minimum=1)
    c = draw_sample(population, seed=43, strata="township", share=Decimal("0.1"), minimum=1)
    assert a == b and a != c
    # 40 cases in 临邑镇 → 4, 20 in 兴隆镇 → 2.
    assert sorted(k for k, _ in a).count("371424100") == 4 and sorted(k for k, _ in a).count("371424105") == 2
    # A total size is shared by the largest remainder: 5 of 60 → 3.33 and 1.67 → 3 and 2.
    d = draw_sample(population, seed=42, strata="township", share=Decimal("0.1"), minimum=1, size=5)
    assert [k for k, _ in d].count("371424100") == 3 and len(d) == 5


def test_draw_assign_record_a_difference_opens_a_review(catalogue, county_admin, linyi_handler, xinglong_handler):
    for _ in range(3):
        dibao_case(linyi_handler)
    CountySetting.objects.create(county_code="371424", spot_share=Decimal("0.5"), spot_strata="township")
    month = timezone.localdate().replace(day=1)
    with pytest.raises(DomainError, match="larger than the population"):
        spot_draw(actor=county_admin, month=month, size=4)
    assert not SpotCheckDraw.objects.exists()
    draw = spot_draw(actor=county_admin, month=month, seed=7)
    assert (draw.population, draw.sample_size, draw.seed) == (3, 2, 7)  # round(0.5 × 3) = 2
    with pytest.raises(Conflict):
        spot_draw(actor=county_admin, month=month, seed=7)
    check = draw.checks.first()
    # The window worker who accepted it may not check it; another township's handler may.
    with pytest.raises(DomainError, match="handled"):
        spot_assign(actor=county_admin, check=check, checker=linyi_handler)
    check.refresh_from_db()
    assert check.checker is None and check.status == SpotCheck.Status.DRAWN
    checker = make_user("supervisor", LINYI_COUNTY)
    with pytest.raises(Forbidden):
        spot_assign(actor=linyi_handler, check=check, checker=checker)
    spot_assign(actor=county_admin, check=check, checker=checker)
    with pytest.raises(Forbidden):  # someone else than the assigned checker
        spot_record(actor=county_admin, check=check, visited_on=timezone.localdate(), findings={"notes": "x"},
                    outcome="agrees")
    with pytest.raises(DomainError, match="describe the difference"):
        spot_record(actor=checker, check=check, visited_on=timezone.localdate(),
                    findings={"income_seen": "开小卖部"}, outcome="differs")
    spot_record(actor=checker, check=check, visited_on=timezone.localdate(),
                findings={"members_present": "2", "income_seen": "家中经营小卖部，月收入约3000元"},
                outcome="differs", difference="未申报经营收入", photos=[("门店.jpg", JPEG)])
    check.refresh_from_db()
    item = CaseItem.objects.get(case_id=check.case_id, item__code="dibao")
    assert check.status == SpotCheck.Status.RECORDED and check.review_item_ids == [item.pk]
    assert item.review_due == timezone.localdate()
    assert CaseEvent.objects.filter(case_id=check.case_id, action="review_requested").exists()
    photo = check.photos.get()
    assert photo_bytes(photo) == JPEG
    from django.conf import settings
    assert JPEG not in (settings.MEDIA_ROOT / photo.path).read_bytes()  # stored sealed


def test_a_checker_from_another_county_or_a_township_without_the_case_is_refused(catalogue, county_admin,
                                                                                  linyi_handler):
    dibao_case(linyi_handler)
    draw = spot_draw(actor=county_admin, month=timezone.localdate().replace(day=1), seed=1)
    check = draw.checks.get()
    for checker in (make_user("township_handler", "371403101000"), make_user("township_handler", "371424103000")):
        with pytest.raises(DomainError):
            spot_assign(actor=county_admin, check=check, checker=checker)
    # 兴隆镇 (the residence township) may check it: it did not handle it.
    spot_assign(actor=county_admin, check=check, checker=make_user("township_handler", XINGLONG_TOWN))
