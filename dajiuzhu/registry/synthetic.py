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
import multiprocessing
import operator
import os
import queue as queue_module
import random
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from dajiuzhu.core import crypto
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.ids import CHECK_CHARS, WEIGHTS, mask_id_number, mask_phone

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
TWOPI = 2.0 * math.pi


class _Random(random.Random):
    """``random.Random`` with the same stream and the same draws, minus the stdlib's argument checks.

    ``randint(a, b)`` and ``choice(seq)`` consume the generator exactly as the stdlib's
    ``randrange`` / ``_randbelow_with_getrandbits`` do (a seed gives the same county as with
    ``random.Random``; ``tests/test_synthetic.py`` holds a digest of the county to prove it).
    """

    def randint(self, a: int, b: int) -> int:
        n = b - a + 1
        if n <= 0:
            raise ValueError(f"empty range for randint({a}, {b})")
        k = n.bit_length()
        getrandbits = self.getrandbits
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        return a + r

    def choice(self, seq):
        n = len(seq)
        if not n:
            raise IndexError("Cannot choose from an empty sequence")
        k = n.bit_length()
        getrandbits = self.getrandbits
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        return seq[r]

    def normals(self, count: int) -> list[float]:
        """``count`` standard normal draws, exactly what ``count`` calls of ``gauss()`` would return."""
        random_, log, sqrt, cos, sin = self.random, math.log, math.sqrt, math.cos, math.sin
        out: list[float] = [] if self.gauss_next is None else [self.gauss_next]
        for _pair in range((count - len(out) + 1) // 2):
            x2pi = random_() * TWOPI
            g2rad = sqrt(-2.0 * log(1.0 - random_()))
            out += (cos(x2pi) * g2rad, sin(x2pi) * g2rad)
        self.gauss_next = out.pop() if len(out) > count else None
        return out


class _Weighted:
    """``rng.choices(population, weights)[0]`` with the cumulative weights computed once (same draw)."""

    __slots__ = ("population", "cum", "total", "hi")

    def __init__(self, population: tuple, weights: tuple):
        self.population = population
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1] + 0.0
        self.hi = len(population) - 1

    def pick(self, rng: random.Random):
        return self.population[bisect.bisect(self.cum, rng.random() * self.total, 0, self.hi)]


EDUCATION_ADULT = {True: _Weighted(("primary", "junior", "senior", "college"), (2, 5, 3, 1)),
                   False: _Weighted(("primary", "junior", "senior", "college"), (2, 5, 3, 0.4))}
EDUCATION_OLD = _Weighted(("none", "primary", "junior"), (4, 5, 2))
GRADE = {True: _Weighted((1, 2, 3, 4), (3, 4, 3, 3)), False: _Weighted((1, 2, 3, 4), (1, 2, 3, 4))}
ADL_OLD = _Weighted((0, 1, 2, 4, 5), (6, 2, 1, 1, 1))
EMPLOYMENT = {True: _Weighted(("employed", "farming", "self_employed", "unemployed", "not_working"), (5, 0.5, 1.5, 2, 1)),
              False: _Weighted(("employed", "farming", "self_employed", "unemployed", "not_working"), (4, 3, 0.8, 1.2, 1))}
RURAL_HOUSING = _Weighted(("safe", "c_class", "d_class", "none"), (88, 6, 2, 4))
# The check character's weighted sum of the sequence digits (GB 11643: weights 8, 4, 2).
_SEQUENCE_SUM = tuple(sum(int(d) * w for d, w in zip(f"{seq:03d}", WEIGHTS[14:], strict=True)) for seq in range(1000))


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
        # (address code, birth date) → [numbers used, the first 14 characters, their check-sum part]
        self._sequence: dict[tuple[str, dt.date], list] = {}
        self._latest_birth: dict[int, int] = {}

    # The public entry point: iterate drafts; exactly ``people`` members in total.
    def households(self) -> Iterator[HouseholdDraft]:
        rng = _Random(self.seed)
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
        entry = self._sequence.get(key)
        while entry is not None and entry[0] >= 200:  # 200 numbers per sex and day are used up: take the next day
            birth += dt.timedelta(days=1)
            key = (address, birth)
            entry = self._sequence.get(key)
        if entry is None:
            first14 = f"{address}{birth:%Y%m%d}"
            entry = self._sequence[key] = [0, first14, sum(int(d) * w for d, w in zip(first14, WEIGHTS))]
        n = entry[0]
        entry[0] = n + 1
        seq = 600 + 2 * n + (1 if sex == "M" else 0)
        # The same as core.ids.check_character(first17), with the sum of the first 14 digits kept.
        return f"{entry[1]}{seq}{CHECK_CHARS[(entry[2] + _SEQUENCE_SUM[seq]) % 11]}"

    def _birth(self, rng: random.Random, age: int) -> dt.date:
        # Born ``age`` years before the registry's first month (so ages stay consistent), any day of that year.
        latest = self._latest_birth.get(age)
        if latest is None:  # the 1st of a month: never 29 February
            latest = self._latest_birth[age] = self.start.replace(year=self.start.year - age).toordinal()
        return dt.date.fromordinal(latest - rng.randint(0, 364))

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
            member.education = EDUCATION_ADULT[urban].pick(rng)
        else:
            member.education = EDUCATION_OLD.pick(rng)
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
            grade = GRADE[flags == "disabled"].pick(rng)
            member.disability_category, member.disability_grade = category, grade
            member.disability_certificate = f"{member.id_number}{DISABILITY_CATEGORIES.index(category) + 1}{grade}"
        if member.disability_grade in (1, 2):
            member.adl_failed = rng.randint(2, 6)
        elif age >= 80:
            member.adl_failed = ADL_OLD.pick(rng)
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
            member.employment = EMPLOYMENT[urban].pick(rng)
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
            housing = RURAL_HOUSING.pick(rng)
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
        # Each month every drifting amount is multiplied by gauss(1.0, sigma), in this order (one
        # ``rng.normals`` call draws what the 4 × 12 ``rng.gauss`` calls would).
        wages, business, deposits, medical = (base["monthly_wages"], base["monthly_business_income"],
                                              base["deposits"], base["annual_medical_expense"])
        d_wages = d_business = d_deposits = d_medical = 1.0
        normals = rng.normals(4 * len(draft.months))
        history = []
        for i in range(0, len(normals), 4):
            facts = base.copy()
            # max(0, int(amount × drift) // 100 × 100), written out
            d_wages *= 1.0 + normals[i] * 0.03
            v = int(wages * d_wages) // 100 * 100
            facts["monthly_wages"] = v if v > 0 else 0
            d_business *= 1.0 + normals[i + 1] * 0.03
            v = int(business * d_business) // 100 * 100
            facts["monthly_business_income"] = v if v > 0 else 0
            d_deposits *= 1.0 + normals[i + 2] * 0.05
            v = int(deposits * d_deposits) // 100 * 100
            facts["deposits"] = v if v > 0 else 0
            d_medical *= 1.0 + normals[i + 3] * 0.03
            v = int(medical * d_medical) // 100 * 100
            facts["annual_medical_expense"] = v if v > 0 else 0
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
    deferred_indexes: bool = False  # PostgreSQL, empty tables: indexes and constraints rebuilt at the end
    index_seconds: float = 0.0
    parallel: bool = False  # drafted in a second process
    generator_cpu_seconds: float = 0.0  # CPU time of that process (drafting and encoding)
    writer_cpu_seconds: float = 0.0  # CPU time of this process during the load (PostgreSQL's own time is apart)

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
              log: Callable[[str], None] | None = None, label: str = "synthetic",
              defer_indexes: bool | None = None) -> LoadResult:
    """Write the drafts in batches of households, each batch one transaction with one audit event.

    On PostgreSQL the rows go as COPY text built here (``_encode``), and when the registry tables
    are empty (a new benchmark or demo database) and no transaction is open, the whole load is one
    transaction that drops the tables' secondary indexes, unique and foreign-key constraints first
    and recreates them at the end (a sort per index and one join per foreign key instead of 7 million index insertions and
    row triggers): see ``defer_constraints``. ``defer_indexes`` forces that on (tables must be
    empty) or off. The rows written are the same either way.
    """
    if connection.vendor != "postgresql":
        return _bulk_load_rows(drafts, batch_size=batch_size, actor=actor, log=log, label=label)
    now = timezone.now().isoformat()
    numbers = _next_numbers()

    def encoded() -> Iterator[list[tuple]]:
        batch: list[tuple] = []
        for draft in drafts:
            batch.append(_encode(draft, numbers, now))
            if len(batch) >= batch_size:
                yield _seal(batch)
                batch = []
        if batch:
            yield _seal(batch)

    return _copy_load(encoded(), actor=actor, log=log, label=label, defer_indexes=defer_indexes)


def _bulk_load_rows(drafts: Iterable[HouseholdDraft], *, batch_size: int, actor, log, label: str) -> LoadResult:
    """The SQLite path: multi-row inserts of row tuples."""
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
    result.seconds = round(time.perf_counter() - started, 2)
    return result


# --- the PostgreSQL path: COPY text ----------------------------------------------------------------------------

REGISTRY_TABLES = ("registry_household", "registry_person", "registry_membership", "registry_householdfacts",
                   "registry_memberfacts")
# Column orders of the COPY statements: the ids the loader allocates first, then what ``_encode`` writes.
COPY_HOUSEHOLD = ("id", "head_id", "number", "region_code", "hukou_region_code", "address", "is_urban",
                  "created_at", "updated_at")
COPY_PERSON = ("id", "household_id", "id_number", "id_hash", "phone", "phone_hash", "name", "id_masked", "sex",
               "birth_date", "ethnicity", "phone_masked", "hukou_region_code", "relation", "region_code",
               "marital_status", "education", "created_at", "updated_at", "deceased_on")
COPY_MEMBERSHIP = ("id", "person_id", "household_id", "relation", "start", "end")
COPY_MEMBER_FACTS = ("id", "person_id", "region_code", "as_of", "source", "health", "illness", "disability_category",
                     "disability_certificate", "adl_failed", "labour", "employment", "recorded_at",
                     "disability_grade", "recorded_by_id")
COPY_HOUSEHOLD_FACTS = ("id", "household_id", "region_code", "as_of", "source", *MONEY_FIELDS, "vehicles",
                        "vehicles_for_disability", "extra_houses", "housing", "safe_water", "recorded_at",
                        "recorded_by_id")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _join(fields: list[str]) -> str:
    """Text fields as one COPY text fragment (tab-separated, escaped when a field needs it)."""
    text = "\t".join(fields)
    if "\\" in text or "\n" in text or "\r" in text or text.count("\t") != len(fields) - 1:
        text = "\t".join(f.translate(_ESCAPES) for f in fields)
    return text


class _FenText(dict):
    """fen → ``fen_text(fen)``, memoised (a registry repeats the same amounts many times)."""

    def __missing__(self, fen: int) -> str:
        if len(self) > 2_000_000:
            self.clear()
        text = self[fen] = fen_text(fen)
        return text


_FEN = _FenText()
_MONEY = operator.itemgetter(*MONEY_FIELDS)
_FACTS_REST = operator.itemgetter("vehicles", "vehicles_for_disability", "extra_houses", "housing", "safe_water")
_ISO: dict[dt.date, str] = {}


def _iso(day: dt.date) -> str:
    text = _ISO.get(day)
    if text is None:
        text = _ISO[day] = day.isoformat()
    return text


def _member_facts_text(village: str, on: str, status, now: str) -> str:
    grade = status["disability_grade"]
    return (_join([village, on, "declared", status["health"], status["illness"], status["disability_category"],
                   status["disability_certificate"], str(status["adl_failed"]), status["labour"],
                   status["employment"], now])
            + ("\t\\N" if grade is None else f"\t{grade}") + "\t\\N")


def _encode(draft: HouseholdDraft, numbers: dict[str, int], now: str) -> tuple:
    """One household as COPY text without the ids (which the writer allocates):

    (household, [(id number, phone, person, membership, member facts) per member],
    [(member index, member facts) per later change], [household facts per month], planted, region).
    ``_seal`` then encrypts the identifiers of a whole batch.
    """
    village = draft.region_code
    numbers[village] = numbers.get(village, 0) + 1
    household = _join([f"{village}-{numbers[village]:05d}", village, draft.hukou_region_code, draft.address,
                       "t" if draft.is_urban else "f", now, now])
    deaths = dict(draft.deaths)
    start = _iso(draft.months[0])
    members = []
    for index, m in enumerate(draft.members):
        died = deaths.get(index)
        person = (_join([m.name, mask_id_number(m.id_number), m.sex, m.birth_date.isoformat(), m.ethnicity or "汉族",
                         mask_phone(m.phone), m.hukou_region_code, m.relation, village, m.marital_status,
                         m.education, now, now])
                  + ("\t\\N" if died is None else f"\t{died.isoformat()}"))
        facts = (_join([village, start, "declared", m.health, m.illness, m.disability_category,
                        m.disability_certificate, str(m.adl_failed), m.labour, m.employment, now])
                 + ("\t\\N" if m.disability_grade is None else f"\t{m.disability_grade}") + "\t\\N")
        members.append((m.id_number, m.phone, person, _join([m.relation, start]) + "\t\\N", facts))
    changes = [(index, _member_facts_text(village, _iso(on), status, now))
               for index, on, status in draft.member_changes]
    money, rest, fen_get, tab_join = _MONEY, _FACTS_REST, _FEN.__getitem__, "\t".join
    prefix = _join([village, ""])
    months, last_rest, tail = [], None, ""
    for on, facts in zip(draft.months, draft.facts, strict=True):
        values = rest(facts)
        if values != last_rest:  # vehicles, houses, housing, water: the same every month, as a rule
            vehicles, for_disability, extra_houses, housing, safe_water = last_rest = values
            tail = _join([str(vehicles), str(for_disability), str(extra_houses), housing, "t" if safe_water else "f",
                          now]) + "\t\\N"
        months.append(f"{prefix}{_iso(on)}\tdeclared\t{tab_join(map(fen_get, money(facts)))}\t{tail}")
    return household, members, changes, months, draft.planted, village


def _seal(batch: list[tuple]) -> list[tuple]:
    """Encrypt and blind-index the identifiers of a batch of encoded households (one bulk call for all):
    each member becomes (person, membership, member facts) as COPY text without the ids."""
    id_numbers = [m[0] for h in batch for m in h[1]]
    phones = [m[1] for h in batch for m in h[1]]
    sealed_ids, id_hashes = _encrypt_many(id_numbers), _blind_index_many(id_numbers)
    sealed_phones, phone_hashes = _encrypt_many(phones), _blind_index_many(phones)
    k, out = 0, []
    for household, members, changes, months, planted, village in batch:
        sealed = []
        for _id_number, _phone, person, membership, facts in members:
            sealed.append((f"{sealed_ids[k]}\t{id_hashes[k]}\t{sealed_phones[k]}\t{phone_hashes[k]}\t{person}",
                           membership, facts))
            k += 1
        out.append((household, sealed, changes, months, planted, village))
    return out


def _encrypt_many(values: list[str]) -> list[str]:
    many = getattr(crypto, "encrypt_many", None)  # the bulk form where core.crypto has it
    return many(values) if many else [crypto.encrypt(v) for v in values]


def _blind_index_many(values: list[str]) -> list[str]:
    many = getattr(crypto, "blind_index_many", None)
    return many(values) if many else [crypto.blind_index(v) for v in values]


def _allocate(cursor, table: str, count: int) -> range | list[int]:
    """``count`` new ids of the table's sequence: a range when they are consecutive (the usual case)."""
    if count == 0:
        return range(0)
    cursor.execute(f"SELECT MIN(v), MAX(v) FROM (SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS v "
                   f"FROM generate_series(1, %s)) AS ids", [count])
    low, high = cursor.fetchone()
    if high - low + 1 == count:
        return range(low, high + 1)
    # Someone else took ids in between: take a fresh set one by one (the gap is harmless).
    cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)", [count])
    return [row[0] for row in cursor.fetchall()]


def _copy(cursor, table: str, columns: tuple[str, ...], lines: list[str]) -> None:
    if not lines:
        return
    quoted = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
        copy.write("".join(lines))


def _copy_batch(batch: list[tuple], result: LoadResult, *, actor, label: str) -> None:
    """Write one batch of encoded households in one transaction (a savepoint inside a deferred load)."""
    people = sum(len(h[1]) for h in batch)
    changes = sum(len(h[2]) for h in batch)
    with transaction.atomic(), connection.cursor() as cursor:
        # A bulk load that a crash interrupts is loaded again; no need to wait for the WAL flush per batch.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        household_ids = _allocate(cursor, "registry_household", len(batch))
        person_ids = iter(_allocate(cursor, "registry_person", people))
        membership_ids = iter(_allocate(cursor, "registry_membership", people))
        hf_ids = iter(_allocate(cursor, "registry_householdfacts", sum(len(h[3]) for h in batch)))
        mf_ids = iter(_allocate(cursor, "registry_memberfacts", people + changes))
        households, persons, memberships, member_facts, household_facts = [], [], [], [], []
        for (household, members, member_changes, months, planted, _village), hid in zip(batch, household_ids,
                                                                                       strict=True):
            ids = [next(person_ids) for _m in members]
            households.append(f"{hid}\t{ids[0]}\t{household}\n")
            for pid, (person, membership, facts) in zip(ids, members, strict=True):
                persons.append(f"{pid}\t{hid}\t{person}\n")
                memberships.append(f"{next(membership_ids)}\t{pid}\t{hid}\t{membership}\n")
                member_facts.append(f"{next(mf_ids)}\t{pid}\t{facts}\n")
            for index, facts in member_changes:
                member_facts.append(f"{next(mf_ids)}\t{ids[index]}\t{facts}\n")
            for facts in months:
                household_facts.append(f"{next(hf_ids)}\t{hid}\t{facts}\n")
            if planted:
                result.planted.setdefault(planted, []).append(hid)
        _copy(cursor, "registry_household", COPY_HOUSEHOLD, households)
        _copy(cursor, "registry_person", COPY_PERSON, persons)
        _copy(cursor, "registry_membership", COPY_MEMBERSHIP, memberships)
        _copy(cursor, "registry_memberfacts", COPY_MEMBER_FACTS, member_facts)
        _copy(cursor, "registry_householdfacts", COPY_HOUSEHOLD_FACTS, household_facts)
        _batch_done(result, actor=actor, label=label, household_ids=household_ids, county=batch[0][5][:6],
                    people=people, memberships=len(memberships), household_facts=len(household_facts),
                    member_facts=len(member_facts))


def begin_bulk_load(cursor, tables: tuple[str, ...]) -> tuple[list[str], bool]:
    """Inside the caller's transaction on PostgreSQL: skip row triggers where the role may
    (``session_replication_role = replica``, so foreign keys need no per-row check and stay), and
    defer the tables' indexes and constraints (``defer_constraints``). Returns the statements that
    recreate them (to run after the load in the same transaction) and whether row triggers are skipped."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
        replica = True
    except DatabaseError:
        replica = False
    return defer_constraints(cursor, tables, foreign_keys=not replica), replica


def defer_constraints(cursor, tables: tuple[str, ...], *, foreign_keys: bool = True) -> list[str]:
    """Drop the tables' secondary indexes, unique (and foreign-key) constraints; return the statements
    that recreate them exactly (``pg_get_indexdef`` / ``pg_get_constraintdef``), in a valid order.

    For a bulk load into a PostgreSQL table: run inside the transaction of the load, then the
    returned statements (each index is built with one sort; each foreign key checked with one
    join). Primary keys stay (ids are appended in order, cheap to maintain), and so does any
    index a foreign key of another table relies on. ``foreign_keys=False`` keeps the foreign
    keys (when their row triggers are skipped another way).
    """
    cursor.execute(
        """
        SELECT c.contype, format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname),
               format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass, c.conname,
                      pg_get_constraintdef(c.oid))
        FROM pg_constraint c
        WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype = ANY(%s)
          AND NOT (c.contype = 'u' AND EXISTS (SELECT 1 FROM pg_constraint f
                                               WHERE f.contype = 'f' AND f.conindid = c.conindid))
        ORDER BY c.contype DESC, c.conname
        """, [list(tables), ["u", "f"] if foreign_keys else ["u"]])
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT format('DROP INDEX %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
          AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
        ORDER BY i.indexrelid::regclass::text
        """, [list(tables)])
    indexes = cursor.fetchall()
    for _kind, drop, _add in constraints:  # foreign keys first ('f' > 'u')
        cursor.execute(drop)
    for drop, _create in indexes:
        cursor.execute(drop)
    # Recreate: plain indexes, unique constraints, then foreign keys (validated by one join each).
    return ([create for _drop, create in indexes] + [add for kind, _drop, add in constraints if kind == "u"]
            + [add for kind, _drop, add in constraints if kind == "f"])


def _copy_load(batches: Iterable[list[tuple]], *, actor, log, label: str, defer_indexes: bool | None,
               result: LoadResult | None = None) -> LoadResult:
    result = result or LoadResult()
    started, cpu = time.perf_counter(), time.process_time()

    def write_all() -> None:
        for batch in batches:
            _copy_batch(batch, result, actor=actor, label=label)
            if log:
                log(f"  {result.households:,} households, {result.people:,} people "
                    f"({time.perf_counter() - started:.1f} s)")

    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " AND ".join(f"NOT EXISTS (SELECT 1 FROM {t})" for t in REGISTRY_TABLES))
        empty = bool(cursor.fetchone()[0])
    if defer_indexes and not empty:
        raise ValueError("deferring the indexes needs empty registry tables")
    # By default only in a transaction of its own: inside a caller's transaction the DDL could meet
    # that transaction's pending foreign-key trigger events (ALTER TABLE refuses) or hold its locks.
    result.deferred_indexes = (empty and not connection.in_atomic_block) if defer_indexes is None else defer_indexes
    if result.deferred_indexes:
        # One transaction: the indexes and constraints are back (and checked) before anyone sees a row.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute("SET LOCAL maintenance_work_mem TO '256MB'")
            recreate = defer_constraints(cursor, REGISTRY_TABLES)
            write_all()
            begin = time.perf_counter()
            for statement in recreate:
                cursor.execute(statement)
            result.index_seconds = round(time.perf_counter() - begin, 2)
            if log:
                log(f"  {len(recreate)} indexes and constraints recreated in {result.index_seconds:.1f} s")
    else:
        write_all()
    with connection.cursor() as cursor:
        for table in REGISTRY_TABLES:
            cursor.execute(f"ANALYZE {table}")
    result.seconds = round(time.perf_counter() - started, 2)
    result.writer_cpu_seconds = round(time.process_time() - cpu, 2)
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
    _batch_done(result, actor=actor, label=label, household_ids=household_ids, county=batch[0].region_code[:6],
                people=people, memberships=len(memberships), household_facts=len(household_facts),
                member_facts=len(member_facts))


def _batch_done(result, *, actor, label: str, household_ids: list[int], county: str, people: int, memberships: int,
                household_facts: int, member_facts: int) -> None:
    """One audit event for a loaded batch, and the batch added to the load's counts."""
    result.batches += 1
    audit_record(actor=actor, action="registry.bulk_load", object_type="registry.household",
                 object_id=f"{household_ids[0]}-{household_ids[-1]}", region_code=county + "000000",
                 source="command",
                 new={"label": label, "batch": result.batches, "households": len(household_ids), "people": people,
                      "memberships": memberships, "household_facts": household_facts, "member_facts": member_facts})
    result.households += len(household_ids)
    result.people += people
    result.memberships += memberships
    result.household_facts += household_facts
    result.member_facts += member_facts
    result.first_household_id = result.first_household_id or household_ids[0]
    result.last_household_id = household_ids[-1]


def _generate(generator: SyntheticCounty, batch_size: int, numbers: dict[str, int], now: str, queue) -> None:
    """The generator process: draft and encode households, send them in batches (never touches the database)."""
    try:
        batch: list[tuple] = []
        for draft in generator.households():
            batch.append(_encode(draft, numbers, now))
            if len(batch) >= batch_size:
                queue.put(("batch", _seal(batch)))
                batch = []
        if batch:
            queue.put(("batch", _seal(batch)))
        queue.put(("done", time.process_time()))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        queue.put(("error", traceback.format_exc()))


def _batches_from_process(generator: SyntheticCounty, batch_size: int, result: LoadResult) -> Iterator[list[tuple]]:
    """Encoded batches drafted (and their identifiers encrypted) by a forked process while this one writes.

    The generator's random stream is consumed in one process, in order, so the county is the
    same as when it is drafted here; only the work is split between two cores.
    """
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=3)
    numbers, now = _next_numbers(), timezone.now().isoformat()
    process = context.Process(target=_generate, args=(generator, batch_size, numbers, now, queue),
                              name="synthetic-generator", daemon=True)
    process.start()
    try:
        while True:
            try:
                kind, payload = queue.get(timeout=5)
            except queue_module.Empty:
                if not process.is_alive():
                    raise RuntimeError(f"the generator process ended without its data (exit {process.exitcode})"
                                       ) from None
                continue
            if kind == "done":
                result.generator_cpu_seconds = round(payload, 2)
                break
            if kind == "error":
                raise RuntimeError(f"the generator process failed:\n{payload}")
            yield payload
    finally:
        if process.is_alive():
            process.terminate()
        process.join(timeout=30)
        queue.close()


def load_county(*, people: int, seed: int = DEFAULT_SEED, county: str = DEFAULT_COUNTY, today: dt.date | None = None,
                batch_size: int = 5000, actor=None, log: Callable[[str], None] | None = None,
                parallel: bool | None = None) -> LoadResult:
    """Generate and load a synthetic county; ``result.planted`` also holds ``disaster`` (a township code).

    On PostgreSQL with ``parallel`` (default: from 20,000 people on a machine with 2 or more
    cores), a forked process drafts, encodes and encrypts the households while this one streams
    them to PostgreSQL (whose own work is the larger part); the rows are the same as without it.
    """
    generator = SyntheticCounty(people=people, seed=seed, county=county, today=today)
    label = f"synthetic people={people} seed={seed} county={county}"
    if parallel is None:
        parallel = people >= 20_000 and (os.cpu_count() or 1) >= 2
    if parallel and connection.vendor == "postgresql" and "fork" in multiprocessing.get_all_start_methods():
        connection.ensure_connection()
        result = LoadResult(parallel=True)
        _copy_load(_batches_from_process(generator, batch_size, result), actor=actor, log=log, label=label,
                   defer_indexes=None, result=result)
    else:
        result = bulk_load(generator.households(), batch_size=batch_size, actor=actor, log=log, label=label)
    result.planted["disaster"] = [generator.disaster_township]
    return result
