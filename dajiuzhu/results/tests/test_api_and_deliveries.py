import datetime as dt
import io

import pytest
from openpyxl import Workbook

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, LINYI_VILLAGE, XINGLONG_TOWN, make_household, make_user
from dajiuzhu.results import bankfile
from dajiuzhu.results.models import AssistanceRecord, Delivery, DeliveryRow, PaymentBatch, Source

from .conftest import benefit_for

pytestmark = pytest.mark.django_db


def _bearer(user):
    _token, key = ApiToken.issue(user=user, name="dept system")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_department_delivery_by_token_keeps_aside_someone_not_in_the_registry(client):
    household = make_household(LINYI_VILLAGE)
    head = household.head
    dept = make_user("department", LINYI_COUNTY, department="medical_insurance")
    today = dt.date.today().isoformat()
    rows = [
        {"身份证号": head.id_number, "姓名": head.name, "事项代码": "med_class2", "救助金额": "1,234.50",
         "日期": today, "业务编号": "YB-1"},
        {"id_number": "371424199001011237", "name": "王五", "item_code": "med_class2", "amount": "300",
         "given_on": today, "reference": "YB-2"},
        {"id_number": "12345", "name": "坏号", "item_code": "med_class2", "amount": "300", "given_on": today},
    ]
    response = client.post("/api/v1/results/deliveries", {"rows": rows, "filename": "yb.json"},
                           content_type="application/json", **_bearer(dept))
    assert response.status_code == 201, response.content
    body = response.json()
    # A department is answered uniformly: no count or row tells that 王五 is not in the registry.
    assert body["accepted"] == 2 and body["created"] is None and body["duplicates"] is None
    assert [k["line"] for k in body["kept_aside"]] == [3]
    assert all("371424199001011237" not in k["id_masked"] for k in body["kept_aside"])
    record = AssistanceRecord.objects.get()
    assert (record.household, record.department.code, str(record.amount)) == (household, "medical_insurance",
                                                                              "1234.50")
    assert record.source == Source.DEPARTMENT
    assert DeliveryRow.objects.count() == 2  # 王五 kept aside for matching, with the blind index
    assert DeliveryRow.objects.filter(data__has_key="id_hash").count() == 1
    # The same delivery again: nothing new, reported as already recorded.
    again = client.post("/api/v1/results/deliveries", {"rows": rows[:1]}, content_type="application/json",
                        **_bearer(dept)).json()
    assert again["accepted"] == 1 and again["kept_aside"] == []
    assert Delivery.objects.latest("id").duplicates == 1 and AssistanceRecord.objects.count() == 1
    assert AssistanceRecord.objects.count() == 1


def test_social_organisation_uploads_service_records_as_a_file(client, run_on_commit):
    household = make_household(LINYI_VILLAGE)
    org = make_user("social_org", LINYI_COUNTY)
    wb = Workbook()
    ws = wb.active
    ws.append(["身份证号", "姓名", "事项名称", "服务类型", "服务时长", "服务日期"])
    ws.append([household.head.id_number, household.head.name, "居家照护服务", "居家照护", "4", "2026年1月5日"])
    data = io.BytesIO()
    wb.save(data)
    data.seek(0)
    data.name = "services.xlsx"
    client.force_login(org)
    with run_on_commit(execute=True):  # the file is read by a job
        response = client.post("/results/deliveries/", {"file": data})
    assert response.status_code == 302
    record = AssistanceRecord.objects.get()
    assert record.kind == "service" and record.service_hours == 4 and record.source == Source.SOCIAL_ORG
    assert record.given_on == dt.date(2026, 1, 5)
    assert Delivery.objects.get().created == 1


def test_payment_batch_through_the_api(client, handler, approver, month, town_households, run_on_commit):
    from dajiuzhu.results.payments import payment_batch_generate

    batch = payment_batch_generate(actor=handler, month=month, region_code=LINYI_TOWN,
                                   benefits=[benefit_for(h, case_item_id=i) for i, h in enumerate(town_households)])
    h, a = _bearer(handler), _bearer(approver)
    assert client.post(f"/api/v1/results/batches/{batch.pk}/check", **h).json()["check_report"]["failures"] == []
    refused = client.post(f"/api/v1/results/batches/{batch.pk}/approve", **h)
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    assert client.post(f"/api/v1/results/batches/{batch.pk}/approve", **a).json()["status"] == "approved"
    assert client.get(f"/api/v1/results/batches/{batch.pk}/bank-file?encoding=utf-8", **h).status_code == 405
    batch.refresh_from_db()
    assert batch.exported_at is None  # a GET changes nothing
    bank = client.post(f"/api/v1/results/batches/{batch.pk}/bank-file?encoding=utf-8", **h)
    assert bank.status_code == 200 and bank.content.decode().startswith("批次号")
    batch.refresh_from_db()
    lines = list(batch.lines.select_related("payee"))
    returned = bankfile.write_return_file(batch, lines, failures={1: "账号不存在", 3: "销户"})
    upload = io.BytesIO(returned)
    upload.name = "return.csv"
    with run_on_commit(execute=True):  # the file is read by a job (#14 finding 3), here at once
        accepted = client.post(f"/api/v1/results/batches/{batch.pk}/return-file", {"file": upload}, **h)
    assert accepted.status_code == 202, accepted.content
    done = client.get(f"/api/v1/core/jobs/{accepted.json()['id']}", **h).json()
    assert done["status"] == "done" and done["result"]["summary"]
    batch.refresh_from_db()
    assert (batch.paid_count, batch.failed_count) == (3, 2)
    upload = io.BytesIO(returned)
    upload.name = "return.csv"
    with run_on_commit(execute=True):  # the same file again: the batch is reconciled, the job says why not
        again = client.post(f"/api/v1/results/batches/{batch.pk}/return-file", {"file": upload}, **h)
    refused = client.get(f"/api/v1/core/jobs/{again.json()['id']}", **h).json()
    assert refused["status"] == "failed" and refused["result"]["refused"]
    detail = client.get(f"/api/v1/results/batches/{batch.pk}", **h).json()
    assert sorted(x["line_no"] for x in detail["lines"] if x["status"] == "failed") == [1, 3]


def test_another_townships_batch_is_404_through_the_api(client, handler, month):
    from dajiuzhu.results.payments import payment_batch_generate

    batch = payment_batch_generate(actor=handler, month=month, region_code=LINYI_TOWN, benefits=[])
    other = make_user("township_handler", XINGLONG_TOWN)
    auth = _bearer(other)
    assert client.get(f"/api/v1/results/batches/{batch.pk}", **auth).status_code == 404
    assert client.post(f"/api/v1/results/batches/{batch.pk}/check", **auth).status_code == 404
    assert PaymentBatch.objects.get().status == "draft"


def test_records_api_lists_only_the_jurisdiction(client):
    admin = make_user("county_admin", LINYI_COUNTY)
    from decimal import Decimal

    from dajiuzhu.results.services import RecordInput, assistance_record_create

    for region in (LINYI_VILLAGE, "371424105276"):
        assistance_record_create(actor=admin, household=make_household(region), source=Source.MANUAL,
                                 data=RecordInput(item_code="temp_small", amount=Decimal("500"),
                                                  given_on=dt.date.today()))
    body = client.get("/api/v1/results/records", **_bearer(make_user("township_handler", LINYI_TOWN))).json()
    assert body["count"] == 1 and body["items"][0]["region_code"] == LINYI_VILLAGE


def test_a_gbk_csv_delivery_keeps_aside_formulas_and_strangers_and_records_the_rest(client, run_on_commit):
    household = make_household(LINYI_VILLAGE)
    head = household.head
    dept = make_user("department", LINYI_COUNTY, department="civil_affairs")
    text = ("公民身份号码,姓名,救助项目,金额,发放日期,业务编号\r\n"
            f"{head.id_number},{head.name},临时救助,"
            "\"1,500.00\",2026年3月5日,LS-1\r\n"
            f"{head.id_number},{head.name},=HYPERLINK(\"x\"),100,2026-03-05,LS-2\r\n"
            "371424196103090019,查无此人,临时救助,500,2026-03-05,LS-3\r\n")
    upload = io.BytesIO(text.encode("gbk"))
    upload.name = "民政-临时救助.csv"
    client.force_login(dept)
    with run_on_commit(execute=True):
        response = client.post("/results/deliveries/", {"file": upload})
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    page = client.get(response.url).content.decode()  # the job's page: what the file did, and where to see it
    assert f"/results/deliveries/{delivery.pk}/" in page
    assert (delivery.created, delivery.kept_aside) == (1, 2)
    reasons = dict(delivery.kept_rows.values_list("line", "reason"))
    assert set(reasons) == {3, 4}
    assert AssistanceRecord.objects.get().amount == 1500
    page = client.get(f"/results/deliveries/{delivery.pk}/")
    assert page.status_code == 200 and len(page.context["kept"]) == 2


@pytest.mark.parametrize("who, expected", [("anonymous", 302), ("department", 404), ("other_township", 404),
                                           ("village_worker", 404), ("approver", 200)])
def test_batch_page_permissions_and_a_refused_action_changes_nothing(client, handler, month, town_households, who,
                                                                     expected):
    from dajiuzhu.results.payments import payment_batch_check, payment_batch_generate

    batch = payment_batch_generate(actor=handler, month=month, region_code=LINYI_TOWN,
                                   benefits=[benefit_for(h, case_item_id=i) for i, h in enumerate(town_households)])
    batch = payment_batch_check(actor=handler, batch=batch)
    users = {"department": ("department", LINYI_COUNTY), "other_township": ("township_approver", XINGLONG_TOWN),
             "village_worker": ("village_worker", LINYI_VILLAGE), "approver": ("township_approver", LINYI_TOWN)}
    if who in users:
        client.force_login(make_user(*users[who]))
    page = client.get(f"/results/payments/{batch.pk}/")
    assert page.status_code == expected
    client.post(f"/results/payments/{batch.pk}/approve/")
    batch.refresh_from_db()
    assert batch.status == ("approved" if who == "approver" else "checked")


def test_recording_through_the_api_outside_the_jurisdiction_is_404(client):
    household = make_household("371424105276")
    body = {"household_id": household.pk, "item_code": "temp_small", "amount": "500", "given_on": "2026-01-05"}
    other = _bearer(make_user("township_handler", LINYI_TOWN))
    assert client.post("/api/v1/results/records", body, content_type="application/json", **other).status_code == 404
    own = _bearer(make_user("township_handler", XINGLONG_TOWN))
    created = client.post("/api/v1/results/records", body, content_type="application/json", **own)
    assert created.status_code == 201 and created.json()["household_number"] == household.number
    assert AssistanceRecord.objects.count() == 1


def test_a_delivery_is_no_oracle_of_who_is_in_the_registry(client):
    """Security finding 9: a known person (of any township) and an unknown one get the same answer."""
    from dajiuzhu.core.testing import XINGLONG_VILLAGE, next_id_number, years_ago

    known = make_household(XINGLONG_VILLAGE).head
    org = make_user("department", LINYI_COUNTY, department="medical_insurance")
    today = dt.date.today().isoformat()

    def deliver(number, ref):
        row = {"id_number": number, "name": "某人", "item_code": "med_class2", "amount": "10", "given_on": today,
               "reference": ref}
        response = client.post("/api/v1/results/deliveries", {"rows": [row]}, content_type="application/json",
                               **_bearer(org))
        assert response.status_code == 201, response.content
        return {k: v for k, v in response.json().items() if k != "id"}

    assert deliver(known.id_number, "A") == deliver(next_id_number(years_ago(40)), "B")
    client.force_login(org)
    pages = [client.get(f"/results/deliveries/{d.pk}/").content.decode() for d in Delivery.objects.order_by("id")]
    assert "not matched" not in pages[0] + pages[1]
