import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dajiuzhu.checks.delivery import delivery_receive, records_match_pending
from dajiuzhu.checks.models import Delivery, DepartmentRecord
from dajiuzhu.core.errors import Conflict, DomainError, Forbidden
from dajiuzhu.core.ids import make_id_number
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import make_household, make_user, member_input
from dajiuzhu.credit.models import DishonestyRecord

from .factories import deliver, department_user, row

pytestmark = pytest.mark.django_db


def test_a_delivery_matches_people_by_id_number_and_keeps_unknown_people_aside():
    household = make_household()
    stranger = make_id_number("371424", dt.date(1980, 5, 6), 17)
    rows = [row(household.head, monthly_wages="2,500元"),
            {"身份证号": stranger.lower(), "姓名": "外人", "数据日期": "2026年1月5日", "月工资": "１２００"}]
    delivery = deliver("hr_social_security", "wage", rows)
    assert (delivery.matched, delivery.unmatched, delivery.created) == (1, 1, 2)
    record = DepartmentRecord.objects.get(person=household.head)
    assert record.amount == 250000 and record.values["monthly_wages"] == "2500.00"
    assert record.delivery == delivery and record.received_at is not None and record.region_code == household.region_code
    unknown = DepartmentRecord.objects.get(person__isnull=True)
    assert unknown.id_masked.startswith("3714") and stranger not in str(unknown.values)
    assert AuditEvent.objects.filter(action="checks.delivery", object_id=str(delivery.pk)).exists()

    # The stranger registers later: the kept record is matched then.
    make_household(members=[member_input("外人", id_number=stranger)])
    assert records_match_pending() == 1
    assert DepartmentRecord.objects.filter(person__isnull=True).count() == 0


def test_the_same_delivery_twice_is_refused_and_an_overlapping_one_changes_only_what_changed():
    household = make_household()
    spouse = household.members.exclude(pk=household.head_id).get()
    user = department_user("banks")
    first = deliver(user, "deposit", [row(household.head, amount="1000"), row(spouse, amount="50")])
    with pytest.raises(Conflict):
        deliver(user, "deposit", [row(spouse, amount="50"), row(household.head, amount="1000")])
    assert Delivery.objects.count() == 1
    assert AuditEvent.objects.filter(action="checks.delivery.refused").count() == 1
    second = deliver(user, "deposit", [row(household.head, amount="1000"), row(spouse, amount="80")])
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    assert DepartmentRecord.objects.count() == 2
    assert DepartmentRecord.objects.get(person=spouse).delivery == second
    assert first.records.count() == 1


def test_a_data_type_of_another_department_is_refused_and_audited():
    household = make_household()
    with pytest.raises(Forbidden):
        deliver("medical_insurance", "vehicle", [row(household.head, vehicles=1)])
    assert not Delivery.objects.exists() and not DepartmentRecord.objects.exists()
    event = AuditEvent.objects.get(action="checks.delivery.refused")
    assert event.new["data_type"] == "vehicle" and event.new["department"] == "medical_insurance"


def test_a_date_in_the_future_refuses_the_whole_delivery():
    household = make_household()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    rows = [row(household.head, vehicles=1), row(household.head, as_of=tomorrow, vehicles=2)]
    with pytest.raises(DomainError) as refused:
        deliver("police", "vehicle", rows)
    assert refused.value.field == "as_of"
    assert not DepartmentRecord.objects.exists()
    assert AuditEvent.objects.filter(action="checks.delivery.refused").exists()


def test_bad_rows_are_reported_and_good_rows_kept():
    household = make_household()
    rows = [row(household.head, vehicles=1), {"id_number": "371424198001011234", "as_of": "2026-01-01", "vehicles": 1},
            {"id_number": household.head.id_number, "as_of": "2025-12-01", "vehicles": "=1+1"}]
    delivery = deliver("police", "vehicle", rows)
    assert delivery.created == 1 and delivery.invalid == 2
    assert {e["row"] for e in delivery.errors} == {2, 3}


def test_only_department_accounts_deliver():
    household = make_household()
    handler = make_user("township_handler")
    with pytest.raises(Forbidden):
        delivery_receive(actor=handler, data_type="vehicle", rows=[row(household.head, vehicles=1)])


def test_a_court_list_writes_dishonesty_records_once():
    household = make_household()
    rows = [row(household.head, listed_on="2025-06-01", case_number="(2025)鲁1424执123号")]
    deliver("court", "dishonest_debtor", rows)
    record = DishonestyRecord.objects.get()
    assert record.person == household.head and record.source == "department_list"
    assert record.reason == "dishonest_debtor" and record.notices.exists()
    rows[0]["as_of"] = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    deliver("court", "dishonest_debtor", rows)
    assert DishonestyRecord.objects.count() == 1


def test_an_area_data_type_needs_a_division_code():
    delivery = deliver("emergency", "disaster", [{"region_code": "371424100000", "as_of": "2026-01-02", "kind": "flood",
                                                  "severity": 2}, {"region_code": "3714", "as_of": "2026-01-02",
                                                                   "kind": "flood", "severity": 2}])
    assert delivery.created == 1 and delivery.invalid == 1


def test_department_users_see_only_their_own_deliveries_and_never_the_registry(client):
    household = make_household()
    police, banks = department_user("police"), department_user("banks")
    mine = deliver(police, "vehicle", [row(household.head, vehicles=1)])
    theirs = deliver(banks, "deposit", [row(household.head, amount="10")])
    client.force_login(police)
    page = client.get(reverse("checks:deliveries"))
    assert page.status_code == 200
    assert reverse("checks:delivery", args=[mine.pk]) in page.content.decode()
    assert reverse("checks:delivery", args=[theirs.pk]) not in page.content.decode()
    assert client.get(reverse("checks:delivery", args=[theirs.pk])).status_code == 404
    assert client.get(f"/api/v1/checks/deliveries/{theirs.pk}").status_code == 404
    assert client.get(f"/api/v1/checks/deliveries/{mine.pk}").status_code == 200
    refused = AuditEvent.objects.filter(action="checks.delivery_read.refused", object_id=str(theirs.pk))
    assert refused.count() == 2 and refused.first().new["actor_department"] == "police"
    assert client.get("/api/v1/registry/households").status_code in (403, 404)
    assert client.get(reverse("checks:reports")).status_code == 403


def test_upload_page_accepts_a_csv_file_and_the_template_downloads(client, run_on_commit, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dajiuzhu.core.models import Job

    settings.VAR_DIR = tmp_path

    household = make_household()
    police = department_user("police")
    client.force_login(police)
    template = client.get(reverse("checks:template", args=["vehicle"]))
    assert template.status_code == 200 and "身份证号" in template.content.decode("utf-8-sig")
    body = f"身份证号,姓名,数据日期,车辆数,残疾人专用车数,号牌\n{household.head.id_number},{household.head.name},2026-01-03,1,0,鲁N12345\n"
    upload = SimpleUploadedFile("vehicles.csv", body.encode("gbk"), content_type="text/csv")
    with run_on_commit(execute=True):  # the file is read by a job (#14 finding 3), here at once
        response = client.post(reverse("checks:deliveries"), {"data_type": "vehicle", "file": upload})
    job = Job.objects.get(kind="checks.delivery")
    assert response.status_code == 302 and response.url == reverse("upload_job", args=[job.pk])
    assert DepartmentRecord.objects.get().quantity == 1
    page = client.get(response.url).content.decode()
    assert reverse("checks:delivery", args=[Delivery.objects.get().pk]) in page and "hx-get" not in page
    upload = SimpleUploadedFile("vehicles.csv", body.encode("gbk"), content_type="text/csv")
    with run_on_commit(execute=True):
        response = client.post(reverse("checks:deliveries"), {"data_type": "vehicle", "file": upload})
    assert Delivery.objects.count() == 1
    job = Job.objects.filter(kind="checks.delivery").order_by("-created_at").first()
    assert job.status == "failed" and job.result["refused"]
    assert job.result["refused"] in client.get(response.url).content.decode()
    assert not list((tmp_path / "uploads").glob("*.enc"))  # each job deleted its upload
    client.force_login(department_user("banks"))
    assert client.get(response.url).status_code == 404  # only the uploader sees the job


def test_delivery_through_the_api_with_a_department_token(client):
    from dajiuzhu.accounts.models import ApiToken

    household = make_household()
    police = department_user("police")
    _token, key = ApiToken.issue(user=police, name="police system")
    payload = {"data_type": "vehicle", "records": [row(household.head, vehicles=2)]}
    response = client.post("/api/v1/checks/deliveries", payload, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 1 and body["matched"] == 1
    again = client.post("/api/v1/checks/deliveries", payload, content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {key}")
    assert again.status_code == 409 and again["Content-Type"] == "application/problem+json"
    wrong = client.post("/api/v1/checks/deliveries", {"data_type": "wage", "records": payload["records"]},
                        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert wrong.status_code == 403
    status = client.get(f"/api/v1/checks/deliveries/{body['id']}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert status.status_code == 200 and status.json()["data_type"] == "vehicle"
