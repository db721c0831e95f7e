import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    LINYI_VILLAGE,
    XINGLONG_TOWN,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
)
from dajiuzhu.results.models import AssistanceRecord, Kind, Source
from dajiuzhu.results.reports import monthly_report
from dajiuzhu.results.services import RecordInput, assistance_record_create

pytestmark = pytest.mark.django_db

# A 居民委员会 of 邢侗街道 (core.testing.URBAN_COMMUNITY names a code the division file lacks).
URBAN_COMMUNITY = "371424001023"


def _give(admin, region, item, amount, *, on, persons=1, month=None):
    household = make_household(region)
    data = RecordInput(item_code=item, given_on=on, amount=Decimal(amount), persons=persons, period_start=month)
    return assistance_record_create(actor=admin, household=household, data=data, source=Source.MANUAL)[0]


@pytest.fixture
def month_records():
    admin = make_user("county_admin", LINYI_COUNTY)
    today = dt.date.today()
    month = today.replace(day=1)
    earlier = (month - dt.timedelta(days=1)).replace(day=1)
    rows = [
        _give(admin, URBAN_COMMUNITY, "dibao", "900.00", on=today, persons=3, month=month),
        _give(admin, LINYI_VILLAGE, "dibao", "720.00", on=today, persons=2, month=month),
        _give(admin, LINYI_VILLAGE, "dibao", "360.00", on=today, persons=1, month=month),
        _give(admin, XINGLONG_VILLAGE, "tekun", "1236.00", on=today, persons=1, month=month),
        _give(admin, XINGLONG_VILLAGE, "temporary", "3000.00", on=today),
        _give(admin, LINYI_VILLAGE, "orphan", "1500.00", on=today, month=month),
        _give(admin, LINYI_VILLAGE, "disability_care", "100.00", on=today, month=month),
    ]
    if earlier.year == month.year:
        rows.append(_give(admin, LINYI_VILLAGE, "dibao", "700.00", on=earlier, persons=2, month=earlier))
    return admin, month, rows


def test_monthly_report_totals_equal_the_records(month_records):
    admin, month, rows = month_records
    report = monthly_report(actor=admin, region_code=LINYI_COUNTY, month=f"{month:%Y-%m}")
    keys = report["group_keys"]
    assert keys == ["dibao_urban", "dibao_rural", "tekun", "temporary", "orphan", "disability"]
    total = report["total"]["values"]
    this_month = [r for r in rows if (r.period_start or r.given_on) >= month]
    rural = [r for r in this_month if r.item_code == "dibao" and not r.is_urban]
    # 城市低保: households, persons, this month, cumulative
    assert total[0:4] == [1, 3, Decimal("900.00"), Decimal("900.00")]
    cumulative_rural = sum(r.amount for r in rows if r.item_code == "dibao" and not r.is_urban)
    assert total[4:8] == [len(rural), sum(r.persons for r in rural), sum(r.amount for r in rural), cumulative_rural]
    assert total[8:11] == [1, Decimal("1236.00"), Decimal("1236.00")]
    assert total[11:14] == [1, Decimal("3000.00"), Decimal("3000.00")]
    assert total[14:17] == [1, Decimal("1500.00"), Decimal("1500.00")]
    assert total[17:20] == [1, Decimal("100.00"), Decimal("100.00")]
    linyi = next(r for r in report["rows"] if r["code"] == LINYI_TOWN[:9])
    assert linyi["values"][4:6] == [2, 3]


def test_monthly_report_xlsx_opens_with_official_layout_and_correct_totals(client, month_records):
    admin, month, rows = month_records
    client.force_login(admin)
    response = client.get(reverse("results:report"), {"region": LINYI_COUNTY, "month": f"{month:%Y-%m}",
                                                      "format": "xlsx"})
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert "A3:A4" in merged and "B3:E3" in merged and any(m.startswith("A1:") for m in merged)
    assert ws["B3"].value == "城市最低生活保障" and ws["B4"].value == "户数"
    total_row = next(r for r in ws.iter_rows(min_row=5, values_only=True) if r[0] in ("Total", "合计"))
    assert total_row[3] == 900 and total_row[9] == 1 and total_row[10] == 1236
    assert Decimal(str(total_row[8])) == sum(r.amount for r in rows if r.item_code == "dibao" and not r.is_urban)
    assert ws.max_row >= 5 + 12  # one row per township and the total


def test_report_for_another_township_is_404(client, month_records):
    client.force_login(make_user("township_handler", XINGLONG_TOWN))
    assert client.get(reverse("results:report"), {"region": LINYI_TOWN}).status_code == 404


def test_record_list_is_scoped_and_exports_xlsx(client, month_records):
    client.force_login(make_user("township_handler", LINYI_TOWN))
    page = client.get(reverse("results:records"))
    assert page.status_code == 200
    shown = {r.region_code[:9] for r in page.context["page"]}
    assert shown == {LINYI_TOWN[:9]}
    export = client.get(reverse("results:records"), {"format": "xlsx"})
    ws = load_workbook(io.BytesIO(export.content)).active
    assert ws.max_row == 1 + AssistanceRecord.objects.filter(region_code__startswith=LINYI_TOWN[:9]).count()


def test_household_history_is_printable_and_404_outside_the_jurisdiction(client, month_records):
    admin, month, rows = month_records
    household = rows[3].household  # 兴隆镇
    client.force_login(make_user("township_handler", LINYI_TOWN))
    assert client.get(reverse("results:household", args=[household.pk])).status_code == 404
    client.force_login(make_user("township_handler", XINGLONG_TOWN))
    page = client.get(reverse("results:household", args=[household.pk]))
    assert page.status_code == 200 and b"data-print" in page.content
    assert page.context["total_amount"] == Decimal("1236.00")


def test_service_record_needs_a_service_kind(month_records):
    admin, month, rows = month_records
    household = rows[0].household
    from dajiuzhu.core.errors import DomainError

    with pytest.raises(DomainError):
        assistance_record_create(actor=admin, household=household, source=Source.MANUAL,
                                 data=RecordInput(item_code="care", kind=Kind.SERVICE, given_on=dt.date.today()))


def test_a_worker_records_a_service_from_the_household_page_and_another_township_cannot(client, month_records):
    admin, month, rows = month_records
    household = rows[1].household  # 临邑镇
    url = reverse("results:household", args=[household.pk])
    form = {"item_code": "home_care", "kind": "service", "service_kind": "居家照护", "service_hours": "3",
            "given_on": dt.date.today().isoformat()}
    client.force_login(make_user("township_handler", XINGLONG_TOWN))
    assert client.post(url, form).status_code == 404
    client.force_login(make_user("township_handler", LINYI_TOWN))
    assert client.post(url, form).status_code == 302
    record = AssistanceRecord.objects.get(item_code="home_care")
    assert (record.kind, record.service_hours, record.household) == ("service", 3, household)
    client.force_login(make_user("village_worker", LINYI_VILLAGE))  # may look, may not record
    assert client.post(url, form).status_code == 404
    assert AssistanceRecord.objects.filter(item_code="home_care").count() == 1


@pytest.mark.parametrize("url", ["results:batches", "results:recoveries", "results:deliveries", "results:outcomes"])
def test_every_list_page_exports_xlsx(client, month_records, url):
    admin, month, rows = month_records
    client.force_login(admin)
    response = client.get(reverse(url), {"format": "xlsx"})
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).active.max_row >= 1
