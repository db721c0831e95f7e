"""The registry import template (社会救助对象信息登记表): its columns and the downloadable file.

One row per member; rows with the same 户编号 form one household and the household columns
are read from the head's row. Required: 户编号, 姓名, 公民身份号码, 与户主关系, 居住地区划代码.
Every other column is optional; a column left out of the file leaves the stored value as it is.
The keys are the field names of ``registry.validation.parse_member`` and
``parse_household_facts``, so a file row is validated exactly like a form.
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.intake import Column, Template
from dajiuzhu.core.intake.report import EXTRA_HEADERS

from .validation import CHINESE_LABELS, COUNT_FIELDS, MONEY_FIELDS


def _labels(name: str) -> str:
    return "、".join(labels[0] for labels in CHINESE_LABELS[name].values())


M, H = "member", "household"

COLUMNS: tuple[Column, ...] = (
    Column("household_key", "户编号", required=True, aliases=("户号", "家庭编号", "户序号"), level=H,
           description=_("household key within the file: rows with the same key form one household"), example="1"),
    Column("name", "姓名", required=True, aliases=("成员姓名", "名字"),
           description=_("name as on the ID card"), example="张三"),
    Column("id_number", "公民身份号码", required=True,
           aliases=("身份证号", "身份证号码", "身份证", "证件号码", "公民身份证号码", "身份号码"),
           description=_("18 characters (or an old 15-digit number); format the column as text in Excel"),
           example="371424198003150013"),
    Column("relation", "与户主关系", required=True, aliases=("关系", "与户主的关系", "家庭关系"),
           description=_("exactly one 户主 per household"), values=_labels("Relation"), example="户主"),
    Column("region_code", "居住地区划代码", required=True,
           aliases=("居住地代码", "居住地行政区划代码", "区划代码", "居住村代码"), level=H,
           description=_("12-digit statistical division code of the village (or township) of residence"),
           example="371424100202"),
    Column("hukou_region_code", "户籍地区划代码", aliases=("户籍地代码", "户籍地行政区划代码"),
           description=_("12-digit division code of the place of household registration, if different"),
           example=""),
    Column("address", "地址", aliases=("家庭住址", "居住地址", "详细地址", "住址"), level=H,
           description=_("street address of the household"), example="临邑镇张法古村12号"),
    Column("as_of", "信息日期", aliases=("填报日期", "调查日期", "登记日期", "日期"), level=H,
           description=_("the date the economic and health facts describe; default: the day of the import"),
           example="2026-01-15"),
    Column("sex", "性别", description=_("checked against the ID number"), values="男、女"),
    Column("birth_date", "出生日期", description=_("checked against the ID number")),
    Column("phone", "联系电话", aliases=("电话", "手机", "手机号", "联系方式", "电话号码")),
    Column("ethnicity", "民族", example="汉族"),
    Column("marital_status", "婚姻状况", values=_labels("MaritalStatus")),
    Column("education", "文化程度", aliases=("学历", "受教育程度"), values=_labels("Education")),
    Column("health", "健康状况", values=_labels("Health")),
    Column("illness", "所患疾病", aliases=("疾病名称", "病种", "患病名称")),
    Column("disability_category", "残疾类别", values=_labels("DisabilityCategory")),
    Column("disability_grade", "残疾等级", description=_("1 to 4"), values="1、2、3、4"),
    Column("disability_certificate", "残疾证号", aliases=("残疾人证号", "残疾证号码")),
    Column("adl_failed", "不能自理项数", aliases=("日常生活不能自理项数", "生活不能自理项数"),
           description=_("how many of the six daily-living items the person cannot manage (0 to 6)")),
    Column("labour", "劳动能力", values=_labels("LabourCapacity")),
    Column("employment", "就业状况", aliases=("就业情况", "从业状况"), values=_labels("Employment")),
    Column("monthly_wages", "月工资性收入", aliases=("工资性收入", "月工资收入"), level=H,
           description=_("yuan per month, average over the last 12 months")),
    Column("monthly_business_income", "月经营净收入", aliases=("经营净收入", "经营性收入"), level=H,
           description=_("yuan per month, average over the last 12 months")),
    Column("monthly_property_income", "月财产净收入", aliases=("财产净收入", "财产性收入"), level=H,
           description=_("yuan per month, average over the last 12 months")),
    Column("monthly_transfer_income", "月转移净收入", aliases=("转移净收入", "转移性收入"), level=H,
           description=_("yuan per month, average over the last 12 months")),
    Column("monthly_excluded_income", "月不计入收入", aliases=("不计入家庭收入", "扣减收入"), level=H,
           description=_("yuan per month not counted as income (awards, disability allowances)")),
    Column("deposits", "存款", aliases=("银行存款", "存款金额"), level=H, description=_("yuan")),
    Column("securities", "有价证券", aliases=("证券",), level=H, description=_("yuan")),
    Column("commercial_insurance", "商业保险", aliases=("商业保险价值",), level=H, description=_("yuan")),
    Column("vehicles", "机动车数量", aliases=("车辆数", "机动车"), level=H),
    Column("vehicles_for_disability", "残疾人代步车数量", aliases=("残疾人机动轮椅车",), level=H),
    Column("extra_houses", "非居住房屋套数", aliases=("其他房产套数", "多余住房"), level=H,
           description=_("houses owned beyond the one lived in")),
    Column("annual_medical_expense", "年自付医疗费用", aliases=("自付医疗费用", "医疗支出"), level=H,
           description=_("yuan over the last 12 months")),
    Column("annual_education_expense", "年教育支出", aliases=("教育支出",), level=H,
           description=_("yuan over the last 12 months")),
    Column("annual_rehabilitation_expense", "年康复支出", aliases=("残疾康复支出", "康复支出"), level=H,
           description=_("yuan over the last 12 months")),
    Column("annual_basic_living_expense", "年基本生活支出", aliases=("基本生活支出",), level=H,
           description=_("yuan over the last 12 months")),
    Column("housing", "住房状况", aliases=("住房情况", "住房安全"), level=H, values=_labels("Housing")),
    Column("safe_water", "安全饮水", aliases=("饮水安全",), level=H, values="是、否"),
)

REGISTRY_TEMPLATE = Template(COLUMNS, ignored=EXTRA_HEADERS)

HOUSEHOLD_FACT_KEYS = (*MONEY_FIELDS, *COUNT_FIELDS, "housing", "safe_water")
MEMBER_FACT_KEYS = ("health", "illness", "disability_category", "disability_grade", "disability_certificate",
                    "adl_failed", "labour", "employment")
PERSON_KEYS = ("name", "sex", "birth_date", "phone", "hukou_region_code", "ethnicity", "marital_status", "education",
               "relation")


def template_csv() -> bytes:
    """The template as CSV (UTF-8 with BOM, so Excel shows the Chinese headers)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REGISTRY_TEMPLATE.headers())
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    """The template as XLSX: the data sheet (headers, text-formatted ID column) and a guide sheet."""
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "登记表"
    sheet.append(REGISTRY_TEMPLATE.headers())
    bold = Font(bold=True)
    required = PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = bold
        if column.required:
            cell.fill = required
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, len(column.header) * 2 + 4)
        if column.key in ("id_number", "phone", "region_code", "hukou_region_code", "household_key",
                          "disability_certificate"):
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, 1002):  # text format so Excel keeps all 18 digits
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("填写说明")
    guide.append(["列名", "必填", "说明", "可填值", "示例"])
    for cell in guide[1]:
        cell.font = bold
    for column in COLUMNS:
        guide.append([column.header, "是" if column.required else "", str(column.description), column.values,
                      column.example])
    for letter, width in zip("ABCDE", (22, 6, 60, 50, 24)):
        guide.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
