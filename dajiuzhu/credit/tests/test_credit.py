import datetime as dt

import pytest
from django.http import Http404
from django.urls import reverse

from dajiuzhu.core.errors import DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_TOWN, XINGLONG_TOWN, XINGLONG_VILLAGE, make_household, make_user
from dajiuzhu.credit import selectors, services
from dajiuzhu.credit.models import AppealStatus, DishonestyRecord, NoticeKind, RecordStatus

pytestmark = pytest.mark.django_db


def _list(person, actor, **kwargs):
    """A case record heard and in force: proposed 14 days ago, its answer period passed unanswered."""
    start = kwargs.pop("start", dt.date.today() - dt.timedelta(days=14))
    return services.dishonesty_record_list_after_hearing(actor=actor, person=person, reason="concealment",
                                                         source="case", details="hid a car", start=start, **kwargs)


def test_listing_a_person_restricts_their_whole_household_and_tells_them():
    household = make_household()
    other = make_household()
    approver = make_user("county_approver", "371424000000")
    spouse = household.members.exclude(pk=household.head_id).get()
    record = _list(spouse, approver)
    assert selectors.household_restriction(household) == record
    assert selectors.household_restriction(other) is None
    assert spouse.name in selectors.restriction_reason(household)
    hearing, notice = record.notices.order_by("id")
    assert hearing.kind == NoticeKind.HEARING and notice.kind == NoticeKind.LISTED and spouse.name in notice.text
    assert AuditEvent.objects.filter(action="credit.record_propose", object_id=str(record.pk)).exists()
    assert AuditEvent.objects.filter(action="credit.record_decide", object_id=str(record.pk)).exists()


def test_a_record_expires_by_itself_and_the_job_marks_it_expired():
    household = make_household()
    approver = make_user("county_approver", "371424000000")
    start = dt.date.today() - dt.timedelta(days=400)
    record = _list(household.head, approver, start=start, months=12)
    assert selectors.household_restriction(household) is None  # out of force by the date alone
    assert services.dishonesty_records_expire() == 1
    record.refresh_from_db()
    assert record.status == RecordStatus.EXPIRED and record.notices.filter(kind=NoticeKind.EXPIRED).exists()
    assert services.dishonesty_records_expire() == 0


def test_an_upheld_appeal_lifts_the_record_and_a_rejected_one_keeps_it():
    household = make_household()
    admin = make_user("county_admin", "371424000000")
    record = _list(household.head, admin)
    appeal = services.appeal_file(actor=admin, record=record, grounds="the car was sold before")
    with pytest.raises(DomainError):
        services.appeal_file(actor=admin, record=record, grounds="again")
    services.appeal_decide(actor=admin, appeal=appeal, uphold=False, reason="the sale was after the declaration")
    record.refresh_from_db()
    assert record.status == RecordStatus.ACTIVE
    appeal2 = services.appeal_file(actor=admin, record=record, grounds="new evidence of sale")
    services.appeal_decide(actor=admin, appeal=appeal2, uphold=True, reason="sale contract dated before")
    record.refresh_from_db()
    assert record.status == RecordStatus.LIFTED and selectors.household_restriction(household) is None
    assert appeal2.__class__.objects.get(pk=appeal2.pk).status == AppealStatus.UPHELD


def test_lifting_after_repayment_needs_the_manage_permission_and_a_reason():
    household = make_household()
    admin = make_user("county_admin", "371424000000")
    handler = make_user("township_handler", LINYI_TOWN)
    record = _list(household.head, admin)
    with pytest.raises(Forbidden):
        services.dishonesty_record_lift(actor=handler, record=record, kind="repayment", reason="paid")
    with pytest.raises(DomainError):
        services.dishonesty_record_lift(actor=admin, record=record, kind="repayment", reason=" ")
    record.refresh_from_db()
    assert record.status == RecordStatus.ACTIVE
    assert AuditEvent.objects.filter(action="credit.record_lift.refused").count() == 2
    services.dishonesty_record_lift(actor=admin, record=record, kind="repayment", reason="overpayment repaid in full")
    record.refresh_from_db()
    assert record.status == RecordStatus.LIFTED
    with pytest.raises(InvalidTransition):
        services.dishonesty_record_lift(actor=admin, record=record, kind="repayment", reason="again")


def test_a_case_record_needs_a_reason_in_words_and_refusal_changes_nothing():
    household = make_household()
    approver = make_user("county_approver", "371424000000")
    with pytest.raises(DomainError):
        services.dishonesty_record_create(actor=approver, person=household.head, reason="concealment", source="case")
    assert not DishonestyRecord.objects.exists()
    assert AuditEvent.objects.filter(action="credit.record_create.refused").exists()


def test_a_township_cannot_list_a_person_of_another_township():
    household = make_household(XINGLONG_VILLAGE)
    approver = make_user("township_approver", LINYI_TOWN)
    with pytest.raises(Forbidden):
        _list(household.head, approver)


def test_simplified_review_after_enough_consistent_cycles(settings):
    settings.CREDIT_SIMPLIFIED_REVIEW_CYCLES = 2
    household = make_household()
    today = dt.date.today()
    services.review_outcomes_record(consistent=[household.pk], on=today - dt.timedelta(days=365))
    services.review_outcomes_record(consistent=[household.pk], on=today - dt.timedelta(days=365))  # same day: once
    assert not selectors.household_simplified_review(household)
    services.review_outcomes_record(consistent=[household.pk], on=today)
    assert selectors.household_simplified_review(household)
    services.review_outcomes_record(inconsistent=[household.pk], on=today + dt.timedelta(days=1))
    assert not selectors.household_simplified_review(household)


def test_list_and_detail_are_scoped_to_the_jurisdiction(client):
    mine = make_household()
    theirs = make_household(XINGLONG_VILLAGE)
    admin = make_user("county_admin", "371424000000")
    record_mine, record_theirs = _list(mine.head, admin), _list(theirs.head, admin)
    handler = make_user("township_handler", LINYI_TOWN)
    assert list(selectors.record_list(actor=handler)) == [record_mine]
    with pytest.raises(Http404):
        selectors.record_get(actor=handler, pk=record_theirs.pk)
    client.force_login(handler)
    assert client.get(reverse("credit:detail", args=[record_theirs.pk])).status_code == 404
    page = client.get(reverse("credit:list"), {"q": mine.head.name})
    assert page.status_code == 200 and mine.head.id_masked in page.content.decode()
    assert client.post(reverse("credit:lift", args=[record_theirs.pk]), {"kind": "other", "reason": "x"}).status_code == 404
    record_theirs.refresh_from_db()
    assert record_theirs.status == RecordStatus.ACTIVE
    department = make_user("department", "371424000000", department="court")
    client.force_login(department)
    assert client.get(reverse("credit:list")).status_code == 403


def test_appeal_through_the_api_and_other_township_is_404(client):
    mine = make_household()
    theirs = make_household(XINGLONG_VILLAGE)
    admin = make_user("county_admin", "371424000000")
    record_mine, record_theirs = _list(mine.head, admin), _list(theirs.head, admin)
    handler = make_user("township_handler", XINGLONG_TOWN)
    client.force_login(handler)
    url = f"/api/v1/credit/records/{record_mine.pk}/appeal"
    response = client.post(url, {"grounds": "not me"}, content_type="application/json")
    assert response.status_code == 404 and not record_mine.appeals.exists()
    response = client.post(f"/api/v1/credit/records/{record_theirs.pk}/appeal", {"grounds": "sold"},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    listing = client.get("/api/v1/credit/records").json()
    assert [r["id"] for r in listing] == [record_theirs.pk]


def test_the_flag_tag_shows_on_a_restricted_household():
    from django.template import Context, Template

    household = make_household()
    admin = make_user("county_admin", "371424000000")
    template = Template("{% load credit_tags %}{% credit_flag household %}")
    assert "credit-flag" not in template.render(Context({"household": household}))
    _list(household.head, admin)
    assert "credit-flag" in template.render(Context({"household": household}))


def test_the_daily_expiry_is_scheduled_and_runs_as_a_job(django_capture_on_commit_callbacks):
    from django.conf import settings

    from dajiuzhu.core.models import Job
    from dajiuzhu.credit.tasks import expire_records

    assert settings.CELERY_BEAT_SCHEDULE["credit-expire-daily"]["task"] == "dajiuzhu.credit.tasks.expire_records"
    with django_capture_on_commit_callbacks(execute=True):
        job_id = expire_records()
    job = Job.objects.get(pk=job_id)
    assert job.kind == "credit.expire" and job.status == Job.Status.DONE and "expired" in job.result


def test_the_restriction_read_in_precompiled_sql_gives_what_the_orm_read_gives():
    """Every instant decision reads ``household_restriction``; its SQL is written once and must find the
    record the ORM query finds (a member's, the newest first, in force on the day), with its person."""
    from django.forms.models import model_to_dict

    household, other = make_household(), make_household()
    approver = make_user("county_approver", "371424000000")
    spouse = household.members.exclude(pk=household.head_id).get()
    today = dt.date.today()
    _list(household.head, approver, start=today - dt.timedelta(days=400), months=12,  # out of force by now
          source_reference="A-1")
    _list(spouse, approver, start=today - dt.timedelta(days=30), months=12, source_reference="A-2")
    _list(household.head, approver, start=today - dt.timedelta(days=10), months=6, source_reference="A-3")
    for on in (today - dt.timedelta(days=200), today - dt.timedelta(days=20), today, today + dt.timedelta(days=400)):
        for target in (household, other):
            found, expected = (selectors.household_restriction(target, on=on),
                               selectors.household_restriction_orm(target, on=on))
            assert found == expected, on
            if expected is not None:
                assert model_to_dict(found) == model_to_dict(expected)
                assert model_to_dict(found.person) == model_to_dict(expected.person)
    assert selectors.household_restriction(household).person == household.head  # the newest in force
