"""Validation of one household's data, shared by the forms, the API and the file import.

Input is a mapping of English field names to raw values (as typed or as read from a cell);
output is a clean dataclass, or ``RowInvalid`` carrying every problem as (field, reason).
The file import maps its Chinese column headers to these names (``registry.template``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import operator
import re
import unicodedata
from collections.abc import Mapping, Sequence
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


# -- column-wise validation of many rows (the file import) -------------------------------------------
#
# ``parse_members`` and ``parse_household_facts_many`` give, for every row, exactly what
# ``parse_member`` / ``parse_household_facts`` give for it (the clean value, or ``RowInvalid`` with the
# same problems in the same order), but decide acceptance column by column: each distinct cell value of
# a column is checked once (a county file has a few dozen distinct relations, codes, amounts…), ID
# numbers are checked together with numpy (``core.ids``), and only the few rows that fail some column
# check go through the per-row validator, which then produces the messages. A row accepted here is
# built from the same per-cell functions the per-row validator calls, so the values are the same.

_MISSING = object()
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_AMOUNT = re.compile(r"[0-9]{1,12}\.[0-9]{2}")


def _column_results(column: Sequence[object], check) -> list:
    """``check`` applied to every cell, once per distinct value (str/None cells by value, others by type and value:
    1, 1.0 and True are equal keys in a dict but not the same cell)."""
    plain = all(cls is str or cls is type(None) for cls in set(map(type, column)))
    if plain:
        results = {value: check(value) for value in set(column)}
        return list(map(results.__getitem__, column))
    cache: dict = {}
    out = []
    for value in column:
        key = (value.__class__, value)
        try:
            result = cache.get(key, _MISSING)
        except TypeError:  # unhashable: no cache
            result = _MISSING
            key = None
        if result is _MISSING:
            result = check(value)
            if key is not None:
                cache[key] = result
        out.append(result)
    return out


def _ok(function, *args, **kwargs):
    """(value, True) when ``function`` appends no problem, else (value, False)."""

    def check(value):
        problems: list = []
        result = function(value, *args, problems, **kwargs)
        return result, not problems

    return check


def _raising(function, **kwargs):
    """(value, True), or (None, False) when ``function`` raises ValueError."""

    def check(value):
        try:
            return function(value, **kwargs), True
        except ValueError:
            return None, False

    return check


def _choice_check(choices, field: str, default: str = ""):
    def check(value):
        problems: list = []
        return _choice(choices, value, field, problems, default=default), not problems

    return check


_SEXES = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}


def _declared_sex(value: object) -> str:
    text = clean_text(value)
    return _SEXES.get(text.lower(), "?") if text else ""


def _declared_birth(value: object):
    if value in (None, ""):
        return None, True, False  # (date, parsed, given)
    try:
        return parse_date(value), True, True
    except ValueError:
        return None, False, True


_MEMBER_FIELDS = ("name", "id_number", "sex", "birth_date", "relation", "phone", "hukou_region_code",
                  "disability_grade", "disability_category", "adl_failed", "ethnicity", "marital_status", "education",
                  "health", "illness", "disability_certificate", "labour", "employment")


def parse_members(columns: Mapping[str, Sequence[object]], count: int, *, today: dt.date | None = None,
                  known_codes=None) -> list[MemberInput | RowInvalid]:
    """``parse_member`` for ``count`` rows given as columns (field → cells; a missing field is empty).

    Returns, per row, the ``MemberInput`` that ``parse_member`` returns or the ``RowInvalid`` it raises.
    """
    from dajiuzhu.core.ids import _fast_id_check

    today_ = today or dt.date.today()
    none = [None] * count

    def col(field: str) -> Sequence[object]:
        values = columns.get(field)
        return none if values is None else values

    def text_check(max_length: int, required: bool = False):
        return _ok(lambda v, field, problems, **kw: _check_text(v, field, problems, **kw), "x",
                   max_length=max_length, required=required)

    plain_name = text_check(60, required=True)

    def name_check(value):
        # A name of letters only (no space, no formula character), NFC already: clean_text leaves it as it is.
        if value.__class__ is str and value.isalpha() and len(value) <= 60 and unicodedata.is_normalized("NFC", value):
            return value, True
        return plain_name(value)

    plain_phone = _raising(parse_phone)

    def phone_check(value):
        # 11 ASCII digits of a mobile number: parse_phone returns it unchanged.
        if value.__class__ is str and _MOBILE.fullmatch(value):
            return value, True
        return plain_phone(value)

    names = _column_results(col("name"), name_check)
    ids = list(col("id_number"))
    accepted, ymd, male = _fast_id_check(ids, today=today_)
    sexes = _column_results(col("sex"), _declared_sex)
    births_raw = col("birth_date")
    iso_same = [v.__class__ is str and len(v) == 10 and v[4] == "-" and v[7] == "-" and accepted[i]
                and v[:4] == ids[i][6:10] and v[5:7] == ids[i][10:12] and v[8:] == ids[i][12:14]
                for i, v in enumerate(births_raw)]
    # A declared birth date written "YYYY-MM-DD" with the ID number's own digits parses to that date.
    births = _column_results([None if same else v for v, same in zip(births_raw, iso_same, strict=True)],
                             _declared_birth)
    relations = _column_results(col("relation"), _choice_check(Relation, "relation"))
    phones = _column_results(col("phone"), phone_check)
    hukous = _column_results(col("hukou_region_code"), _ok(
        lambda v, field, problems, **kw: check_region_code(v, field, problems, **kw), "hukou_region_code",
        known_codes=known_codes, required=False))
    grades = _column_results(col("disability_grade"), _raising(parse_int, minimum=1, maximum=4))
    categories = _column_results(col("disability_category"), _choice_check(DisabilityCategory, "disability_category"))
    adls = _column_results(col("adl_failed"), _raising(parse_int, minimum=0, maximum=6))
    ethnicities = _column_results(col("ethnicity"), text_check(20))
    maritals = _column_results(col("marital_status"), _choice_check(MaritalStatus, "marital_status"))
    educations = _column_results(col("education"), _choice_check(Education, "education"))
    healths = _column_results(col("health"), _choice_check(Health, "health", Health.HEALTHY))
    illnesses = _column_results(col("illness"), text_check(100))
    certificates = _column_results(col("disability_certificate"), text_check(40))
    labours = _column_results(col("labour"), _choice_check(LabourCapacity, "labour", LabourCapacity.FULL))
    employments = _column_results(col("employment"), _choice_check(Employment, "employment", Employment.NOT_WORKING))

    dates: dict[int, dt.date] = {}
    out: list[MemberInput | RowInvalid] = []
    for i, (name, sex, birth, relation, phone, hukou, grade, category, adl, ethnicity, marital, education, health,
            illness, certificate, labour, employment) in enumerate(zip(
            names, sexes, births, relations, phones, hukous, grades, categories, adls, ethnicities, maritals,
            educations, healths, illnesses, certificates, labours, employments, strict=True)):
        fast = (accepted[i] and name[1] and relation[1] and relation[0] and phone[1] and hukou[1] and grade[1]
                and category[1] and not (grade[0] and not category[0]) and adl[1] and ethnicity[1] and marital[1]
                and education[1] and health[1] and illness[1] and certificate[1] and labour[1] and employment[1]
                and birth[1])
        if fast:
            stamp = int(ymd[i])
            birth_date = dates.get(stamp)
            if birth_date is None:
                birth_date = dates[stamp] = dt.date(stamp // 10000, stamp // 100 % 100, stamp % 100)
            id_sex = "M" if male[i] else "F"
            fast = (not sex or sex == id_sex) and (not birth[2] or birth[0] == birth_date)
        if not fast:
            try:
                out.append(parse_member({f: columns[f][i] for f in _MEMBER_FIELDS if f in columns}, today=today,
                                        known_codes=known_codes))
            except RowInvalid as exc:
                out.append(exc)
            continue
        out.append(MemberInput(
            name=name[0], id_number=ids[i], birth_date=birth_date, sex=id_sex, relation=relation[0],
            phone=phone[0], hukou_region_code=hukou[0], ethnicity=ethnicity[0], marital_status=marital[0],
            education=education[0], health=health[0], illness=illness[0], disability_category=category[0],
            disability_grade=grade[0], disability_certificate=certificate[0], adl_failed=adl[0] or 0, labour=labour[0],
            employment=employment[0], warnings=[]))
    return out


def parse_household_facts_many(rows: Sequence[Mapping[str, object]]) -> list[dict | RowInvalid]:
    """``parse_household_facts`` for many rows, column by column: per row the values it returns or the
    ``RowInvalid`` it raises."""
    from dajiuzhu.core.normalise import parse_bool

    keys = (*MONEY_FIELDS, *COUNT_FIELDS, "housing", "safe_water")
    columns = {k: [row.get(k) for row in rows] for k in keys}

    def money(value):
        if value.__class__ is str and _AMOUNT.fullmatch(value):  # "766.00": parse_decimal gives Decimal(value)
            amount = Decimal(value)
            return (amount, True) if amount <= MAX_AMOUNT else (None, False)
        try:
            amount = parse_decimal(value)
        except ValueError:
            return None, False
        if amount is not None and amount > MAX_AMOUNT:
            return None, False
        return (amount if amount is not None else Decimal("0.00")), True

    def count_check(value):
        try:
            return parse_int(value, minimum=0, maximum=99) or 0, True
        except ValueError:
            return None, False

    def water(value):
        if value in (None, ""):
            return True, True
        try:
            return parse_bool(value), True
        except ValueError:
            return None, False

    results = {k: _column_results(columns[k], money) for k in MONEY_FIELDS}
    results.update({k: _column_results(columns[k], count_check) for k in COUNT_FIELDS})
    results["housing"] = _column_results(columns["housing"], _choice_check(Housing, "housing", Housing.SAFE))
    results["safe_water"] = _column_results(columns["safe_water"], water)
    first, second = operator.itemgetter(0), operator.itemgetter(1)
    values = [list(map(first, results[k])) for k in keys]
    accepted = list(map(all, zip(*(map(second, results[k]) for k in keys), strict=True)))
    vehicles, for_disability = values[keys.index("vehicles")], values[keys.index("vehicles_for_disability")]
    out: list[dict | RowInvalid] = []
    for i, row_values in enumerate(zip(*values, strict=True)):
        if accepted[i] and not for_disability[i] > vehicles[i]:
            out.append(dict(zip(keys, row_values, strict=True)))
            continue
        try:
            out.append(parse_household_facts(rows[i]))
        except RowInvalid as exc:
            out.append(exc)
    return out
