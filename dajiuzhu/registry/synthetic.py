"""A synthetic county registry: deterministic from a seed, any size (demo and benchmarks).

One generator (``SyntheticCounty``) yields ``HouseholdDraft`` objects — households of
plausible size and composition for rural Shandong (elderly living alone, elderly couples,
couples with children, three generations, single parents, orphans with grandparents, a
disabled adult with ageing parents, single adults), with members' health, disability,
self-care, labour and employment, and 12 monthly observations of income, assets, rigid
spending and housing with realistic drift. Two outputs come from the same drafts:

- ``template_rows(drafts)``: one dict per member keyed by the field names of
  ``registry.validation`` (``parse_member`` / ``parse_household_facts``) plus
  ``household_key`` (the file's 户编号) and ``region_code`` (居住地区划代码), so a file in
  the registry template can be written from it. The household's facts (latest month) are
  on the head's row only unless ``facts_on_every_row``.
- ``bulk_load(drafts)``: the rows the registry services would write (``Household``,
  ``Person`` with encrypted ID/phone + blind index + masked form, ``Membership``,
  ``MemberFacts``, ``HouseholdFacts``), written in batches — COPY on PostgreSQL, multi-row
  inserts on SQLite — with one audit event per batch instead of one per row.

Planted cases (in the last month, for the early-warning and checks apps): ``illness`` (a
member falls seriously ill with large self-paid medical costs), ``death`` (a member dies),
``job_loss`` (the main earner becomes unemployed), ``stable`` (no change in 12 months), and
``disaster``: one township (a code, not a household) hit by a flood.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from dajiuzhu.core import crypto
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.ids import check_character, mask_id_number, mask_phone

DEFAULT_SEED = 371424
DEFAULT_COUNTY = "371424"
MONTHS = 12
PLANTED_KINDS = ("illness", "death", "job_loss", "stable")

MONEY_FIELDS = (
    "monthly_wages", "monthly_business_income", "monthly_property_income", "monthly_transfer_income",
    "monthly_excluded_income", "deposits", "securities", "commercial_insurance", "annual_medical_expense",
    "annual_education_expense", "annual_rehabilitation_expense", "annual_basic_living_expense",
)
MEMBER_STATUS_FIELDS = ("health", "illness", "disability_category", "disability_grade", "disability_certificate",
                        "adl_failed", "labour", "employment")

# --- names -----------------------------------------------------------------------------------------------------

SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "孙", "马", "高", "徐", "郭", "朱", "田", "魏", "崔", "董", "孟",
            "宋", "韩", "邢", "冯", "于", "许", "曹", "吕", "袁", "杜", "付", "姜", "郑", "胡", "周", "吴", "贾", "史",
            "邵", "侯", "齐", "常")
SURNAME_WEIGHTS = tuple(itertools.accumulate(max(1, 40 - i) for i in range(len(SURNAMES))))
MALE_CHARS = "建国军明强伟志刚海涛勇磊超波洪林峰春广庆德福祥斌宝山成文东华永振兴荣立新俊杰浩宇博子轩睿泽晨"
FEMALE_CHARS = "秀英兰芳玉凤霞华梅桂珍丽敏静艳红娟萍燕琴翠荣云美雪婷欣怡悦涵雨思佳诗梦晓"
OLD_FEMALE_NAMES = ("秀英", "桂兰", "玉兰", "秀兰", "凤英", "桂英", "玉珍", "淑珍", "秀珍", "桂芳", "翠兰", "玉梅")

CHRONIC_ILLNESSES = ("高血压", "糖尿病", "慢性阻塞性肺病", "冠心病", "类风湿关节炎", "慢性肾病", "脑血管病后遗症")
SERIOUS_ILLNESSES = ("恶性肿瘤", "尿毒症", "白血病", "脑梗死后遗症", "重性精神障碍", "器官移植术后", "急性心肌梗死")
DISABILITY_CATEGORIES = ("physical", "physical", "physical", "visual", "hearing", "speech", "intellectual", "mental",
                         "multiple")
# Address codes of people born or first registered elsewhere (other Dezhou counties, Jinan, Hebei, Henan).
OTHER_ADDRESS_CODES = ("371402", "371403", "371422", "371423", "371425", "371426", "371427", "371428", "371481",
                       "371482", "370102", "370124", "130984", "411526")

# (kind, weight): the composition of a household on the assistance registry.
COMPOSITIONS = (
    ("elderly_alone", 17), ("elderly_couple", 16), ("nuclear", 22), ("three_generations", 14),
    ("single_parent", 8), ("grandparents_orphans", 5), ("disabled_adult", 8), ("single_adult", 10),
)
COMPOSITION_CUM = tuple(itertools.accumulate(w for _k, w in COMPOSITIONS))


@dataclasses.dataclass(slots=True)
class MemberDraft:
    name: str
    id_number: str
    sex: str
    birth_date: dt.date
    relation: str
    phone: str = ""
    hukou_region_code: str = ""
    ethnicity: str = "汉族"
    marital_status: str = ""
    education: str = ""
    health: str = "healthy"
    illness: str = ""
    disability_category: str = ""
    disability_grade: int | None = None
    disability_certificate: str = ""
    adl_failed: int = 0
    labour: str = "full"
    employment: str = "not_working"
    # Monthly income this member brings, fen: (wages, business, transfers, excluded transfers).
    income: tuple[int, int, int, int] = (0, 0, 0, 0)

    def status(self) -> dict:
        return {f: getattr(self, f) for f in MEMBER_STATUS_FIELDS}

    def row(self) -> dict[str, str]:
        """The member in ``registry.validation`` field names, as text a file would hold."""
        return {
            "name": self.name, "id_number": self.id_number, "sex": self.sex,
            "birth_date": self.birth_date.isoformat(), "relation": self.relation, "phone": self.phone,
            "hukou_region_code": self.hukou_region_code, "ethnicity": self.ethnicity,
            "marital_status": self.marital_status, "education": self.education, "health": self.health,
            "illness": self.illness, "disability_category": self.disability_category,
            "disability_grade": "" if self.disability_grade is None else str(self.disability_grade),
            "disability_certificate": self.disability_certificate, "adl_failed": str(self.adl_failed),
            "labour": self.labour, "employment": self.employment,
        }


@dataclasses.dataclass(slots=True)
class HouseholdDraft:
    key: str
    region_code: str
    hukou_region_code: str
    address: str
    is_urban: bool
    members: list[MemberDraft]
    months: list[dt.date]
    # One dict per month: money in fen (int), counts, housing, safe_water.
    facts: list[dict]
    # (member index, as_of, full status values) observed after the first month.
    member_changes: list[tuple[int, dt.date, dict]] = dataclasses.field(default_factory=list)
    deaths: list[tuple[int, dt.date]] = dataclasses.field(default_factory=list)
    planted: str = ""


def fen_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def facts_row(facts: dict) -> dict[str, str]:
    """A month's facts in ``parse_household_facts`` field names, as text."""
    row = {f: fen_text(facts[f]) for f in MONEY_FIELDS}
    row.update({"vehicles": str(facts["vehicles"]), "vehicles_for_disability": str(facts["vehicles_for_disability"]),
                "extra_houses": str(facts["extra_houses"]), "housing": facts["housing"],
                "safe_water": "是" if facts["safe_water"] else "否"})
    return row


def template_rows(drafts: Iterable[HouseholdDraft], *, facts_on_every_row: bool = False) -> Iterator[dict[str, str]]:
    """One row per member (as registered at the start), with the latest month's household facts."""
    for draft in drafts:
        latest = facts_row(draft.facts[-1])
        for index, member in enumerate(draft.members):
            row = {"household_key": draft.key, "region_code": draft.region_code, "address": draft.address,
                   **member.row()}
            if index == 0 or facts_on_every_row:
                row.update(latest)
            yield row


# --- places ----------------------------------------------------------------------------------------------------

def _villages(county: str) -> list[tuple[str, str]]:
    """(code, name) of the villages of the county, from the shipped division file (or the database)."""
    from dajiuzhu.regions.loaders import DEFAULT_FILE, read_flat

    found = [(code, name) for code, name, level, _p in read_flat(Path(DEFAULT_FILE))
             if level == 5 and code.startswith(county)]
    if not found:
        from dajiuzhu.regions.models import Region

        found = list(Region.objects.filter(level=5, code__startswith=county).order_by("code").values_list("code", "name"))
    if not found:
        raise ValueError(f"no villages under {county!r}")
    return sorted(found)


def _other_county_villages(county: str) -> list[str]:
    from dajiuzhu.regions.loaders import DEFAULT_FILE, read_flat

    return sorted(code for code, _n, level, _p in read_flat(Path(DEFAULT_FILE))
                  if level == 5 and not code.startswith(county))


def month_starts(today: dt.date, months: int = MONTHS) -> list[dt.date]:
    """The first day of each of the last ``months`` months, the current one last."""
    year, month = today.year, today.month
    out = []
    for _i in range(months):
        out.append(dt.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


# --- the generator ---------------------------------------------------------------------------------------------

class SyntheticCounty:
    """Deterministic synthetic households of one county: the same seed gives the same drafts."""

    def __init__(self, *, people: int, seed: int = DEFAULT_SEED, county: str = DEFAULT_COUNTY,
                 today: dt.date | None = None, months: int = MONTHS):
        if people < 1:
            raise ValueError("people must be at least 1")
        self.people, self.seed, self.county = people, seed, county[:6]
        self.today = today or timezone.localdate()
        self.months = month_starts(self.today, months)
        self.start = self.months[0]
        villages = _villages(self.county)
        weight_rng = random.Random(seed ^ 0x5EED)
        # Urban communities (居民委员会, 001–199) are larger than villages.
        weights = [(5.0 if 1 <= int(code[9:]) <= 199 else 1.0) * weight_rng.lognormvariate(0, 0.4)
                   for code, _n in villages]
        self.villages = villages
        self.village_cum = list(itertools.accumulate(weights))
        self.elsewhere = _other_county_villages(self.county) or [code for code, _n in villages]
        townships = sorted({code[:9] + "000" for code, _n in villages})
        self.disaster_township = random.Random(seed ^ 0xF100D).choice(townships)
        self._sequence: dict[tuple[str, dt.date], int] = {}

    # The public entry point: iterate drafts; exactly ``people`` members in total.
    def households(self) -> Iterator[HouseholdDraft]:
        rng = random.Random(self.seed)
        remaining, index = self.people, 0
        pending: list[str] = []
        while remaining > 0:
            if index % 200 == 0:
                pending = ["illness", "death", "job_loss", "stable", "stable"]
            draft = self._household(rng, index, limit=remaining)
            remaining -= len(draft.members)
            self._history(rng, draft, pending)
            index += 1
            yield draft

    # -- one household
    def _household(self, rng: random.Random, index: int, *, limit: int) -> HouseholdDraft:
        code, village_name = self.villages[bisect.bisect(self.village_cum, rng.random() * self.village_cum[-1])]
        urban = 1 <= int(code[9:]) <= 199
        kind = COMPOSITIONS[bisect.bisect(COMPOSITION_CUM, rng.random() * COMPOSITION_CUM[-1])][0]
        shape = self._shape(rng, kind)[:limit]
        registered_elsewhere = rng.random() < 0.05
        hukou = rng.choice(self.elsewhere) if registered_elsewhere else code
        surname = SURNAMES[bisect.bisect(SURNAME_WEIGHTS, rng.random() * SURNAME_WEIGHTS[-1])]
        members = [self._member(rng, relation, age, sex, flags, surname, hukou, urban)
                   for relation, age, sex, flags in shape]
        street = f"{village_name.removesuffix('居民委员会').removesuffix('村民委员会')}{rng.randint(1, 120)}号"
        facts = self._facts(rng, members, urban, kind)
        return HouseholdDraft(key=f"H{index + 1:08d}", region_code=code, hukou_region_code=hukou, address=street,
                              is_urban=urban, members=members, months=list(self.months), facts=[facts])

    @staticmethod
    def _shape(rng: random.Random, kind: str) -> list[tuple[str, int, str, str]]:
        """(relation, age, sex, flags) of each member, head first."""
        def other(sex: str) -> str:
            return "F" if sex == "M" else "M"

        head_sex = "M" if rng.random() < 0.7 else "F"
        if kind == "elderly_alone":
            return [("head", rng.randint(62, 92), "F" if rng.random() < 0.6 else "M", "")]
        if kind == "elderly_couple":
            age = rng.randint(60, 88)
            return [("head", age, "M", ""), ("spouse", max(55, age - rng.randint(0, 5)), "F", "")]
        if kind == "single_adult":
            return [("head", rng.randint(28, 59), head_sex, "frail")]
        if kind == "disabled_adult":
            age = rng.randint(58, 85)
            out = [("head", age, "M", "")]
            if rng.random() < 0.7:
                out.append(("spouse", age - rng.randint(0, 4), "F", ""))
            out.append(("child", rng.randint(max(18, age - 45), age - 20), "M" if rng.random() < 0.6 else "F",
                        "disabled"))
            return out
        if kind == "grandparents_orphans":
            age = rng.randint(58, 80)
            out = [("head", age, "M", "")]
            if rng.random() < 0.6:
                out.append(("spouse", age - rng.randint(0, 4), "F", ""))
            for _i in range(rng.choice((1, 1, 2))):
                out.append(("grandchild", rng.randint(3, 16), "M" if rng.random() < 0.5 else "F", "orphan"))
            return out
        if kind == "single_parent":
            age = rng.randint(26, 50)
            out = [("head", age, "F" if rng.random() < 0.65 else "M", "")]
            for _i in range(rng.choice((1, 1, 2))):
                out.append(("child", rng.randint(1, min(22, age - 20)), "M" if rng.random() < 0.5 else "F", ""))
            return out
        age = rng.randint(28, 55)
        out = [("head", age, "M", ""), ("spouse", age - rng.randint(-2, 5), "F", "")]
        for _i in range(rng.choice((1, 1, 2, 2, 3))):
            out.append(("child", rng.randint(1, min(24, age - 20)), "M" if rng.random() < 0.5 else "F", ""))
        if kind == "three_generations":
            parent_age = age + rng.randint(22, 32)
            out.append(("parent", parent_age, "F" if rng.random() < 0.6 else "M", ""))
            if rng.random() < 0.5:
                out.append(("parent", parent_age + rng.randint(-3, 3), other(out[-1][2]), ""))
        return out

    def _id_number(self, rng: random.Random, address: str, birth: dt.date, sex: str) -> str:
        """A valid, unique number; synthetic sequences use 600–999 so test factories (low numbers) never collide."""
        key = (address, birth)
        n = self._sequence.get(key, 0)
        while n >= 200:  # 200 numbers per sex and day are used up: take the next day
            birth += dt.timedelta(days=1)
            key = (address, birth)
            n = self._sequence.get(key, 0)
        self._sequence[key] = n + 1
        seq = 600 + 2 * n + (1 if sex == "M" else 0)
        first17 = f"{address}{birth:%Y%m%d}{seq:03d}"
        return first17 + check_character(first17)

    def _birth(self, rng: random.Random, age: int) -> dt.date:
        # Born ``age`` years before the registry's first month (so ages stay consistent), any day of that year.
        latest = self.start.replace(year=self.start.year - age)  # the 1st of a month: never 29 February
        return latest - dt.timedelta(days=rng.randint(0, 364))

    def _member(self, rng: random.Random, relation: str, age: int, sex: str, flags: str, surname: str,
                hukou: str, urban: bool) -> MemberDraft:
        married_in = relation in {"spouse", "child_in_law"}
        family = SURNAMES[bisect.bisect(SURNAME_WEIGHTS, rng.random() * SURNAME_WEIGHTS[-1])] if married_in \
            or relation == "parent" and sex == "F" else surname
        if sex == "F" and age >= 55 and rng.random() < 0.6:
            given = rng.choice(OLD_FEMALE_NAMES)
        else:
            pool = MALE_CHARS if sex == "M" else FEMALE_CHARS
            given = "".join(rng.choice(pool) for _i in range(1 if rng.random() < 0.25 else 2))
        address = hukou[:6] if hukou[:6] != self.county else self.county
        if married_in and rng.random() < 0.3 or rng.random() < 0.03:
            address = rng.choice(OTHER_ADDRESS_CODES)
        birth = self._birth(rng, age)
        member = MemberDraft(name=family + given, id_number=self._id_number(rng, address, birth, sex), sex=sex,
                             birth_date=birth, relation=relation, hukou_region_code=hukou)
        # Marital status and schooling.
        if relation in {"spouse"} or (relation == "head" and age >= 30 and rng.random() < 0.5):
            member.marital_status = "married"
        elif age >= 65:
            member.marital_status = "widowed" if rng.random() < 0.7 else "married"
        elif age >= 22:
            member.marital_status = rng.choice(("married", "divorced", "unmarried", "unmarried"))
        else:
            member.marital_status = "unmarried"
        if age < 6:
            member.education = "none"
        elif age < 12:
            member.education = "primary"
        elif age < 15:
            member.education = "junior"
        elif age < 60:
            member.education = rng.choices(("primary", "junior", "senior", "college"), (2, 5, 3, 1 if urban else 0.4))[0]
        else:
            member.education = rng.choices(("none", "primary", "junior"), (4, 5, 2))[0]
        # Health, disability, self-care.
        chronic, serious = (0.03, 0.01) if age < 18 else ((0.12, 0.04) if age < 60 else (0.42, 0.08))
        if flags == "frail":
            chronic, serious = 0.35, 0.25
        roll = rng.random()
        if roll < serious:
            member.health, member.illness = "serious", rng.choice(SERIOUS_ILLNESSES)
        elif roll < serious + chronic:
            member.health, member.illness = "chronic", rng.choice(CHRONIC_ILLNESSES)
        disabled = flags == "disabled" or rng.random() < (0.04 if age < 60 else 0.09) or (
            flags == "frail" and rng.random() < 0.3)
        if disabled:
            category = rng.choice(("intellectual", "mental", "physical", "multiple")) if flags == "disabled" \
                else rng.choice(DISABILITY_CATEGORIES)
            grade = rng.choices((1, 2, 3, 4), (3, 4, 3, 3) if flags == "disabled" else (1, 2, 3, 4))[0]
            member.disability_category, member.disability_grade = category, grade
            member.disability_certificate = f"{member.id_number}{DISABILITY_CATEGORIES.index(category) + 1}{grade}"
        if member.disability_grade in (1, 2):
            member.adl_failed = rng.randint(2, 6)
        elif age >= 80:
            member.adl_failed = rng.choices((0, 1, 2, 4, 5), (6, 2, 1, 1, 1))[0]
        elif member.health == "serious":
            member.adl_failed = rng.choice((0, 0, 1, 3, 4))
        # Labour capacity and work.
        if age < 16 or member.adl_failed >= 4 or member.disability_grade in (1, 2):
            member.labour = "none"
        elif age >= 70 or member.health == "serious" or member.disability_grade in (3, 4) or age >= 60 and \
                rng.random() < 0.6:
            member.labour = "partial" if age < 75 and member.health != "serious" else "none"
        wages = business = transfers = excluded = 0
        if age < 6:
            member.employment = "preschool"
        elif age < 18 or (age < 23 and rng.random() < (0.5 if urban else 0.25)):
            member.employment = "student"
            if age >= 18:
                member.education = "college" if age >= 19 else "senior"
        elif age >= 60:
            if urban and rng.random() < 0.45:
                member.employment, transfers = "retired", rng.randint(1900, 3600) * 100
            else:
                member.employment = "farming" if (not urban and age < 72 and member.labour != "none") else "not_working"
                transfers = rng.randint(170, 260) * 100  # 城乡居民基础养老金
                if member.employment == "farming":
                    business = rng.randint(250, 600) * 100
        elif member.labour == "none":
            member.employment = "not_working"
        else:
            choices = ("employed", "farming", "self_employed", "unemployed", "not_working")
            weights = (5, 0.5, 1.5, 2, 1) if urban else (4, 3, 0.8, 1.2, 1)
            member.employment = rng.choices(choices, weights)[0]
            factor = 0.55 if member.labour == "partial" else 1.0
            if member.employment == "employed":
                monthly = rng.lognormvariate(math.log(3300 if urban else 2600), 0.3)
                wages = int(monthly * rng.uniform(0.45, 1.0) * factor) * 100  # irregular work over the year
            elif member.employment == "farming":
                business = int(rng.uniform(350, 900) * factor) * 100
            elif member.employment == "self_employed":
                business = int(rng.lognormvariate(math.log(1500), 0.5) * factor) * 100
            elif member.employment == "unemployed" and urban and rng.random() < 0.3:
                transfers = rng.randint(1100, 1500) * 100  # unemployment insurance
        if member.disability_grade:
            allowance = 11000 + (11000 if member.disability_grade <= 2 else 0)  # 残疾人两项补贴, excluded
            transfers += allowance
            excluded += allowance
        member.income = (wages, business, transfers, excluded)
        if age >= 18 and rng.random() < (0.85 if relation == "head" else 0.45):
            member.phone = f"1{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}"
        return member

    def _facts(self, rng: random.Random, members: list[MemberDraft], urban: bool, kind: str) -> dict:
        size = len(members)
        wages = sum(m.income[0] for m in members)
        business = sum(m.income[1] for m in members)
        transfers = sum(m.income[2] for m in members)
        excluded = sum(m.income[3] for m in members)
        if kind in {"elderly_alone", "elderly_couple"} and rng.random() < 0.5:
            transfers += rng.randint(200, 800) * 100  # support from children living elsewhere (赡养费)
        prop = rng.randint(40, 220) * 100 if not urban and rng.random() < 0.25 else 0  # land transfer rent
        deposits = int(rng.lognormvariate(math.log(4000 * size), 1.0)) * 100 if rng.random() < 0.75 else 0
        medical = education = rehab = 0
        for m in members:
            if m.health == "chronic":
                medical += rng.randint(1500, 9000) * 100
            elif m.health == "serious":
                medical += rng.randint(12000, 70000) * 100
            if m.disability_grade:
                rehab += rng.randint(500, 6000) * 100
            if m.employment == "student":
                education += {"primary": 600, "junior": 1200, "senior": 4500, "college": 13000}.get(m.education, 600) * 100
        has_vehicle = rng.random() < (0.10 if urban else 0.07)
        disabled_vehicle = has_vehicle and any(m.disability_category == "physical" for m in members) and rng.random() < 0.5
        housing = "safe"
        if not urban:
            housing = rng.choices(("safe", "c_class", "d_class", "none"), (88, 6, 2, 4))[0]
        elif rng.random() < 0.06:
            housing = "none"
        return {
            "monthly_wages": wages, "monthly_business_income": business, "monthly_property_income": prop,
            "monthly_transfer_income": transfers, "monthly_excluded_income": excluded, "deposits": deposits,
            "securities": int(rng.lognormvariate(math.log(20000), 0.8)) * 100 if rng.random() < 0.015 else 0,
            "commercial_insurance": rng.randint(2000, 30000) * 100 if rng.random() < 0.05 else 0,
            "vehicles": 1 if has_vehicle else 0, "vehicles_for_disability": 1 if disabled_vehicle else 0,
            "extra_houses": 1 if rng.random() < 0.03 else 0,
            "annual_medical_expense": medical, "annual_education_expense": education,
            "annual_rehabilitation_expense": rehab,
            "annual_basic_living_expense": rng.randint(500, 3000) * 100 if rng.random() < 0.1 else 0,
            "housing": housing, "safe_water": rng.random() < (0.995 if urban else 0.96),
        }

    # -- 12 months of history, and the planted cases in the last month
    def _history(self, rng: random.Random, draft: HouseholdDraft, pending: list[str]) -> None:
        kind = ""
        for candidate in pending:
            if self._eligible(draft, candidate):
                kind = candidate
                pending.remove(candidate)
                break
        draft.planted = kind
        base = draft.facts[0]
        if kind == "stable":
            draft.facts = [dict(base) for _m in draft.months]
            return
        drift = {f: 1.0 for f in ("monthly_wages", "monthly_business_income", "deposits", "annual_medical_expense")}
        history = []
        for _month in draft.months:
            facts = dict(base)
            for field in drift:
                drift[field] *= rng.gauss(1.0, 0.03 if field != "deposits" else 0.05)
                facts[field] = max(0, int(base[field] * drift[field]) // 100 * 100)
            history.append(facts)
        draft.facts = history
        # Ordinary changes of a member during the year (never in the last month: that is for planted signals).
        for index, member in enumerate(draft.members):
            if rng.random() < 0.015 and len(draft.months) > 2:
                on = draft.months[rng.randint(1, len(draft.months) - 2)]
                status = member.status()
                if member.health == "healthy":
                    status.update(health="chronic", illness=rng.choice(CHRONIC_ILLNESSES))
                elif member.employment == "unemployed":
                    status.update(employment="employed")
                else:
                    continue
                draft.member_changes.append((index, on, status))
        if kind:
            self._plant(rng, draft, kind)

    @staticmethod
    def _eligible(draft: HouseholdDraft, kind: str) -> bool:
        if kind == "death":
            return len(draft.members) >= 2
        if kind == "job_loss":
            return any(m.employment == "employed" and m.income[0] > 0 for m in draft.members)
        if kind == "illness":
            return any(m.health != "serious" and m.birth_date.year < draft.months[0].year - 18 for m in draft.members)
        return True

    def _plant(self, rng: random.Random, draft: HouseholdDraft, kind: str) -> None:
        last = draft.months[-1]
        latest, base = draft.facts[-1], draft.facts[0]

        def remove(field: str, amount: int) -> None:
            # The member's share of the (drifted) household amount leaves with them.
            scale = latest[field] / base[field] if base[field] else 1.0
            latest[field] = max(0, latest[field] - int(amount * scale) // 100 * 100)
        if kind == "illness":
            index = next(i for i, m in enumerate(draft.members)
                         if m.health != "serious" and m.birth_date.year < draft.months[0].year - 18)
            member = draft.members[index]
            status = member.status()
            status.update(health="serious", illness=rng.choice(SERIOUS_ILLNESSES), labour="none",
                          employment="not_working" if member.employment in {"employed", "farming", "self_employed"}
                          else member.employment)
            latest["annual_medical_expense"] += rng.randint(40_000, 150_000) * 100
            remove("monthly_wages", member.income[0])
            remove("monthly_business_income", member.income[1])
            draft.member_changes.append((index, last, status))
        elif kind == "death":
            index = max(range(1, len(draft.members)), key=lambda i: (-draft.members[i].birth_date.toordinal(), i))
            span = max(0, (self.today - last).days)
            draft.deaths.append((index, last + dt.timedelta(days=rng.randint(0, span))))
            member = draft.members[index]
            remove("monthly_wages", member.income[0])
            remove("monthly_business_income", member.income[1])
            remove("monthly_transfer_income", member.income[2])
            latest["monthly_excluded_income"] = max(0, latest["monthly_excluded_income"] - member.income[3])
        elif kind == "job_loss":
            index = max(range(len(draft.members)), key=lambda i: (draft.members[i].income[0], -i))
            member = draft.members[index]
            status = member.status()
            status["employment"] = "unemployed"
            remove("monthly_wages", member.income[0])
            draft.member_changes.append((index, last, status))


# --- the bulk load ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class LoadResult:
    households: int = 0
    people: int = 0
    memberships: int = 0
    household_facts: int = 0
    member_facts: int = 0
    batches: int = 0
    seconds: float = 0.0
    planted: dict[str, list] = dataclasses.field(default_factory=dict)
    first_household_id: int | None = None
    last_household_id: int | None = None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


HOUSEHOLD_COLUMNS = ("id", "number", "region_code", "hukou_region_code", "address", "is_urban", "head_id",
                     "created_at", "updated_at")
PERSON_COLUMNS = ("id", "name", "id_number", "id_hash", "id_masked", "sex", "birth_date", "ethnicity", "phone",
                  "phone_hash", "phone_masked", "hukou_region_code", "household_id", "relation", "region_code",
                  "marital_status", "education", "deceased_on", "created_at", "updated_at")
MEMBERSHIP_COLUMNS = ("id", "person_id", "household_id", "relation", "start", "end")
MEMBER_FACTS_COLUMNS = ("id", "person_id", "region_code", "as_of", "source", *MEMBER_STATUS_FIELDS, "recorded_at",
                        "recorded_by_id")
HOUSEHOLD_FACTS_COLUMNS = ("id", "household_id", "region_code", "as_of", "source", *MONEY_FIELDS, "vehicles",
                           "vehicles_for_disability", "extra_houses", "housing", "safe_water", "recorded_at",
                           "recorded_by_id")


class _Writer:
    """Writes row tuples to a table: COPY on PostgreSQL, executemany on SQLite; ids allocated up front."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def allocate(self, table: str, count: int) -> list[int]:
        if count == 0:
            return []
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)",
                               [count])
                return [row[0] for row in cursor.fetchall()]
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # the write lock is held (IMMEDIATE)
            first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        quoted = ", ".join(f'"{c}"' for c in columns)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',
                                   [tuple(_sqlite_value(v) for v in row) for row in rows])


def _sqlite_value(value):
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _next_numbers() -> dict[str, int]:
    """The next household sequence number of each village (numbers are ``<village>-<00001>``)."""
    from .models import Household

    out: dict[str, int] = {}
    for number in Household.objects.values_list("number", flat=True).iterator(chunk_size=20000):
        village, _sep, seq = number.rpartition("-")
        if seq.isdigit():
            out[village] = max(out.get(village, 0), int(seq))
    return out


def bulk_load(drafts: Iterable[HouseholdDraft], *, batch_size: int = 5000, actor=None,
              log: Callable[[str], None] | None = None, label: str = "synthetic") -> LoadResult:
    """Write the drafts in batches of households, each batch one transaction with one audit event."""
    result = LoadResult()
    started = time.perf_counter()
    writer = _Writer()
    numbers = _next_numbers()
    now = timezone.now()
    batch: list[HouseholdDraft] = []
    for draft in drafts:
        batch.append(draft)
        if len(batch) >= batch_size:
            _load_batch(batch, writer, numbers, now, result, actor=actor, label=label)
            batch = []
            if log:
                log(f"  {result.households:,} households, {result.people:,} people "
                    f"({time.perf_counter() - started:.1f} s)")
    if batch:
        _load_batch(batch, writer, numbers, now, result, actor=actor, label=label)
    if writer.postgres:
        with connection.cursor() as cursor:
            for table in ("registry_household", "registry_person", "registry_membership", "registry_householdfacts",
                          "registry_memberfacts"):
                cursor.execute(f"ANALYZE {table}")
    result.seconds = round(time.perf_counter() - started, 2)
    return result


@transaction.atomic
def _load_batch(batch: list[HouseholdDraft], writer: _Writer, numbers: dict[str, int], now: dt.datetime,
                result: LoadResult, *, actor, label: str) -> None:
    people = sum(len(d.members) for d in batch)
    if writer.postgres:
        # A bulk load that a crash interrupts is loaded again; no need to wait for the WAL flush per batch.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    household_ids = writer.allocate("registry_household", len(batch))
    person_ids = iter(writer.allocate("registry_person", people))
    membership_ids = iter(writer.allocate("registry_membership", people))
    hf_ids = iter(writer.allocate("registry_householdfacts", sum(len(d.facts) for d in batch)))
    mf_ids = iter(writer.allocate("registry_memberfacts", people + sum(len(d.member_changes) for d in batch)))
    households, persons, memberships, member_facts, household_facts = [], [], [], [], []
    for draft, household_id in zip(batch, household_ids, strict=True):
        village = draft.region_code
        numbers[village] = numbers.get(village, 0) + 1
        ids = [next(person_ids) for _m in draft.members]
        households.append((household_id, f"{village}-{numbers[village]:05d}", village, draft.hukou_region_code,
                           draft.address, draft.is_urban, ids[0], now, now))
        deaths = dict(draft.deaths)
        start = draft.months[0]
        for index, (member, person_id) in enumerate(zip(draft.members, ids, strict=True)):
            persons.append((
                person_id, member.name, crypto.encrypt(member.id_number), crypto.blind_index(member.id_number),
                mask_id_number(member.id_number), member.sex, member.birth_date, member.ethnicity or "汉族",
                crypto.encrypt(member.phone), crypto.blind_index(member.phone), mask_phone(member.phone),
                member.hukou_region_code, household_id, member.relation, village, member.marital_status,
                member.education, deaths.get(index), now, now,
            ))
            memberships.append((next(membership_ids), person_id, household_id, member.relation, start, None))
            member_facts.append((next(mf_ids), person_id, village, start, "declared",
                                 *(getattr(member, f) for f in MEMBER_STATUS_FIELDS), now, None))
        for index, on, status in draft.member_changes:
            member_facts.append((next(mf_ids), ids[index], village, on, "declared",
                                 *(status[f] for f in MEMBER_STATUS_FIELDS), now, None))
        for on, facts in zip(draft.months, draft.facts, strict=True):
            household_facts.append((next(hf_ids), household_id, village, on, "declared",
                                    *(fen_text(facts[f]) for f in MONEY_FIELDS), facts["vehicles"],
                                    facts["vehicles_for_disability"], facts["extra_houses"], facts["housing"],
                                    facts["safe_water"], now, None))
        if draft.planted:
            result.planted.setdefault(draft.planted, []).append(household_id)
    writer.write("registry_household", HOUSEHOLD_COLUMNS, households)
    writer.write("registry_person", PERSON_COLUMNS, persons)
    writer.write("registry_membership", MEMBERSHIP_COLUMNS, memberships)
    writer.write("registry_memberfacts", MEMBER_FACTS_COLUMNS, member_facts)
    writer.write("registry_householdfacts", HOUSEHOLD_FACTS_COLUMNS, household_facts)
    result.batches += 1
    audit_record(actor=actor, action="registry.bulk_load", object_type="registry.household",
                 object_id=f"{household_ids[0]}-{household_ids[-1]}", region_code=batch[0].region_code[:6] + "000000",
                 source="command",
                 new={"label": label, "batch": result.batches, "households": len(batch), "people": people,
                      "memberships": len(memberships), "household_facts": len(household_facts),
                      "member_facts": len(member_facts)})
    result.households += len(batch)
    result.people += people
    result.memberships += len(memberships)
    result.household_facts += len(household_facts)
    result.member_facts += len(member_facts)
    result.first_household_id = result.first_household_id or household_ids[0]
    result.last_household_id = household_ids[-1]


def load_county(*, people: int, seed: int = DEFAULT_SEED, county: str = DEFAULT_COUNTY, today: dt.date | None = None,
                batch_size: int = 5000, actor=None, log: Callable[[str], None] | None = None) -> LoadResult:
    """Generate and load a synthetic county; ``result.planted`` also holds ``disaster`` (a township code)."""
    generator = SyntheticCounty(people=people, seed=seed, county=county, today=today)
    result = bulk_load(generator.households(), batch_size=batch_size, actor=actor, log=log,
                       label=f"synthetic people={people} seed={seed} county={county}")
    result.planted["disaster"] = [generator.disaster_township]
    return result
