"""A hearing before listing (告知与申辩) and the joint restriction through the department channel (issue 16, 4).

Worked examples: a record of a false declaration is proposed on Friday 27 November 2026; the notice gives
the facts, the evidence and the intended listing; the answer period is 5 working days (demo standard
``hearing_answer_days``), so the family may answer until Friday 4 December. Before that, and without an
answer, the listing cannot take effect (409, nothing changed). After an answer, or once the period has
passed, the county decides: the listing takes effect that day (or is withdrawn, with the reason).
Participating departments fetch the records that took effect, and later their lifting, with changes since
the time of their last fetch.
"""

import datetime as dt

import pytest
from django.utils import timezone

from dajiuzhu.accounts.models import ApiToken, Department
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    LINYI_VILLAGE,
    URBAN_COMMUNITY,
    XINGLONG_TOWN,
    make_household,
    make_user,
)
from dajiuzhu.core.workdays import add_working_days
from dajiuzhu.credit import hooks, services
from dajiuzhu.credit.models import DishonestyRecord, JointParty, NoticeKind, RecordStatus
from dajiuzhu.credit.selectors import household_restriction
from dajiuzhu.programs.catalogue import ensure_demo_catalogue

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def catalogue():
    ensure_demo_catalogue()


def bearer(user) -> dict:
    _token, key = ApiToken.issue(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": "en"}


def propose(person, start=None):
    approver = make_user("county_approver", LINYI_COUNTY)
    return services.dishonesty_record_create(
        actor=approver, person=person, reason="concealment", source="case", source_reference="LY-2026-0001",
        details="隐瞒登记在本人名下的小型汽车一辆", evidence_report_id=None, start=start or TODAY)


def test_five_working_days_skip_the_weekend():
    friday = dt.date(2026, 11, 27)
    assert add_working_days(friday, 5) == dt.date(2026, 12, 4)
    record = propose(make_household(LINYI_VILLAGE).head, start=friday)
    assert record.status == RecordStatus.PROPOSED and record.answer_due == dt.date(2026, 12, 4)
    notice = record.notices.get()
    assert notice.kind == NoticeKind.HEARING
    assert "隐瞒登记在本人名下的小型汽车一辆" in notice.text and "LY-2026-0001" in notice.text
    assert "2026-12-04" in notice.text and "36" in notice.text


def test_early_effect_is_refused_and_nothing_changes_then_the_answer_is_considered(client):
    household = make_household(LINYI_VILLAGE)  # rural
    record = propose(household.head)
    approver = make_user("county_approver", LINYI_COUNTY)
    handler = make_user("township_handler", LINYI_TOWN)
    events = AuditEvent.objects.exclude(action__endswith=".refused").count()
    got = client.post(f"/api/v1/credit/records/{record.pk}/decision", {"list_person": True},
                      content_type="application/json", **bearer(approver))
    assert got.status_code == 409, got.content
    assert str(record.answer_due) in got.json()["detail"]
    record.refresh_from_db()
    assert record.status == RecordStatus.PROPOSED and record.notices.count() == 1
    assert AuditEvent.objects.exclude(action__endswith=".refused").count() == events
    assert household_restriction(household) is None

    got = client.post(f"/api/v1/credit/records/{record.pk}/answer", {"answer": "车辆已于去年卖出，有转让合同"},
                      content_type="application/json", **bearer(handler))
    assert got.status_code == 200 and got.json()["answered_on"] == str(TODAY)
    # After an answer the consideration is required.
    got = client.post(f"/api/v1/credit/records/{record.pk}/decision", {"list_person": True},
                      content_type="application/json", **bearer(approver))
    assert got.status_code == 422
    got = client.post(f"/api/v1/credit/records/{record.pk}/decision",
                      {"list_person": True, "consideration": "公安登记显示车辆仍在本人名下，申辩不成立"},
                      content_type="application/json", **bearer(approver))
    assert got.status_code == 200, got.content
    assert got.json()["status"] == "active" and got.json()["start"] == str(TODAY)
    assert household_restriction(household).pk == record.pk


def test_unanswered_the_listing_may_take_effect_once_the_period_has_passed(client):
    household = make_household(URBAN_COMMUNITY)  # urban
    record = propose(household.head, start=TODAY - dt.timedelta(days=14))
    approver = make_user("county_approver", LINYI_COUNTY)
    got = client.post(f"/api/v1/credit/records/{record.pk}/decision", {"list_person": True},
                      content_type="application/json", **bearer(approver))
    assert got.status_code == 200, got.content
    record.refresh_from_db()
    assert record.status == RecordStatus.ACTIVE and record.start == TODAY
    assert record.expiry.year == TODAY.year + 3


def test_the_hearing_may_withdraw_the_listing(client):
    household = make_household(LINYI_VILLAGE)
    record = propose(household.head)
    services.dishonesty_record_answer(actor=make_user("township_handler", LINYI_TOWN), record=record,
                                      answer="收入为一次性拆迁补偿，依规不计入")
    got = client.post(f"/api/v1/credit/records/{record.pk}/decision",
                      {"list_person": False, "consideration": "拆迁补偿属于排除收入，不构成隐瞒"},
                      content_type="application/json", **bearer(make_user("county_approver", LINYI_COUNTY)))
    assert got.status_code == 200 and got.json()["status"] == "withdrawn"
    assert record.notices.filter(kind=NoticeKind.WITHDRAWN).exists()
    with pytest.raises(Exception):  # noqa: B017 - a withdrawn proposal has no transition left
        services.dishonesty_record_decide(actor=make_user("county_approver", LINYI_COUNTY), record=record,
                                          list_person=True, consideration="x")


@pytest.mark.parametrize("role, region, status", [
    (None, None, 401), ("township_handler", XINGLONG_TOWN, 404), ("department", LINYI_COUNTY, 404),
    ("county_approver", LINYI_COUNTY, 409),
])
def test_deciding_is_scoped(client, role, region, status):
    record = propose(make_household(LINYI_VILLAGE).head)
    headers = bearer(make_user(role, region)) if role else {}
    got = client.post(f"/api/v1/credit/records/{record.pk}/decision", {"list_person": True},
                      content_type="application/json", **headers)
    assert got.status_code == status, got.content
    record.refresh_from_db()
    assert record.status == RecordStatus.PROPOSED


def test_joint_restriction_reaches_participating_departments_and_so_does_the_lifting(
        client, django_capture_on_commit_callbacks):
    medical = make_user("department", LINYI_COUNTY, department="medical_insurance")
    JointParty.objects.create(department=Department.objects.get(code="medical_insurance"),
                              restricts="医疗救助全部核实", since=TODAY)
    police = make_user("department", LINYI_COUNTY, department="police")
    rural, urban = make_household(LINYI_VILLAGE), make_household(URBAN_COMMUNITY)
    waiting = propose(rural.head)  # still heard: not sent
    in_force = []
    ended = []
    hooks.record_in_force.connect(lambda record, **kw: in_force.append(record.pk), weak=False, dispatch_uid="t1")
    hooks.record_ended.connect(lambda record, **kw: ended.append(record.pk), weak=False, dispatch_uid="t2")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            listed = services.dishonesty_record_list_after_hearing(
                actor=make_user("county_approver", LINYI_COUNTY), person=urban.head, reason="forgery",
                source="case", details="伪造收入证明", start=TODAY - dt.timedelta(days=14))
        assert in_force == [listed.pk]
        got = client.get("/api/v1/checks/restrictions", **bearer(medical))
        assert got.status_code == 200, got.content
        rows = got.json()
        assert [r["record_id"] for r in rows] == [listed.pk]
        assert rows[0]["id_number"] == urban.head.id_number and rows[0]["in_force"] is True
        assert waiting.pk not in [r["record_id"] for r in rows]
        fetched_at = timezone.now()
        assert client.get("/api/v1/checks/restrictions", {"since": fetched_at.isoformat()},
                          **bearer(medical)).json() == []
        with django_capture_on_commit_callbacks(execute=True):
            services.dishonesty_record_lift(actor=make_user("county_admin", LINYI_COUNTY), record=listed,
                                            kind="repayment", reason="已退回多领救助金")
        assert ended == [listed.pk]
        changes = client.get("/api/v1/checks/restrictions", {"since": fetched_at.isoformat()}, **bearer(medical)).json()
        assert [(r["record_id"], r["in_force"], r["status"]) for r in changes] == [(listed.pk, False, "lifted")]
        assert AuditEvent.objects.filter(action="credit.joint_restrictions.fetch").count() == 3
        # A department that does not take part, a township window and nobody are refused.
        assert client.get("/api/v1/checks/restrictions", **bearer(police)).status_code == 403
        assert client.get("/api/v1/checks/restrictions",
                          **bearer(make_user("township_handler", LINYI_TOWN))).status_code == 403
        assert client.get("/api/v1/checks/restrictions").status_code == 401
    finally:
        hooks.record_in_force.disconnect(dispatch_uid="t1")
        hooks.record_ended.disconnect(dispatch_uid="t2")
    assert DishonestyRecord.objects.count() == 2
