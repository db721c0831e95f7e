"""Handler evaluation: the month's figures per handler and township, the ranking and its formula, 容错免责."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from dajiuzhu.cases.models import CaseItem, Revocation
from dajiuzhu.cases.reviews import case_item_review_confirm, case_item_revoke
from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.testing import LINYI_TOWN, make_user
from dajiuzhu.supervision.evaluation import (
    DEFAULT_WEIGHTS,
    Row,
    current_formula,
    evaluate,
    evaluation_xlsx,
    formula_set,
    score_rows,
    tolerance_record,
)
from dajiuzhu.supervision.models import FormulaVersion, Rating
from dajiuzhu.supervision.training import attendance_record, course_create, session_create

from .conftest import COUNTY, at, decide_fully, dibao_case, tekun_case

pytestmark = pytest.mark.django_db


def test_the_ranking_formula_worked_example():
    # Two indicators, weights 3 (handled, more is better) and 1 (complaints, less is better).
    def row(name, handled, complaints):
        return Row(key=name, name=name, township="t",
                   figures={"indicators": {k: None for k in DEFAULT_WEIGHTS} | {"handled": handled,
                                                                                "complaints": complaints}})
    rows = score_rows([row("甲", 10, 2), row("乙", 30, 0), row("丙", 20, 1)], {"handled": 3, "complaints": 1})
    # 乙: 100 × (3·1 + 1·1)/4 = 100; 丙: (3·0.5 + 1·0.5)/4 = 50; 甲: 0.
    assert [(r.name, r.score, r.rank) for r in rows] == [("乙", 100.0, 1), ("丙", 50.0, 2), ("甲", 0.0, 3)]
    # Equal scores share a rank; a missing indicator counts 0.5.
    rows = score_rows([row("甲", 10, None), row("乙", 10, None)], {"handled": 1, "complaints": 1})
    assert [(r.score, r.rank) for r in rows] == [(75.0, 1), (75.0, 1)]


def test_the_formula_is_versioned_and_bad_weights_are_refused(catalogue, county_admin, linyi_handler):
    assert current_formula(COUNTY).version == 0
    formula_set(actor=county_admin, weights={"handled": 1, "complaints": 2}, note="试行")
    second = formula_set(actor=county_admin, weights={"handled": 2}, note="调整")
    assert second.version == 2 and current_formula(COUNTY).weights == {"handled": 2.0}
    for weights in ({"handled": -1}, {"unknown": 1}, {"handled": 0}, {"handled": "abc"}):
        with pytest.raises(DomainError):
            formula_set(actor=county_admin, weights=weights)
    with pytest.raises(Forbidden):
        formula_set(actor=linyi_handler, weights={"handled": 1})
    assert FormulaVersion.objects.count() == 2


def test_the_month_of_two_handlers(catalogue, county_admin, county_approver, linyi_handler, xinglong_handler):
    other = make_user("township_handler", LINYI_TOWN)
    today = timezone.localdate()
    month = today.replace(day=1)
    # linyi_handler: three trust-first 低保; one confirmed, one revoked by verification (a department's late
    # data: excused), one revoked as the handler's error.
    cases = [dibao_case(linyi_handler) for _ in range(3)]
    items = [CaseItem.objects.get(case=c, item__code="dibao") for c in cases]
    case_item_review_confirm(actor=county_admin, case_item=items[0], note="核对一致")
    for ci in items[1:]:
        case_item_revoke(actor=county_admin, case_item=ci, reason="核对发现工资收入超标", not_due_from=today)
    excused = Revocation.objects.get(case_item=items[1])
    tolerance_record(actor=county_admin, revocation_id=excused.pk, reason="late_data", department_code="hr_social_security",
                     note="人社工资数据晚到两个月")
    with pytest.raises(DomainError):  # a second record of the same revocation
        tolerance_record(actor=county_admin, revocation_id=excused.pk, reason="late_data",
                         department_code="hr_social_security", note="重复")
    Rating.objects.create(case=cases[0], region_code=cases[0].region_code, handler=linyi_handler, score=4,
                          source="callback")
    Rating.objects.create(case=cases[2], region_code=cases[2].region_code, handler=linyi_handler, score=2,
                          source="resident")
    # other (same township): one 特困 through the standard path, township review took 4 working days.
    tekun = tekun_case(other)
    decide_fully(tekun, other, county_approver, notice_on=today)
    course = course_create(actor=county_admin, title="低保政策", kind="policy", hours="3")
    session = session_create(actor=county_admin, course=course, starts_at=at(today), hours="3", place="县民政局")
    attendance_record(actor=county_admin, session=session, users=[other])

    result = evaluate(region_prefix=COUNTY, month=month)
    rows = {r.key: r for r in result["handlers"]}
    mine, theirs = rows[str(linyi_handler.pk)], rows[str(other.pk)]
    assert mine.figures["handled"] == 3
    assert (mine.figures["tf_decided"], mine.figures["tf_confirmed"], mine.figures["tf_revoked"],
            mine.figures["tf_excused"]) == (3, 1, 1, 1)
    assert mine.figures["indicators"]["revoked"] == pytest.approx(1 / 3)  # the excused one not counted
    assert mine.figures["indicators"]["satisfaction"] == 3.0
    assert theirs.figures["training"] == 3.0 and theirs.figures["handled"] == 1
    assert theirs.figures["steps_by_step"]["township_review"]["n"] == 1
    # Each handler ranks within their own township; the county approver (the decision step) in the county's row.
    towns = {}
    for r in result["handlers"]:
        towns.setdefault(r.township, []).append(r.rank)
    assert sorted(towns) == ["临邑县", "临邑镇"] and sorted(towns["临邑镇"]) in ([1, 2], [1, 1])
    approver = rows[str(county_approver.pk)]
    assert approver.figures["steps_by_step"]["decision"]["n"] == 1
    assert sorted(r.name for r in result["townships"]) == ["临邑县", "临邑镇"]
    book = load_workbook(io.BytesIO(evaluation_xlsx(result)))
    sheet = book.active
    assert sheet.max_row == 1 + 2 + 3  # header, two townships, three handlers
    assert {sheet.cell(row=i, column=2).value for i in range(2, 7)} == {"临邑县", "临邑镇"}
