"""The import validates a batch of households column-wise (``_Importer.check_many``): the plans and the
problems (messages, order) are exactly those of the per-row ``check`` of each household."""

import datetime as dt

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dajiuzhu.core.intake import open_table
from dajiuzhu.core.testing import LINYI_VILLAGE, LINYI_VILLAGE_2, XINGLONG_VILLAGE, make_user
from dajiuzhu.registry.importing import _Importer
from dajiuzhu.registry.template import REGISTRY_TEMPLATE

from .test_import_pipeline import an_id, write_csv

pytestmark = pytest.mark.django_db

HEADER = ["户编号", "姓名", "公民身份号码", "与户主关系", "居住地区划代码", "户籍地区划代码", "地址", "信息日期", "性别",
          "出生日期", "联系电话", "健康状况", "残疾等级", "残疾类别", "月工资性收入", "存款", "机动车数量", "残疾人代步车数量",
          "住房状况", "安全饮水"]
TODAY = dt.date(2026, 11, 30)


def both(tmp_path, rows, actor=None):
    path = write_csv(tmp_path, rows, header=HEADER)
    with open_table(path, REGISTRY_TEMPLATE) as table:
        importer = _Importer(actor=actor, table=table, digest="0" * 64, job=None, batch_rows=1000, today=TODAY,
                             progress=None, report_path=tmp_path / "report.csv")
        scan = importer.scan()
        households = list(importer.households(scan))
        return importer.check_many(households, scan), [importer.check(k, r, scan) for k, r in households]


def row(key, name, id_number, relation, region=LINYI_VILLAGE, **extra):
    cells = dict.fromkeys(HEADER, "")
    cells.update({"户编号": key, "姓名": name, "公民身份号码": id_number, "与户主关系": relation, "居住地区划代码": region})
    cells.update(extra)
    return [cells[h] for h in HEADER]


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    with translation.override("en"):
        yield


def test_every_kind_of_household_gives_the_per_row_result(tmp_path):
    head, spouse = an_id(50), an_id(48, "F")
    shared = an_id(30)
    rows = [
        row("1", "张建国", head, "户主", 地址="张法古村3号", 信息日期="2026-01-10", 联系电话="13900000000",
            月工资性收入="800", 存款="5,000元", 机动车数量="1", 残疾人代步车数量="1", 住房状况="C级危房", 安全饮水="否"),
        row("1", "李秀英", spouse, "配偶", 性别="女", 健康状况="慢性病", 残疾等级="2", 残疾类别="肢体"),
        row("2", "王五", an_id(40), "户主"), row("2", "王六", an_id(10), "子女", region=LINYI_VILLAGE_2),  # regions differ
        row("3", "赵一", an_id(40), "配偶"),  # no head
        row("4", "钱一", an_id(40), "户主"), row("4", "钱二", an_id(40), "本人"),  # two heads
        row("5", "孙一", an_id(40)[:-1] + "0", "户主"),  # check character (maybe)
        row("6", "=1+1", an_id(40), "户主"),  # formula
        row("7", "周一", an_id(40), "户主", 信息日期="2027-01-01"),  # future
        row("8", "吴一", an_id(40), "户主", 地址="路" * 201),
        row("9", "郑一", an_id(40), "户主", 月工资性收入="abc", 机动车数量="0", 残疾人代步车数量="1"),
        row("10", "冯一", shared, "户主"), row("11", "陈一", shared, "户主"),  # one person in two households
        row("", "褚一", an_id(40), "户主"),  # no key
        row("12", "卫一", "371424800101001", "户主", region="371424100999"),  # 15 digits; unknown village
        row("13", "蒋一", an_id(40).lower(), "户主", region=XINGLONG_VILLAGE, 性别="女", 出生日期="1900-01-01"),
        row("14", "沈一", an_id(40), "户主", 信息日期="not a date"),
        row("15", "韩一", an_id(40), "户主", region="371424000000"),  # a county is not a residence
        row("16", "杨一", an_id(40), "户主", 户籍地区划代码=LINYI_VILLAGE_2, 安全饮水="是"),
        row("17", "朱一", an_id(40), "户主", 联系电话="<b>1</b>"),
        row("18", "秦一", an_id(40), "户主")[:5],  # a short row: the cells after it are missing
    ]
    batch, single = both(tmp_path, rows)
    assert batch == single
    assert [o.key for o in single if not isinstance(o, dict)] == ["1", "16", "18"]  # planned; the others rejected


def test_jurisdiction_is_checked_the_same_way(tmp_path):
    handler = make_user("township_handler", "371424100000")
    rows = [row("1", "张三", an_id(40), "户主"), row("2", "李四", an_id(40), "户主", region="371402002219"),
            row("3", "王五", an_id(40), "户主", region=XINGLONG_VILLAGE)]
    batch, single = both(tmp_path, rows, actor=handler)
    assert batch == single


cells = {
    "姓名": st.sampled_from(["张三", "李 四", "=A1", ""]),
    "与户主关系": st.sampled_from(["户主", "配偶", "子女", "邻居", ""]),
    "居住地区划代码": st.sampled_from([LINYI_VILLAGE, LINYI_VILLAGE, LINYI_VILLAGE_2, "371424100999", "3714"]),
    "户籍地区划代码": st.sampled_from(["", LINYI_VILLAGE_2, "x"]),
    "地址": st.sampled_from(["", "三号", " ", "路" * 201]),
    "信息日期": st.sampled_from(["", "2026-01-01", "2027-01-01", "x"]),
    "性别": st.sampled_from(["", "男", "女"]),
    "联系电话": st.sampled_from(["", "13800138000", "123"]),
    "健康状况": st.sampled_from(["", "慢性病", "坏"]),
    "残疾等级": st.sampled_from(["", "2", "9"]),
    "残疾类别": st.sampled_from(["", "肢体"]),
    "月工资性收入": st.sampled_from(["", "800", "1,000元", "-5", "abc"]),
    "存款": st.sampled_from(["", "0", "200000000"]),
    "机动车数量": st.sampled_from(["", "0", "1"]),
    "残疾人代步车数量": st.sampled_from(["", "0", "1"]),
    "住房状况": st.sampled_from(["", "安全", "D级"]),
    "安全饮水": st.sampled_from(["", "是", "maybe"]),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, 6), st.lists(st.fixed_dictionaries(cells), min_size=1, max_size=3)),
                min_size=1, max_size=6), st.integers(0, 10_000))
def test_random_households_give_the_per_row_result(tmp_path_factory, households, seed):
    rows = []
    for number, (key, members) in enumerate(households):
        for i, member in enumerate(members):
            id_number = an_id(20 + (seed + number * 7 + i) % 60)
            rows.append(row(str(key), member["姓名"], id_number, member["与户主关系"],
                            member["居住地区划代码"], **{k: v for k, v in member.items()
                                                   if k not in ("姓名", "与户主关系", "居住地区划代码")}))
    batch, single = both(tmp_path_factory.mktemp("h"), rows)
    assert batch == single


def test_clean_households_are_planned_without_the_per_row_check(tmp_path):
    rows = [row("1", "张建国", an_id(50), "户主", 月工资性收入="800", 信息日期="2026-01-10"),
            row("1", "李秀英", an_id(48, "F"), "配偶", 性别="女"), row("2", "王五", an_id(40), "户主")]
    path = write_csv(tmp_path, rows, header=HEADER)
    with open_table(path, REGISTRY_TEMPLATE) as table:
        importer = _Importer(actor=None, table=table, digest="0" * 64, job=None, batch_rows=1000, today=TODAY,
                             progress=None, report_path=tmp_path / "report.csv")
        scan = importer.scan()
        households = list(importer.households(scan))
        expected = [importer.check(k, r, scan) for k, r in households]
        importer.check = lambda *a: pytest.fail("per-row check called for a clean household")
        assert importer.check_many(households, scan) == expected
