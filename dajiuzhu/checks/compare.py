"""The comparison of department data with the declared facts, for many households at once.

``compare(on=..., household_ids=... | region_prefix=...)`` reads, in three set-based queries,
(1) the latest declared ``HouseholdFacts`` of each household on the reference date, (2) the
latest department record of each data type for each person who is a living member of one of
those households on that date (within the look-back window, except for lasting states such
as a death or a disability certificate), and (3) the declared disability grade of the people
with a certificate on record; then it sums per household with numpy and compares.

The scalar verification (``services.verify_household``) calls the same function for one
household, so the county-wide batch and the single report cannot disagree.

A comparison is a *discrepancy* when the department data is worse for the household than the
declaration by more than the tolerance: more income, assets, vehicles or houses than
declared, less medical spending than declared, a member who died, a different disability
grade. Money is int64 fen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext_lazy as _

from .datatypes import DEATH_TYPES, LASTING_TYPES


@dataclasses.dataclass(frozen=True)
class Check:
    code: str
    label: object
    data_types: tuple[str, ...]
    declared_field: str  # HouseholdFacts field ("" = nothing declared: the registry's members)
    kind: str  # "money" or "count"
    adverse: str = "more"  # "more": found above declared is adverse; "less": found below declared


CHECKS: tuple[Check, ...] = (
    Check("wages", _("wages"), ("wage", "welfare_job"), "monthly_wages", "money"),
    Check("transfers", _("pensions and benefits"), ("pension", "unemployment"), "monthly_transfer_income", "money"),
    Check("business", _("business income"), ("business",), "monthly_business_income", "money"),
    Check("deposits", _("deposits"), ("deposit",), "deposits", "money"),
    Check("securities", _("securities"), ("security",), "securities", "money"),
    Check("insurance", _("commercial insurance"), ("insurance",), "commercial_insurance", "money"),
    Check("vehicles", _("vehicles"), ("vehicle",), "vehicles", "count"),
    Check("houses", _("houses beyond the one lived in"), ("house",), "extra_houses", "count"),
    Check("medical", _("self-paid medical costs"), ("medical",), "annual_medical_expense", "money", adverse="less"),
    Check("deaths", _("members alive"), DEATH_TYPES, "", "count"),
    Check("disability", _("disability grades"), ("disability",), "", "count"),
)
CHECK_BY_CODE = {c.code: c for c in CHECKS}
# Data types that are shown in the report but not compared with a declared value.
INFORMATION_TYPES = ("hukou", "marriage", "social_insurance", "tax", "housing_fund", "dishonest_debtor")
DECLARED_FIELDS = ("monthly_wages", "monthly_business_income", "monthly_property_income", "monthly_transfer_income",
                   "monthly_excluded_income", "deposits", "securities", "commercial_insurance", "vehicles",
                   "vehicles_for_disability", "extra_houses", "annual_medical_expense",
                   "annual_education_expense", "annual_rehabilitation_expense", "annual_basic_living_expense")
TYPE_CHECK = {t: c.code for c in CHECKS for t in c.data_types}


def tolerance_fen() -> int:
    return int(Decimal(str(getattr(settings, "CHECKS_TOLERANCE_YUAN", "10"))) * 100)


def window_days() -> int:
    """How far back a record of a flow (wages, pensions, costs) still describes the reference date."""
    return int(getattr(settings, "CHECKS_WINDOW_DAYS", 400))


def _fen(value) -> int:
    if value is None:
        return 0
    return int((Decimal(str(value)) * 100).to_integral_value())


def _ordinal(value) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value.toordinal()


@dataclasses.dataclass
class MemberRows:
    """Latest department record per (person, data type) of the living members, one row each."""

    household_id: np.ndarray
    person_id: np.ndarray
    data_type: np.ndarray  # str
    amount: np.ndarray  # fen, 0 if none
    quantity: np.ndarray
    quantity2: np.ndarray
    as_of: np.ndarray  # ordinal
    event_date: np.ndarray  # ordinal, 0 if none
    record_id: np.ndarray

    def __len__(self) -> int:
        return len(self.record_id)


@dataclasses.dataclass
class Comparison:
    on: dt.date
    household_ids: np.ndarray
    region_codes: np.ndarray
    declared_raw: dict[str, np.ndarray]  # HouseholdFacts fields, money in fen
    has_facts: np.ndarray
    found: dict[str, np.ndarray]
    declared: dict[str, np.ndarray]
    has_data: dict[str, np.ndarray]
    discrepant: dict[str, np.ndarray]
    latest: dict[str, np.ndarray]  # ordinal date of the newest record used
    rows: MemberRows
    dead_people: set[int]
    grade_of: dict[int, tuple[int, int]]  # person -> (found grade, declared grade)

    def __len__(self) -> int:
        return len(self.household_ids)

    @property
    def any_discrepancy(self) -> np.ndarray:
        out = np.zeros(len(self), dtype=bool)
        for mask in self.discrepant.values():
            out |= mask
        return out

    def index_of(self, household_id: int) -> int:
        found = np.nonzero(self.household_ids == household_id)[0]
        if not len(found):
            raise LookupError(household_id)
        return int(found[0])


def _household_clause(household_ids, region_prefix: str, alias: str = "h") -> tuple[str, list]:
    where, params = [], []
    if household_ids is not None:
        ids = [int(i) for i in household_ids]
        where.append(f"{alias}.id IN ({','.join(['%s'] * len(ids))})" if ids else "1 = 0")
        params.extend(ids)
    if region_prefix:
        where.append(f"{alias}.region_code LIKE %s")
        params.append(region_prefix + "%")
    return (" AND ".join(where) or "1 = 1"), params


def _fetch(cursor, size: int = 50_000):
    while True:
        chunk = cursor.fetchmany(size)
        if not chunk:
            return
        yield from chunk


def compare(*, on: dt.date, household_ids=None, region_prefix: str = "") -> Comparison:
    """Compare department data with the declared facts of the chosen households on ``on``."""
    clause, params = _household_clause(household_ids, region_prefix)
    window_start = on - dt.timedelta(days=window_days())
    lasting = ",".join(f"'{t}'" for t in LASTING_TYPES)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT h.id, h.region_code FROM registry_household h WHERE {clause} ORDER BY h.id", params)
        households = cursor.fetchall()
        n = len(households)
        hh_ids = np.fromiter((r[0] for r in households), dtype=np.int64, count=n)
        regions = np.array([r[1] for r in households], dtype="<U12") if n else np.zeros(0, dtype="<U12")
        index_of = {int(h): i for i, h in enumerate(hh_ids)}
        raw = {f: np.zeros(n, dtype=np.int64) for f in DECLARED_FIELDS}
        has_facts = np.zeros(n, dtype=bool)
        money_fields = {f for f in DECLARED_FIELDS if f not in ("vehicles", "vehicles_for_disability", "extra_houses")}
        if n:
            cursor.execute(
                f"""
                SELECT household_id, {', '.join('f.' + f for f in DECLARED_FIELDS)} FROM (
                    SELECT f.*, ROW_NUMBER() OVER (PARTITION BY f.household_id ORDER BY f.as_of DESC) AS rn
                    FROM registry_householdfacts f JOIN registry_household h ON h.id = f.household_id
                    WHERE f.as_of <= %s AND {clause}
                ) f WHERE f.rn = 1
                """,
                [on, *params],
            )
            for row in _fetch(cursor):
                i = index_of[row[0]]
                has_facts[i] = True
                for field, value in zip(DECLARED_FIELDS, row[1:], strict=True):
                    raw[field][i] = _fen(value) if field in money_fields else int(value or 0)

            member_clause = f"""r.person_id IN (SELECT m2.person_id FROM registry_membership m2
                JOIN registry_household h ON h.id = m2.household_id WHERE {clause})"""
            cursor.execute(
                f"""
                SELECT m.household_id, r.person_id, r.data_type, r.amount, r.quantity, r.quantity2, r.as_of,
                       r.event_date, r.id
                FROM (
                    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.person_id, r.data_type
                                                   ORDER BY r.as_of DESC, r.id DESC) AS rn
                    FROM checks_departmentrecord r
                    WHERE r.person_id IS NOT NULL AND r.as_of <= %s
                      AND (r.as_of > %s OR r.data_type IN ({lasting})) AND {member_clause}
                ) r
                JOIN registry_membership m ON m.person_id = r.person_id AND m.start <= %s
                     AND (m."end" IS NULL OR m."end" > %s)
                JOIN registry_household h ON h.id = m.household_id
                JOIN registry_person p ON p.id = r.person_id
                WHERE r.rn = 1 AND (p.deceased_on IS NULL OR p.deceased_on > %s) AND {clause}
                """,
                [on, window_start, *params, on, on, on, *params],
            )
            fetched = list(_fetch(cursor))
        else:
            fetched = []
    m = len(fetched)
    rows = MemberRows(
        household_id=np.fromiter((r[0] for r in fetched), dtype=np.int64, count=m),
        person_id=np.fromiter((r[1] for r in fetched), dtype=np.int64, count=m),
        data_type=np.array([r[2] for r in fetched], dtype="<U24") if m else np.zeros(0, dtype="<U24"),
        amount=np.fromiter((r[3] or 0 for r in fetched), dtype=np.int64, count=m),
        quantity=np.fromiter((r[4] or 0 for r in fetched), dtype=np.int64, count=m),
        quantity2=np.fromiter((r[5] or 0 for r in fetched), dtype=np.int64, count=m),
        as_of=np.fromiter((_ordinal(r[6]) for r in fetched), dtype=np.int64, count=m),
        event_date=np.fromiter((_ordinal(r[7]) for r in fetched), dtype=np.int64, count=m),
        record_id=np.fromiter((r[8] for r in fetched), dtype=np.int64, count=m),
    )
    del fetched
    idx = np.fromiter((index_of[int(h)] for h in rows.household_id), dtype=np.int64, count=m)

    found: dict[str, np.ndarray] = {}
    declared: dict[str, np.ndarray] = {}
    has_data: dict[str, np.ndarray] = {}
    latest: dict[str, np.ndarray] = {}

    def per_household(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        if mask.any():
            np.add.at(out, idx[mask], values[mask])
        return out

    def newest(mask: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        if mask.any():
            np.maximum.at(out, idx[mask], rows.as_of[mask])
        return out

    for check in CHECKS:
        mask = np.isin(rows.data_type, check.data_types)
        has_data[check.code] = np.bincount(idx[mask], minlength=n).astype(bool) if n else np.zeros(0, dtype=bool)
        latest[check.code] = newest(mask)
        if check.code in ("wages", "transfers", "business", "deposits", "securities", "insurance", "medical"):
            found[check.code] = per_household(mask, rows.amount)
            declared[check.code] = raw[check.declared_field].copy()
        elif check.code == "vehicles":
            found[check.code] = per_household(mask, rows.quantity)
            declared[check.code] = raw["vehicles"].copy()
        elif check.code == "houses":
            found[check.code] = np.maximum(per_household(mask, rows.quantity) - 1, 0)
            declared[check.code] = raw["extra_houses"].copy()

    # Members who died according to the police or civil affairs (and are alive in the registry).
    on_ordinal = on.toordinal()
    death_mask = np.isin(rows.data_type, DEATH_TYPES) & (rows.event_date > 0) & (rows.event_date <= on_ordinal)
    dead_people: set[int] = set()
    dead_count = np.zeros(n, dtype=np.int64)
    for person, i in {(int(p), int(i)) for p, i in zip(rows.person_id[death_mask], idx[death_mask], strict=True)}:
        dead_people.add(person)
        dead_count[i] += 1
    found["deaths"], declared["deaths"] = dead_count, np.zeros(n, dtype=np.int64)
    has_data["deaths"] = dead_count > 0

    # Disability grades found against the declared grade of the same member.
    grade_mask = rows.data_type == "disability"
    declared_grades = _declared_grades(on, [int(p) for p in rows.person_id[grade_mask]])
    grade_of: dict[int, tuple[int, int]] = {}
    mismatch = np.zeros(n, dtype=np.int64)
    for person, grade, i in zip(rows.person_id[grade_mask], rows.quantity[grade_mask], idx[grade_mask], strict=True):
        declared_grade = declared_grades.get(int(person), 0)
        grade_of[int(person)] = (int(grade), declared_grade)
        if int(grade) != declared_grade:
            mismatch[i] += 1
    found["disability"], declared["disability"] = mismatch, np.zeros(n, dtype=np.int64)

    tol = tolerance_fen()
    discrepant: dict[str, np.ndarray] = {}
    for check in CHECKS:
        f, d = found[check.code], declared[check.code]
        margin = tol if check.kind == "money" else 0
        if check.adverse == "less":
            bad = (d - f) > margin
        else:
            bad = (f - d) > margin
        discrepant[check.code] = bad & has_data[check.code]
    return Comparison(on=on, household_ids=hh_ids, region_codes=regions, declared_raw=raw, has_facts=has_facts,
                      found=found, declared=declared, has_data=has_data, discrepant=discrepant, latest=latest,
                      rows=rows, dead_people=dead_people, grade_of=grade_of)


def _declared_grades(on: dt.date, people: list[int]) -> dict[int, int]:
    """The latest declared disability grade (0 = none) of each person on ``on``."""
    out: dict[int, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(people), 2000):
            chunk = people[start:start + 2000]
            cursor.execute(
                f"""
                SELECT person_id, disability_grade FROM (
                    SELECT f.person_id, f.disability_grade,
                           ROW_NUMBER() OVER (PARTITION BY f.person_id ORDER BY f.as_of DESC) AS rn
                    FROM registry_memberfacts f WHERE f.as_of <= %s AND f.person_id IN ({','.join(['%s'] * len(chunk))})
                ) latest WHERE rn = 1
                """,
                [on, *chunk],
            )
            out.update({int(p): int(g or 0) for p, g in cursor.fetchall()})
    return out
