"""The registry file import: reading, validation, merge, error report, idempotence."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation

from dajiuzhu.core.audit import audit_verify
from dajiuzhu.core.intake import FileRefused
from dajiuzhu.core.intake.report import report_content, report_kind
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    LINYI_VILLAGE,
    LINYI_VILLAGE_2,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
    next_id_number,
    years_ago,
)
from dajiuzhu.registry.importing import registry_import
from dajiuzhu.registry.models import Household, HouseholdFacts, MemberFacts, Membership, Person
from dajiuzhu.registry.services import id_hash

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    """Assertions read the English source messages (the Chinese catalogue is checked elsewhere)."""
    settings.VAR_DIR = tmp_path / "var"  # uploads and error reports of tests stay out of the real var/
    with translation.override("en"):
        yield

HEADER = ["户编号", "姓名", "公民身份号码", "与户主关系", "居住地区划代码"]


def an_id(age: int = 45, sex: str = "M") -> str:
    return next_id_number(years_ago(age) - dt.timedelta(days=40), sex=sex)


def family(key: str = "1", region: str = LINYI_VILLAGE, size: int = 3) -> list[list[str]]:
    rows = [[key, "张建国", an_id(50), "户主", region], [key, "李秀英", an_id(48, "F"), "配偶", region],
            [key, "张小明", an_id(20), "子女", region], [key, "张小红", an_id(16, "F"), "女儿", region]]
    return rows[:size]


def write_csv(tmp_path, rows, *, header=HEADER, encoding="utf-8", name="registry.csv", bom=False):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_xlsx(tmp_path, sheets: dict, *, name="registry.xlsx", merge: str = ""):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if merge and title == list(sheets)[0]:
            sheet.merge_cells(merge)
    path = tmp_path / name
    workbook.save(path)
    return path


def report_file(path):
    """The report as downloaded (the file at rest is sealed: ``core.intake.report.report_content``)."""
    content, _kind = report_content(path)
    return io.BytesIO(b"".join(content))


def read_report(path):
    if str(path).endswith(".enc"):
        kind, path = report_kind(path), report_file(path)
    else:
        kind = report_kind(path)
    if kind == "xlsx":
        sheet = openpyxl.load_workbook(path).active
        return [[("" if c is None else str(c)) for c in row] for row in sheet.iter_rows(values_only=True)]
    if isinstance(path, io.BytesIO):
        return list(csv.reader(io.StringIO(path.getvalue().decode("utf-8-sig"), newline="")))
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def admin():
    return make_user("county_admin", LINYI_COUNTY)


def test_gbk_file_is_detected_and_imported(tmp_path, admin):
    path = write_csv(tmp_path, family(size=3) + family("2", LINYI_VILLAGE_2, size=2), encoding="gbk")
    result = registry_import(actor=admin, path=path)
    assert "gb18030" in result.source
    assert result.counts.households_created == 2 and result.counts.members_created == 5
    assert result.counts.rows_rejected == 0 and result.report_path is None
    household = Household.objects.get(region_code=LINYI_VILLAGE)
    assert household.number == f"{LINYI_VILLAGE}-00001"
    assert household.head.name == "张建国" and household.members.count() == 3
    assert Membership.objects.filter(household=household, end__isnull=True).count() == 3
    assert audit_verify().ok


def test_utf8_with_bom_is_read(tmp_path, admin):
    path = write_csv(tmp_path, family(), bom=True)
    result = registry_import(actor=admin, path=path)
    assert "utf-8-sig" in result.source and result.counts.members_created == 3



def test_xlsx_with_a_title_row_numeric_cells_and_optional_columns(tmp_path, admin):
    head_id = an_id(60)
    rows = [
        ["临邑县社会救助对象信息登记表", None, None, None, None, None, None, None],
        HEADER + ["联系电话", "月工资性收入", "残疾等级", "残疾类别"],
        [1, "王大山", head_id, "户主", LINYI_VILLAGE, "13800138000", 1200.5, 2, "肢体"],
        [1, "王二", an_id(30), "儿子", LINYI_VILLAGE, None, None, None, None],
    ]
    path = write_xlsx(tmp_path, {"登记表": rows}, merge="A1:H1")
    result = registry_import(actor=admin, path=path)
    assert result.counts.members_created == 2, result.counts
    assert "登记表" in result.source
    person = Person.objects.get(id_hash=id_hash(head_id))
    assert person.phone == "13800138000" and person.phone_masked == "138****8000"
    assert MemberFacts.objects.get(person=person).disability_grade == 2
    assert HouseholdFacts.objects.get(household=person.household).monthly_wages == Decimal("1200.50")


def test_the_first_sheet_with_the_required_headers_is_used(tmp_path, admin):
    guide = [["填写说明"], ["每行一名成员"]]
    other = [["序号", "备注"], [1, "无关"]]
    path = write_xlsx(tmp_path, {"说明": guide, "汇总": other, "成员": [HEADER, *family()]})
    result = registry_import(actor=admin, path=path)
    assert "成员" in result.source and result.counts.members_created == 3


def test_merged_header_cells_refuse_the_file(tmp_path, admin):
    rows = [HEADER + ["地址"], *family()]
    path = write_xlsx(tmp_path, {"登记表": rows}, merge="E1:F1")
    with pytest.raises(FileRefused, match="E1:F1"):
        registry_import(actor=admin, path=path)
    assert not Person.objects.exists() and not AuditEvent.objects.filter(action__startswith="registry.import").exists()


def test_missing_required_column_refuses_the_file(tmp_path, admin):
    path = write_csv(tmp_path, [row[:4] for row in family()], header=HEADER[:4])
    with pytest.raises(FileRefused, match="居住地区划代码"):
        registry_import(actor=admin, path=path)
    assert not Person.objects.exists()


def test_no_sheet_with_the_headers_names_the_sheets(tmp_path, admin):
    path = write_xlsx(tmp_path, {"甲": [["姓名", "年龄"], ["张三", 3]], "乙": [["x"]]})
    with pytest.raises(FileRefused, match="甲"):
        registry_import(actor=admin, path=path)


@pytest.mark.parametrize("content", [b"", b"\r\n  \r\n", "户编号,姓名,公民身份号码,与户主关系,居住地区划代码\r\n".encode()])
def test_empty_file_is_refused(tmp_path, admin, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(FileRefused, match="empty|no data rows"):
        registry_import(actor=admin, path=path)


@pytest.mark.parametrize("content", [
    "户编号,姓名\r\n".encode("utf-16"),  # Excel "Unicode text"
    b"\xe6\x88\xb7\xff\xfe\x80\x80,\xff\xff\r\n",  # neither UTF-8 nor GB18030
])
def test_wrong_encoding_is_refused(tmp_path, admin, content):
    path = tmp_path / "wrong.csv"
    path.write_bytes(content)
    with pytest.raises(FileRefused, match="UTF-8"):
        registry_import(actor=admin, path=path)


def test_unreadable_xlsx_is_refused(tmp_path, admin):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(FileRefused, match="XLSX"):
        registry_import(actor=admin, path=path)


def test_formula_cell_rejects_its_household_naming_row_and_column(tmp_path, admin):
    bad = family("1")
    bad[1][1] = "=HYPERLINK(\"http://x\",\"a\")"
    path = write_xlsx(tmp_path, {"登记表": [HEADER, *bad, *family("2")]})
    result = registry_import(actor=admin, path=path)
    assert result.counts.households_created == 1 and result.counts.rows_rejected == 3
    report = read_report(result.report_path)
    assert report[0] == HEADER + ["错误原因", "原行号"]
    by_row = {r[-1]: r for r in report[1:]}
    assert "姓名 (B)" in by_row["3"][-2] and "formula" in by_row["3"][-2]
    assert by_row["3"][1].startswith("=HYPERLINK")  # kept as text, not as a formula
    assert "another row of household 1" in by_row["2"][-2]
    assert not Person.objects.filter(name="张建国", household__region_code=LINYI_VILLAGE).count() > 1


def test_script_in_a_csv_cell_is_refused_and_written_back_harmless(tmp_path, admin):
    rows = family("1", size=1)
    rows[0][1] = "<script>alert(1)</script>"
    other = family("2", size=1)
    other[0][1] = "-2+3"
    path = write_csv(tmp_path, rows + other)
    result = registry_import(actor=admin, path=path)
    assert result.counts.rows_rejected == 2 and not Person.objects.exists()
    report = read_report(result.report_path)
    assert "markup" in report[1][-2] and report[2][1] == "'-2+3"


def test_invalid_id_and_impossible_date_are_reported_per_row(tmp_path, admin):
    rows = family("1", size=2) + family("2", size=1) + family("3", size=1)
    good = rows[0][2]
    rows[0][2] = good[:-1] + ("0" if good[-1] != "0" else "1")  # wrong check character
    rows[2][2] = "371424" + "19800231" + "0017"  # 31 February
    path = write_csv(tmp_path, rows)
    result = registry_import(actor=admin, path=path)
    assert result.counts.households_created == 1 and result.counts.rows_rejected == 3
    reasons = {r[-1]: r[-2] for r in read_report(result.report_path)[1:]}
    assert "公民身份号码 (C)" in reasons["2"] and "check character" in reasons["2"]
    assert "impossible birth date" in reasons["4"]


def test_unknown_region_is_rejected(tmp_path, admin):
    rows = family("1", region="371424100999", size=2)
    path = write_csv(tmp_path, rows + family("2"))
    result = registry_import(actor=admin, path=path)
    reasons = [r[-2] for r in read_report(result.report_path)[1:]]
    assert all("居住地区划代码 (E)" in r and "unknown division code" in r for r in reasons)
    assert result.counts.households_created == 1


def test_a_person_in_two_households_of_one_file_rejects_both(tmp_path, admin):
    first, second = family("A", size=2), family("B", LINYI_VILLAGE_2, size=2)
    second[1][2] = first[1][2]
    path = write_csv(tmp_path, first + second + family("C"))
    result = registry_import(actor=admin, path=path)
    assert result.counts.households_rejected == 2 and result.counts.households_created == 1
    reasons = {r[-1]: r[-2] for r in read_report(result.report_path)[1:]}
    assert "another household of this file (户编号 B)" in reasons["3"]
    assert "(户编号 A)" in reasons["5"]
    assert not Person.objects.filter(id_hash=id_hash(first[1][2])).exists()


def test_one_bad_row_among_many_leaves_no_partial_household(tmp_path, admin):
    rows = []
    for key in range(1, 121):
        rows += family(str(key), LINYI_VILLAGE if key % 2 else LINYI_VILLAGE_2, size=3)
    rows[181][3] = "邻居"  # household 61, third row: not a relation
    bad_ids = [r[2] for r in rows[180:183]]
    path = write_csv(tmp_path, rows)
    result = registry_import(actor=admin, path=path, batch_rows=50)
    assert result.counts.households_created == 119 and result.counts.rows_rejected == 3
    assert result.batches > 3
    assert not Person.objects.filter(id_hash__in=[id_hash(i) for i in bad_ids]).exists()
    assert Person.objects.count() == 357
    batch_events = AuditEvent.objects.filter(action="registry.import.batch").count()
    assert batch_events == result.batches and AuditEvent.objects.filter(action="registry.import").count() == 1


def test_reimporting_the_same_file_changes_nothing(tmp_path, admin):
    header = HEADER + ["联系电话", "健康状况", "月工资性收入", "存款", "地址", "信息日期"]
    rows = [r + ["13900000000" if i == 0 else "", "慢性病", "800" if i == 0 else "", "5,000元" if i == 0 else "",
                 "张法古村3号" if i == 0 else "", "2026-01-10" if i == 0 else ""] for i, r in enumerate(family())]
    path = write_csv(tmp_path, rows, header=header)
    first = registry_import(actor=admin, path=path)
    assert first.counts.households_created == 1
    snapshot = (Person.objects.count(), MemberFacts.objects.count(), HouseholdFacts.objects.count(),
                Membership.objects.count(), list(Person.objects.values_list("updated_at", flat=True)))
    second = registry_import(actor=admin, path=path)
    assert second.counts.households_unchanged == 1 and second.counts.members_unchanged == 3
    assert second.counts.households_created == second.counts.members_created == second.counts.members_updated == 0
    assert snapshot == (Person.objects.count(), MemberFacts.objects.count(), HouseholdFacts.objects.count(),
                        Membership.objects.count(), list(Person.objects.values_list("updated_at", flat=True)))
    facts = HouseholdFacts.objects.get()
    assert facts.as_of == dt.date(2026, 1, 10) and facts.deposits == Decimal("5000.00") and facts.source == "import"


def test_existing_people_are_updated_never_duplicated(tmp_path, admin):
    household = make_household(LINYI_VILLAGE)
    head, spouse = household.head, household.members.exclude(pk=household.head_id).get()
    child_id = an_id(10)
    header = HEADER + ["地址", "联系电话", "月工资性收入"]
    rows = [
        ["9", head.name, head.id_number, "户主", LINYI_VILLAGE, "新地址1号", "13700000000", "300"],
        ["9", spouse.name, spouse.id_number, "配偶", LINYI_VILLAGE, "", "", ""],
        ["9", "张小宝", child_id, "子女", LINYI_VILLAGE, "", "", ""],
    ]
    result = registry_import(actor=admin, path=write_csv(tmp_path, rows, header=header))
    counts = result.counts
    assert (counts.households_updated, counts.members_created, counts.members_updated, counts.members_unchanged) == \
        (1, 1, 1, 1), counts
    assert Household.objects.count() == 1 and Person.objects.count() == 3
    household.refresh_from_db()
    assert household.address == "新地址1号" and household.members.count() == 3
    head.refresh_from_db()
    assert head.phone == "13700000000"
    assert household.facts.order_by("-as_of").first().monthly_wages == Decimal("300.00")
    assert Membership.objects.filter(household=household, person__id_hash=id_hash(child_id)).exists()


def test_a_file_head_that_differs_from_the_registry_head_is_rejected(tmp_path, admin):
    household = make_household(LINYI_VILLAGE)
    spouse = household.members.exclude(pk=household.head_id).get()
    rows = [["1", spouse.name, spouse.id_number, "户主", LINYI_VILLAGE]]
    result = registry_import(actor=admin, path=write_csv(tmp_path, rows))
    assert result.counts.households_rejected == 1
    assert "another head" in read_report(result.report_path)[1][-2]
    spouse.refresh_from_db()
    assert spouse.relation == "spouse"


def test_rows_outside_the_jurisdiction_are_rejected_but_a_window_may_register_in_its_county(tmp_path):
    handler = make_user("township_handler", LINYI_TOWN)
    other_county = "371402002219"
    rows = family("1", XINGLONG_VILLAGE, size=2) + family("2", other_county, size=1) + family("3", size=1)
    result = registry_import(actor=handler, path=write_csv(tmp_path, rows))
    assert result.counts.households_created == 2 and result.counts.rows_rejected == 1
    assert "outside your jurisdiction" in read_report(result.report_path)[1][-2]
    assert not Household.objects.filter(region_code=other_county).exists()


def test_a_user_without_the_import_permission_is_refused(tmp_path):
    from dajiuzhu.core.errors import Forbidden

    worker = make_user("village_worker", LINYI_VILLAGE)
    with pytest.raises(Forbidden):
        registry_import(actor=worker, path=write_csv(tmp_path, family()))
    assert not Person.objects.exists()


def test_error_report_fixed_and_reimported_goes_in(tmp_path, admin):
    rows = family("1") + family("2", size=2)
    rows[1][2] = "37142419800101001"  # 17 characters
    rows[3][4] = "3714241002"  # too short
    result = registry_import(actor=admin, path=write_csv(tmp_path, rows))
    assert result.counts.rows_rejected == 5
    report = read_report(result.report_path)
    fixed = [report[0]]
    for row in report[1:]:
        row = list(row)
        if row[0] == "1" and row[3] == "配偶":
            row[2] = an_id(48, "F")
        row[4] = LINYI_VILLAGE if row[0] == "2" else row[4]
        fixed.append(row)
    path = tmp_path / "fixed.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(fixed)
    again = registry_import(actor=admin, path=path)
    assert again.counts.rows_rejected == 0 and again.counts.members_created == 5, again.counts
    assert again.report_path is None


def test_xlsx_error_report_round_trip(tmp_path, admin):
    rows = family("1", size=2)
    rows[0][4] = "371424100999"
    result = registry_import(actor=admin, path=write_xlsx(tmp_path, {"登记表": [HEADER, *rows]}))
    assert str(result.report_path).endswith(".xlsx.enc")
    workbook = openpyxl.load_workbook(report_file(result.report_path))
    sheet = workbook.active
    for row in sheet.iter_rows(min_row=2):
        row[4].value = LINYI_VILLAGE
    fixed = tmp_path / "fixed.xlsx"
    workbook.save(fixed)
    again = registry_import(actor=admin, path=fixed)
    assert again.counts.members_created == 2 and again.counts.rows_rejected == 0


def test_households_of_scattered_rows_are_grouped(tmp_path, admin):
    a, b = family("A", size=3), family("B", size=2)
    rows = [a[0], b[0], a[1], b[1], a[2]]
    result = registry_import(actor=admin, path=write_csv(tmp_path, rows))
    assert result.counts.households_created == 2
    assert sorted(h.members.count() for h in Household.objects.all()) == [2, 3]


def test_a_formula_after_leading_spaces_is_still_refused(tmp_path, admin):
    rows = family("1", size=1)
    rows[0][1] = "  =1+1"
    result = registry_import(actor=admin, path=write_csv(tmp_path, rows))
    assert result.counts.rows_rejected == 1 and "formula" in read_report(result.report_path)[1][-2]


def test_a_new_member_alone_counts_the_household_as_updated(tmp_path, admin):
    household = make_household(LINYI_VILLAGE)
    head = household.head
    rows = [["1", head.name, head.id_number, "户主", LINYI_VILLAGE], ["1", "张新生", an_id(1), "子女", LINYI_VILLAGE]]
    result = registry_import(actor=admin, path=write_csv(tmp_path, rows))
    assert (result.counts.households_updated, result.counts.members_created, result.counts.members_unchanged) == \
        (1, 1, 1), result.counts
    assert household.members.count() == 3


def test_new_households_continue_the_registry_numbering(tmp_path, admin):
    make_household(LINYI_VILLAGE)
    make_household(LINYI_VILLAGE)
    registry_import(actor=admin, path=write_csv(tmp_path, family("1") + family("2", LINYI_VILLAGE_2)),
                    batch_rows=2)
    numbers = sorted(Household.objects.values_list("number", flat=True))
    assert numbers == [f"{LINYI_VILLAGE}-00001", f"{LINYI_VILLAGE}-00002", f"{LINYI_VILLAGE}-00003",
                       f"{LINYI_VILLAGE_2}-00001"]


def test_the_validating_thread_makes_no_queries(tmp_path, monkeypatch):
    import threading

    from django.db.backends import utils

    from dajiuzhu.accounts.models import User

    handler = User.objects.get(pk=make_user("township_handler", LINYI_TOWN).pk)  # region not loaded yet
    threads = set()
    original = utils.CursorWrapper.execute

    def execute(self, sql, params=None):
        threads.add(threading.current_thread().name)
        return original(self, sql, params)

    monkeypatch.setattr(utils.CursorWrapper, "execute", execute)
    result = registry_import(actor=handler, path=write_csv(tmp_path, family("1") + family("2", XINGLONG_VILLAGE)))
    assert result.counts.households_created == 2
    assert "registry-import-validate" not in threads


def test_a_formula_after_spaces_and_a_line_break_is_refused_in_any_column(tmp_path, admin):
    rows = [row + ["  \n=1+1"] for row in family("1", size=1)]
    result = registry_import(actor=admin, path=write_csv(tmp_path, rows, header=HEADER + ["备注"]))
    assert result.counts.rows_rejected == 1
    assert "备注 (F)" in read_report(result.report_path)[1][-2] and "formula" in read_report(result.report_path)[1][-2]
