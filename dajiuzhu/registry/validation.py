"""Validation of one household's data, shared by the forms, the API and the file import.

Input is a mapping of English field names to raw values (as typed or as read from a cell);
output is a clean dataclass, or ``RowInvalid`` carrying every problem as (field, reason).
The file import maps its Chinese column headers to these names (``registry.template``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from dajiuzhu.core import regioncodes
from dajiuzhu.core.ids import InvalidIdNumber, parse_id_number
from dajiuzhu.core.normalise import (
    clean_text,
    looks_like_formula,
    parse_date,
    parse_decimal,
    parse_int,
    parse_phone,
)

from .models import (
    DisabilityCategory,
    Education,
    Employment,
    Health,
    Housing,
    LabourCapacity,
    MaritalStatus,
    Relation,
)


class RowInvalid(ValueError):
    """Every problem found in one row: a list of (field, reason)."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems))
        self.problems = problems


def _choice(choices, value: object, field: str, problems: list, *, default: str = "") -> str:
    """Accept the code (``spouse``) or either label (``配偶``/``spouse``)."""
    text = clean_text(value)
    if not text:
        return default
    codes, labels = _choice_table(choices)
    code = codes.get(text.lower()) or labels.get(text)
    if code is not None:
        return code
    problems.append((field, _("unknown value %(value)s") % {"value": text}))
    return default


@functools.cache
def _choice_table(choices) -> tuple[dict[str, str], dict[str, str]]:
    """Codes, and every label (each language, and the Chinese aliases) → code; built once per choice class,
    because the file import asks for every cell of a million rows."""
    codes = {str(code).lower(): code for code in choices.values}
    labels: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in choices.choices:
                labels.setdefault(str(label), code)
    for code, chinese in CHINESE_LABELS.get(choices.__name__, {}).items():
        for text in chinese:
            labels.setdefault(text, code)
    return codes, labels


# Chinese labels offices use in their spreadsheets (aliases included).
CHINESE_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "Relation": {
        "head": ("户主", "本人"), "spouse": ("配偶", "妻", "夫", "妻子", "丈夫"), "child": ("子女", "子", "女", "儿子", "女儿"),
        "parent": ("父母", "父亲", "母亲", "父", "母"), "grandchild": ("孙子女", "孙子", "孙女", "外孙", "外孙女"),
        "grandparent": ("祖父母", "祖父", "祖母", "外祖父", "外祖母"), "sibling": ("兄弟姐妹", "兄", "弟", "姐", "妹"),
        "child_in_law": ("儿媳", "女婿"), "other": ("其他",),
    },
    "MaritalStatus": {"unmarried": ("未婚",), "married": ("已婚", "有配偶"), "divorced": ("离婚", "离异"),
                      "widowed": ("丧偶",)},
    "Health": {"healthy": ("健康", "良好"), "chronic": ("慢性病", "患病", "长期慢性病"), "serious": ("重病", "大病", "重大疾病")},
    "DisabilityCategory": {"visual": ("视力", "视力残疾"), "hearing": ("听力", "听力残疾"), "speech": ("言语", "言语残疾"),
                           "physical": ("肢体", "肢体残疾"), "intellectual": ("智力", "智力残疾"),
                           "mental": ("精神", "精神残疾"), "multiple": ("多重", "多重残疾")},
    "LabourCapacity": {"full": ("有劳动能力", "健全", "完全劳动能力"), "partial": ("部分劳动能力", "弱劳动能力", "半劳动能力"),
                       "none": ("无劳动能力", "丧失劳动能力")},
    "Employment": {"employed": ("务工", "就业", "在职", "受雇"), "self_employed": ("个体", "自主经营", "个体经营"),
                   "farming": ("务农",), "unemployed": ("失业", "无业"), "student": ("在校生", "学生", "在校"),
                   "retired": ("退休",), "preschool": ("学龄前", "学龄前儿童"), "not_working": ("无", "其他", "不在业")},
    "Education": {"none": ("文盲", "未上学", "无"), "primary": ("小学",), "junior": ("初中",),
                  "senior": ("高中", "中专", "职高", "技校"), "college": ("大专", "本科", "研究生", "大学")},
    "Housing": {"safe": ("安全", "安全住房"), "c_class": ("C级危房", "C级"), "d_class": ("D级危房", "D级", "危房"),
                "none": ("无房", "无自有住房")},
}


@dataclasses.dataclass
class MemberInput:
    name: str
    id_number: str
    birth_date: dt.date
    sex: str
    relation: str
    phone: str = ""
    hukou_region_code: str = ""
    ethnicity: str = ""
    marital_status: str = ""
    education: str = ""
    health: str = Health.HEALTHY
    illness: str = ""
    disability_category: str = ""
    disability_grade: int | None = None
    disability_certificate: str = ""
    adl_failed: int = 0
    labour: str = LabourCapacity.FULL
    employment: str = Employment.NOT_WORKING
    warnings: list[str] = dataclasses.field(default_factory=list)

    def status_values(self) -> dict:
        return {
            "health": self.health, "illness": self.illness, "disability_category": self.disability_category,
            "disability_grade": self.disability_grade, "disability_certificate": self.disability_certificate,
            "adl_failed": self.adl_failed, "labour": self.labour, "employment": self.employment,
        }


MONEY_FIELDS = (
    "monthly_wages", "monthly_business_income", "monthly_property_income", "monthly_transfer_income",
    "monthly_excluded_income", "deposits", "securities", "commercial_insurance", "annual_medical_expense",
    "annual_education_expense", "annual_rehabilitation_expense", "annual_basic_living_expense",
)
COUNT_FIELDS = ("vehicles", "vehicles_for_disability", "extra_houses")
MAX_AMOUNT = Decimal("100000000")


@dataclasses.dataclass
class HouseholdFactsInput:
    values: dict


def _check_text(value: object, field: str, problems: list, *, max_length: int, required: bool = False) -> str:
    text = clean_text(value)
    if required and not text:
        problems.append((field, _("is required")))
    if looks_like_formula(text):
        problems.append((field, _("looks like a spreadsheet formula; enter plain text")))
    if len(text) > max_length:
        problems.append((field, _("is longer than %(n)d characters") % {"n": max_length}))
    return text


def check_region_code(value: object, field: str, problems: list, *, known_codes=None, required: bool = True) -> str:
    """A 12-digit village (or township) code that exists in the regions table."""
    from dajiuzhu.core.normalise import clean_code

    code = clean_code(value)
    if not code:
        if required:
            problems.append((field, _("is required")))
        return ""
    if not regioncodes.is_code(code):
        problems.append((field, _("must be a 12-digit division code, got %(value)s") % {"value": code}))
        return ""
    if known_codes is not None and code not in known_codes:
        problems.append((field, _("unknown division code %(value)s") % {"value": code}))
        return ""
    return code


def parse_member(raw: Mapping[str, object], *, today: dt.date | None = None, known_codes=None) -> MemberInput:
    problems: list[tuple[str, str]] = []
    name = _check_text(raw.get("name"), "name", problems, max_length=60, required=True)
    id_number, birth, sex, warnings = "", dt.date(1900, 1, 1), "M", []
    try:
        parsed = parse_id_number(raw.get("id_number"), today=today)
        id_number, birth, sex = parsed.number, parsed.birth_date, parsed.sex
    except InvalidIdNumber as exc:
        problems.append(("id_number", str(exc)))
    declared_sex = clean_text(raw.get("sex"))
    if id_number and declared_sex:
        normal = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}.get(declared_sex.lower(), "?")
        if normal != sex:
            problems.append(("sex", _("declared sex %(value)s does not match the ID number") % {"value": declared_sex}))
    declared_birth = raw.get("birth_date")
    if id_number and declared_birth not in (None, ""):
        try:
            if parse_date(declared_birth) != birth:
                problems.append(("birth_date", _("declared birth date does not match the ID number")))
        except ValueError as exc:
            problems.append(("birth_date", str(exc)))
    relation = _choice(Relation, raw.get("relation"), "relation", problems)
    if not relation:
        problems.append(("relation", _("is required")))
    try:
        phone = parse_phone(raw.get("phone"))
    except ValueError as exc:
        problems.append(("phone", str(exc)))
        phone = ""
    hukou = check_region_code(raw.get("hukou_region_code"), "hukou_region_code", problems, known_codes=known_codes,
                              required=False)
    grade = None
    try:
        grade = parse_int(raw.get("disability_grade"), minimum=1, maximum=4)
    except ValueError as exc:
        problems.append(("disability_grade", str(exc)))
    category = _choice(DisabilityCategory, raw.get("disability_category"), "disability_category", problems)
    if grade and not category:
        problems.append(("disability_category", _("is required when a disability grade is given")))
    adl = 0
    try:
        adl = parse_int(raw.get("adl_failed"), minimum=0, maximum=6) or 0
    except ValueError as exc:
        problems.append(("adl_failed", str(exc)))
    member = MemberInput(
        name=name,
        id_number=id_number,
        birth_date=birth,
        sex=sex,
        relation=relation,
        phone=phone,
        hukou_region_code=hukou,
        ethnicity=_check_text(raw.get("ethnicity"), "ethnicity", problems, max_length=20),
        marital_status=_choice(MaritalStatus, raw.get("marital_status"), "marital_status", problems),
        education=_choice(Education, raw.get("education"), "education", problems),
        health=_choice(Health, raw.get("health"), "health", problems, default=Health.HEALTHY),
        illness=_check_text(raw.get("illness"), "illness", problems, max_length=100),
        disability_category=category,
        disability_grade=grade,
        disability_certificate=_check_text(raw.get("disability_certificate"), "disability_certificate", problems,
                                           max_length=40),
        adl_failed=adl,
        labour=_choice(LabourCapacity, raw.get("labour"), "labour", problems, default=LabourCapacity.FULL),
        employment=_choice(Employment, raw.get("employment"), "employment", problems, default=Employment.NOT_WORKING),
        warnings=warnings,
    )
    if problems:
        raise RowInvalid(problems)
    return member


def parse_household_facts(raw: Mapping[str, object]) -> dict:
    """Income, assets, rigid spending and housing of a household (all optional, default 0)."""
    problems: list[tuple[str, str]] = []
    values: dict = {}
    for field in MONEY_FIELDS:
        try:
            amount = parse_decimal(raw.get(field))
        except ValueError as exc:
            problems.append((field, str(exc)))
            continue
        if amount is not None and amount > MAX_AMOUNT:
            problems.append((field, _("is implausibly large")))
            continue
        values[field] = amount if amount is not None else Decimal("0.00")
    for field in COUNT_FIELDS:
        try:
            values[field] = parse_int(raw.get(field), minimum=0, maximum=99) or 0
        except ValueError as exc:
            problems.append((field, str(exc)))
    if values.get("vehicles_for_disability", 0) > values.get("vehicles", 0):
        problems.append(("vehicles_for_disability", _("cannot exceed the number of vehicles")))
    values["housing"] = _choice(Housing, raw.get("housing"), "housing", problems, default=Housing.SAFE)
    water = raw.get("safe_water")
    if water in (None, ""):
        values["safe_water"] = True
    else:
        from dajiuzhu.core.normalise import parse_bool

        try:
            values["safe_water"] = parse_bool(water)
        except ValueError as exc:
            problems.append(("safe_water", str(exc)))
    if problems:
        raise RowInvalid(problems)
    return values
