"""The data types departments deliver for the economic-status verification (MZ/T 072-2024).

Each data type belongs to one department by default (a county may reassign it through
``Department.data_types``), describes a person (by ID number) or an area (by division code),
and has its columns: the English field name used by the API, the Chinese header of the file
template, the kind of value, and which typed column of ``DepartmentRecord`` holds it for the
set-based comparison (``amount`` in fen, ``quantity``, ``quantity2``, ``event_date``).
The file templates are documented in docs/department-data.md.
"""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext_lazy as _


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    header: str  # column header of the file template (Chinese)
    kind: str  # "money", "int", "date", "text", "choice"
    label: object
    column: str = ""  # "amount", "quantity", "quantity2", "event_date" or "" (kept in values only)
    required: bool = True
    choices: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class DataType:
    code: str
    department: str  # accounts.departments code
    label: object
    fields: tuple[Field, ...]
    subject: str = "person"  # "person" (by ID number) or "region" (by division code)
    description: object = ""

    @property
    def headers(self) -> list[str]:
        lead = ["行政区划代码"] if self.subject == "region" else ["身份证号", "姓名"]
        return lead + ["数据日期"] + [f.header for f in self.fields]


def _money(name, header, label, column="amount", required=True):
    return Field(name, header, "money", label, column, required)


def _int(name, header, label, column="quantity", required=True):
    return Field(name, header, "int", label, column, required)


def _date(name, header, label, column="event_date", required=True):
    return Field(name, header, "date", label, column, required)


def _text(name, header, label, required=False, choices=()):
    return Field(name, header, "choice" if choices else "text", label, "", required, tuple(choices))


DATA_TYPES: dict[str, DataType] = {t.code: t for t in [
    # 公安 police
    DataType("hukou", "police", _("household registration (户籍)"), (
        _text("hukou_region_code", "户籍地区划代码", _("registration division code"), required=True),
        _text("household_number", "户号", _("registration household number")),
        _text("relation", "与户主关系", _("relation to the head of the registered household")),
    )),
    DataType("vehicle", "police", _("motor vehicles (机动车)"), (
        _int("vehicles", "车辆数", _("vehicles registered")),
        _int("vehicles_for_disability", "残疾人专用车数", _("of which vehicles for a disability"), "quantity2",
             required=False),
        _text("plates", "号牌", _("number plates")),
    )),
    DataType("death_registration", "police", _("deaths: registration cancelled (户籍注销)"), (
        _date("death_date", "死亡日期", _("date of death")),
    )),
    # 民政 civil affairs
    DataType("marriage", "civil_affairs", _("marriage registration (婚姻登记)"), (
        _text("marital_status", "婚姻状况", _("marital status"), required=True,
              choices=("unmarried", "married", "divorced", "widowed")),
        _text("registered_on", "登记日期", _("registered on")),
    )),
    DataType("cremation", "civil_affairs", _("deaths: funeral and cremation (殡葬火化)"), (
        _date("death_date", "死亡日期", _("date of death")),
    )),
    # 人社 HR and social security
    DataType("social_insurance", "hr_social_security", _("social-insurance contributions (社保缴费)"), (
        _money("monthly_base", "月缴费基数", _("monthly contribution base")),
        _text("insurance", "险种", _("insurance scheme")),
    )),
    DataType("pension", "hr_social_security", _("pensions (养老金)"), (
        _money("monthly_pension", "月养老金", _("pension per month")),
    )),
    DataType("wage", "hr_social_security", _("wages (工资收入)"), (
        _money("monthly_wages", "月工资", _("wages per month")),
        _text("employer", "工作单位", _("employer")),
    )),
    DataType("unemployment", "hr_social_security", _("unemployment registration and benefit (失业登记)"), (
        _money("monthly_benefit", "月失业金", _("unemployment benefit per month"), required=False),
    )),
    DataType("welfare_job", "hr_social_security", _("public-welfare jobs (公益性岗位)"), (
        _money("monthly_pay", "月岗位补贴", _("pay per month")),
        _text("post", "岗位", _("post")),
    )),
    # 不动产登记 property registry
    DataType("house", "property_registry", _("houses owned (不动产)"), (
        _int("houses", "房屋套数", _("houses owned")),
        _text("area", "建筑面积", _("floor area (m²)")),
    )),
    # 市场监管 market regulation
    DataType("business", "market_regulation", _("company posts and businesses (市场主体)"), (
        _money("monthly_net_income", "月经营净收入", _("net business income per month")),
        _text("role", "身份", _("role (legal representative, shareholder, sole trader)")),
        _text("business_name", "主体名称", _("business name")),
    )),
    # 税务 tax
    DataType("tax", "tax", _("taxes paid (纳税)"), (
        _money("annual_taxable_income", "年应税收入", _("taxable income over 12 months")),
        _money("annual_tax", "年纳税额", _("tax paid over 12 months"), column="", required=False),
    )),
    # 公积金 provident fund
    DataType("housing_fund", "housing_fund", _("housing provident fund (公积金)"), (
        _money("monthly_contribution", "月缴存额", _("contribution per month")),
        _money("balance", "账户余额", _("balance"), column="", required=False),
    )),
    # banks, securities, insurers
    DataType("deposit", "banks", _("bank deposits (存款)"), (
        _money("amount", "余额", _("balance")),
    )),
    DataType("security", "banks", _("securities (有价证券)"), (
        _money("amount", "市值", _("market value")),
    )),
    DataType("insurance", "banks", _("commercial insurance (商业保险)"), (
        _money("amount", "现金价值", _("cash value")),
    )),
    # 医保 medical insurance
    DataType("medical", "medical_insurance", _("medical costs (医疗费用)"), (
        _money("annual_self_paid", "年自付费用", _("self-paid costs over 12 months")),
        _money("annual_total", "年医疗总费用", _("total costs over 12 months"), column="", required=False),
    )),
    # 残联 disability federation
    DataType("disability", "disabled_federation", _("disability certificates (残疾证)"), (
        _int("grade", "残疾等级", _("disability grade (1–4)")),
        _text("category", "残疾类别", _("disability category")),
        _text("certificate", "残疾证号", _("certificate number")),
    )),
    # 法院 courts
    DataType("dishonest_debtor", "court", _("dishonest debtors (失信被执行人)"), (
        _date("listed_on", "列入日期", _("listed on")),
        _text("case_number", "案号", _("court case number"), required=True),
    )),
    # 应急管理 emergency management (an area, not a person)
    DataType("disaster", "emergency", _("disasters in an area (灾情)"), (
        _text("kind", "灾害类型", _("kind of disaster"), required=True),
        _int("severity", "等级", _("severity (1–4)")),
    ), subject="region"),
]}

DEATH_TYPES = ("death_registration", "cremation")
# Data types whose records describe a lasting state (no look-back window applies).
LASTING_TYPES = DEATH_TYPES + ("disability", "dishonest_debtor")


def default_owner_types(department_code: str) -> list[str]:
    return [t.code for t in DATA_TYPES.values() if t.department == department_code]


def owned_types(department) -> set[str]:
    """What a department may deliver: its ``data_types``, or the defaults above when unset."""
    if department is None:
        return set()
    return set(department.data_types or default_owner_types(department.code))


def ensure_department_data_types() -> int:
    """Fill ``Department.data_types`` with the defaults where a department has none (idempotent)."""
    from dajiuzhu.accounts.models import Department

    changed = 0
    for department in Department.objects.all():
        defaults = default_owner_types(department.code)
        if defaults and not department.data_types:
            department.data_types = defaults
            department.save(update_fields=["data_types"])
            changed += 1
    return changed
