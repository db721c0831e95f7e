"""The overlap and missed-assistance worklist acts (issue 16, point 5), through the API.

Worked example: a household holds 低保 and 特困 together (an exclusion); another household (rural, 兴隆镇) is
found eligible for 低保 by the screening and receives nothing. The worklist says so in words and offers
the actions: 低保 + 特困 cannot be allowed — ending one resolves it; the missed household gets an
application opened; a finding allowed with a reason is not raised again until the household's facts change.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.cases.models import CaseItem, ItemStatus, WorklistAllowance, WorklistEntry
from dajiuzhu.core.jobs import job_enqueue, job_run
from dajiuzhu.core.testing import XINGLONG_VILLAGE, make_household, member_input
from dajiuzhu.registry.services import household_facts_record

from .conftest import today
from .test_application import item_of, submit_new_family

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    _token, key = ApiToken.issue(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": "en"}


def check(actor, on):
    job = job_enqueue(kind="cases.overlap_check", actor=actor, backend="inline",
                      params={"region_prefix": "371424", "on": on.isoformat()})
    return job_run(job.pk)


@pytest.fixture
def findings(catalogue, linyi_handler, county_approver):
    from dajiuzhu.programs.models import AssistanceItem, ScreeningHit, ScreeningRun

    first = submit_new_family(linyi_handler)
    dibao = item_of(first, "dibao")
    tekun = CaseItem.objects.create(case=first, household=first.household, region_code=first.region_code,
                                    item=AssistanceItem.objects.get(code="tekun"), status=ItemStatus.APPROVED,
                                    amount=1000, effective_from=dibao.effective_from)
    missed = make_household(XINGLONG_VILLAGE, members=[member_input("孙八", age=60)],
                            facts={"monthly_wages": Decimal("300")})
    run = ScreeningRun.objects.create(region_prefix="371424", on=today())
    ScreeningHit.objects.create(run=run, household=missed, region_code=missed.region_code, item=dibao.item,
                                screened_on=today())
    job = check(county_approver, dibao.effective_from)
    return {"first": first, "dibao": dibao, "tekun": tekun, "missed": missed, "job": job}


def test_each_finding_is_in_words_with_its_actions(client, findings, county_approver):
    rows = client.get("/api/v1/cases/worklist", **bearer(county_approver)).json()
    overlap = next(r for r in rows if r["kind"] == "overlap")
    assert "最低生活保障" in overlap["text"] and "特困" in overlap["text"] and overlap["actions"] == ["end", "allow"]
    missed = next(r for r in rows if r["kind"] == "missed")
    assert "遗漏" in missed["text"] and missed["actions"] == ["apply", "allow"]


def test_dibao_and_tekun_together_cannot_be_allowed_only_ended(client, findings, county_approver):
    entry = WorklistEntry.objects.get(kind="overlap", household=findings["first"].household)
    got = client.post(f"/api/v1/cases/worklist/{entry.pk}/allow", {"reason": "两项都需要"},
                      content_type="application/json", **bearer(county_approver))
    assert got.status_code == 422 and not WorklistAllowance.objects.exists()
    got = client.post(f"/api/v1/cases/worklist/{entry.pk}/end",
                      {"case_item_id": findings["dibao"].pk, "reason": "已纳入特困供养，低保停发"},
                      content_type="application/json", **bearer(county_approver))
    assert got.status_code == 200, got.content
    assert got.json()["status"] == "ended"


def test_a_missed_household_gets_an_application_and_an_allowed_finding_stays_quiet(
        client, findings, county_approver, xinglong_handler):
    entry = WorklistEntry.objects.get(kind="missed", household=findings["missed"])
    opened = client.post(f"/api/v1/cases/worklist/{entry.pk}/apply",
                         {"item_code": "dibao", "promise_signed": True, "authorisation_signed": True},
                         content_type="application/json", **bearer(xinglong_handler))
    assert opened.status_code == 201, opened.content
    assert any(i["item_code"] == "dibao" for i in opened.json()["items"])


def test_allowed_with_a_reason_is_not_raised_again_until_the_facts_change(client, findings, county_approver,
                                                                           xinglong_handler):
    entry = WorklistEntry.objects.get(kind="missed", household=findings["missed"])
    got = client.post(f"/api/v1/cases/worklist/{entry.pk}/allow", {"reason": "本人书面表示暂不申请"},
                      content_type="application/json", **bearer(xinglong_handler))
    assert got.status_code == 200, got.content
    on = findings["dibao"].effective_from
    again = check(county_approver, on)
    assert not WorklistEntry.objects.filter(job=again, kind="missed", household=findings["missed"]).exists()
    household_facts_record(actor=xinglong_handler, household=findings["missed"], as_of=today(),
                           values={"monthly_wages": Decimal("250")})
    third = check(county_approver, on)
    assert WorklistEntry.objects.filter(job=third, kind="missed", household=findings["missed"]).exists()


@pytest.mark.parametrize("who, status", [("anonymous", 401), ("deping", 404), ("xinglong", 200)])
def test_acting_on_a_finding_is_scoped(client, findings, deping_handler, xinglong_handler, who, status):
    entry = WorklistEntry.objects.get(kind="missed", household=findings["missed"])
    headers = {"deping": bearer(deping_handler), "xinglong": bearer(xinglong_handler)}.get(who, {})
    got = client.post(f"/api/v1/cases/worklist/{entry.pk}/allow", {"reason": "暂不申请"},
                      content_type="application/json", **headers)
    assert got.status_code == status, got.content
    assert WorklistAllowance.objects.count() == (1 if status == 200 else 0)
