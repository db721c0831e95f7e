"""Named household facts on a given day — the vocabulary of rules and indices.

``household_frame`` computes the facts of many households at once (columnar, numpy), from
the dated observations: the latest ``HouseholdFacts`` on or before the day, the members in
the household on that day (``Membership``) who were alive, and each member's latest
``MemberFacts``. ``household_facts`` is the same computation for one household, so the
scalar and the bulk paths cannot disagree.

Money columns in a frame are int64 **fen** (exact); ``household_facts`` returns Decimal
yuan. Per-capita figures are rounded half up to the fen.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
from django.db import DatabaseError, connection
from django.utils.translation import gettext_lazy as _

HOUSING_CODES = {"safe": 0, "c_class": 1, "d_class": 2, "none": 3}
HEALTH_CODES = {"healthy": 0, "chronic": 1, "serious": 2}
LABOUR_CODES = {"full": 0, "partial": 1, "none": 2}

# name -> (kind, description). kind: "money" (fen in frames, yuan outside), "int", "bool".
FACTS: dict[str, tuple[str, object]] = {
    "household_size": ("int", _("members living in the household")),
    "monthly_income": ("money", _("household income per month (wages, business, property, transfers − exclusions)")),
    "per_capita_income": ("money", _("household income per person per month")),
    "financial_assets": ("money", _("deposits, securities and commercial insurance")),
    "per_capita_financial_assets": ("money", _("financial assets per person")),
    "vehicles": ("int", _("vehicles owned")),
    "vehicles_non_disability": ("int", _("vehicles owned, other than one used for a disability")),
    "extra_houses": ("int", _("houses beyond the one lived in")),
    "annual_rigid_expense": ("money", _("rigid spending over 12 months (medical, education, rehabilitation, basic living)")),
    "annual_medical_expense": ("money", _("self-paid medical costs over 12 months")),
    "annual_education_expense": ("money", _("education costs over 12 months")),
    "annual_income": ("money", _("household income over 12 months")),
    "housing_code": ("int", _("housing condition: 0 safe, 1 C-class, 2 D-class dangerous, 3 no house")),
    "safe_water": ("bool", _("has safe drinking water")),
    "has_facts": ("bool", _("economic facts are on record for the day")),
    "is_urban": ("bool", _("lives in an urban community (居民委员会)")),
    "members_over_60": ("int", _("members aged 60 or over")),
    "members_under_16": ("int", _("members under 16")),
    "members_under_18": ("int", _("members under 18")),
    "disabled_members": ("int", _("members with a disability certificate")),
    "severely_disabled_members": ("int", _("members with disability grade 1 or 2")),
    "seriously_ill_members": ("int", _("members with a serious illness")),
    "chronic_ill_members": ("int", _("members with a chronic illness")),
    "max_adl_failed": ("int", _("most daily-living items a member cannot manage (0–6)")),
    "labour_members": ("int", _("members aged 16–59 with full or partial labour capacity")),
    "unemployed_able_members": ("int", _("able-bodied members aged 16–59 who are unemployed")),
    "students": ("int", _("members in school")),
    "head_age": ("int", _("age of the head of household")),
}
MONEY_FACTS = frozenset(name for name, (kind, _d) in FACTS.items() if kind == "money")


@dataclasses.dataclass
class FactFrame:
    """Facts of many households on one day: ``columns[name][i]`` belongs to ``household_ids[i]``."""

    on: dt.date
    household_ids: np.ndarray
    region_codes: np.ndarray
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.household_ids)

    def row(self, index: int) -> dict[str, object]:
        """One household's facts with money as Decimal yuan."""
        out: dict[str, object] = {}
        for name, values in self.columns.items():
            value = values[index].item()
            kind = FACTS.get(name, ("int", ""))[0]
            if kind == "money":
                out[name] = (Decimal(int(value)) / 100).quantize(Decimal("0.01"))
            elif kind == "bool":
                out[name] = bool(value)
            else:
                out[name] = int(value)
        return out


def _fen(value) -> int:
    return int((Decimal(value or 0) * 100).to_integral_value())


def _divide_half_up(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Integer division rounded half up (for non-negative numerators), 0 where the denominator is 0."""
    safe = np.where(denominator > 0, denominator, 1)
    result = (2 * numerator + safe) // (2 * safe)
    return np.where(denominator > 0, result, numerator)


def _age_on(births: np.ndarray, on: dt.date) -> np.ndarray:
    """Whole years of age on ``on`` for an array of birth dates as yyyymmdd ints."""
    today = on.year * 10000 + on.month * 100 + on.day
    return (today - births) // 10000


def _scope(region_prefix: str, household_ids) -> tuple[list[str], list, list[int] | None]:
    """WHERE conditions on ``h`` (registry_household) and their parameters; the id list, if any."""
    where: list[str] = []
    params: list = []
    ids = None
    if household_ids is not None:
        ids = [int(i) for i in household_ids]
        if ids:
            where.append(f"h.id IN ({','.join(['%s'] * len(ids))})")
            params.extend(ids)
    if region_prefix:
        where.append("h.region_code LIKE %s")
        params.append(region_prefix + "%")
    return where, params, ids


def _case(column: str, codes: dict[str, int]) -> str:
    """SQL for ``codes.get(column, 0)`` (NULL and unknown values give 0, like the Python lookups)."""
    whens = " ".join(f"WHEN '{name}' THEN {code}" for name, code in codes.items() if code)
    return f"(CASE {column} {whens} ELSE 0 END)"


def _fen_sql(column: str) -> str:
    # MoneyField is numeric(14, 2): × 100 is an exact integer (the same as ``_fen``).
    return f"CAST(COALESCE({column}, 0) * 100 AS BIGINT)"


# Household-facts columns of the raw frame, each (name, binary COPY type, SQL expression over ``f``).
_HF_COLUMNS = (
    ("household_id", ">i8", "f.household_id"),
    ("monthly_income", ">i8", " + ".join(_fen_sql(f"f.{c}") for c in (
        "monthly_wages", "monthly_business_income", "monthly_property_income", "monthly_transfer_income"))
     + " - " + _fen_sql("f.monthly_excluded_income")),
    ("financial_assets", ">i8", " + ".join(_fen_sql(f"f.{c}") for c in ("deposits", "securities", "commercial_insurance"))),
    ("vehicles", ">i4", "CAST(f.vehicles AS INTEGER)"),
    ("vehicles_non_disability", ">i4", "CAST(GREATEST(0, f.vehicles - f.vehicles_for_disability) AS INTEGER)"),
    ("extra_houses", ">i4", "CAST(f.extra_houses AS INTEGER)"),
    ("annual_medical_expense", ">i8", _fen_sql("f.annual_medical_expense")),
    ("annual_education_expense", ">i8", _fen_sql("f.annual_education_expense")),
    ("annual_rigid_expense", ">i8", " + ".join(_fen_sql(f"f.{c}") for c in (
        "annual_medical_expense", "annual_education_expense", "annual_rehabilitation_expense",
        "annual_basic_living_expense"))),
    ("housing_code", ">i4", "CAST(" + _case("f.housing", HOUSING_CODES) + " AS INTEGER)"),
    ("safe_water", ">i4", "(CASE WHEN f.safe_water THEN 1 ELSE 0 END)"),
)
EMPLOYMENT_CODES = {"unemployed": 1, "student": 2}
# Member columns of the raw frame (``mf``: the member's latest observation, NULL when none).
_MEMBER_COLUMNS = (
    ("household_id", ">i8", "m.household_id"),
    ("person_id", ">i8", "p.id"),
    # Days since 1970-01-01 (date - date is an integer; EXTRACT would go through numeric, far slower).
    ("birth", ">i4", "(p.birth_date - DATE '1970-01-01')"),
    ("health", ">i4", "CAST(" + _case("mf.health", HEALTH_CODES) + " AS INTEGER)"),
    ("grade", ">i4", "CAST(COALESCE(mf.disability_grade, 0) AS INTEGER)"),
    ("adl", ">i4", "CAST(COALESCE(mf.adl_failed, 0) AS INTEGER)"),
    ("labour", ">i4", "CAST(" + _case("mf.labour", LABOUR_CODES) + " AS INTEGER)"),
    ("employment", ">i4", "CAST(" + _case("mf.employment", EMPLOYMENT_CODES) + " AS INTEGER)"),
)
_SEND = {">i8": "int8send", ">i4": "int4send", ">f8": "float8send"}


def fetch_columns(cursor, sql: str, params: list, columns) -> dict[str, np.ndarray]:
    """The rows of ``sql`` as numpy arrays, one per column (in no particular row order): int64
    for integer columns, float64 for ``">f8"`` ones.

    ``sql`` has a ``{columns}`` placeholder for the select list; ``columns`` are (name, ">i8",
    ">i4" or ">f8", SQL expression). On PostgreSQL without a Python object per row: every column is a
    non-NULL fixed-width integer, the server packs each row into bytes
    (``int8send``/``int4send``, big-endian) and concatenates them (``string_agg``) into one
    ``bytea`` value, which numpy reads as a structured array. (A binary COPY would do, but the
    server sends one message per row, and reading those costs Python time per row.) ``count(*)``
    checks that no row was lost (a NULL anywhere in a row would make its bytes NULL)."""
    if connection.vendor != "postgresql":
        cursor.execute(sql.replace("{columns}", ", ".join(expression for _n, _c, expression in columns)), params)
        rows = cursor.fetchall()
        return {name: np.array([row[i] for row in rows], dtype=_dtype(code)).reshape(-1)
                for i, (name, code, _sql) in enumerate(columns)}
    packed = " || ".join(f"{_SEND[code]}(q.c{i})" for i, (_name, code, _sql) in enumerate(columns))
    selected = ", ".join(f"{expression} AS c{i}" for i, (_name, _code, expression) in enumerate(columns))
    cursor.execute(f"SELECT count(*), string_agg({packed}, ''::bytea) FROM ({sql.replace('{columns}', selected)}) q",
                   params)
    count, data = cursor.fetchone()
    dtype = np.dtype([(name, code) for name, code, _sql in columns])
    data = bytes(data or b"")
    if len(data) != count * dtype.itemsize:
        raise ValueError("a row of the frame read has a NULL column")
    rows = np.frombuffer(data, dtype=dtype, count=count)
    return {name: rows[name].astype(_dtype(code)) for name, code, _sql in columns}


def _dtype(code: str):
    return np.float64 if code == ">f8" else np.int64


def _yyyymmdd_of_days(days: np.ndarray) -> np.ndarray:
    """yyyymmdd ints of dates given as days since 1970-01-01."""
    dates = days.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    return ((years.astype(np.int64) + 1970) * 10000 + ((months - years).astype(np.int64) + 1) * 100
            + (dates - months).astype(np.int64) + 1)


@contextlib.contextmanager
def _without_jit(cursor):
    """JIT compilation off for a whole-region read: compiling costs more than it saves on these
    plans (0.3–0.7 s a query at 100,000 people). The previous setting is restored afterwards."""
    cursor.execute("SELECT current_setting('jit')")
    previous = cursor.fetchone()[0]
    cursor.execute("SET jit = off")
    try:
        yield
    except BaseException:
        with contextlib.suppress(DatabaseError):  # a failed transaction's rollback undoes the SET
            cursor.execute("SELECT set_config('jit', %s, false)", [previous])
        raise
    cursor.execute("SELECT set_config('jit', %s, false)", [previous])


def _read_postgres(cursor, on: dt.date, where: list[str], params: list):
    """The household facts and members of the households in scope (PostgreSQL; set-based, binary COPY)."""
    scope = ("WHERE " + " AND ".join(where) + " AND") if where else "WHERE"
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    hf = fetch_columns(
        cursor,
        "SELECT {columns} FROM registry_household h "
        "CROSS JOIN LATERAL (SELECT * FROM registry_householdfacts f1 WHERE f1.household_id = h.id "
        "                    AND f1.as_of <= %s ORDER BY f1.as_of DESC LIMIT 1) f "
        f"{clause}",
        [on, *params], _HF_COLUMNS)
    members = fetch_columns(
        cursor,
        "SELECT {columns} "
        "FROM registry_membership m JOIN registry_household h ON h.id = m.household_id "
        "JOIN registry_person p ON p.id = m.person_id "
        "LEFT JOIN LATERAL (SELECT f.health, f.disability_grade, f.adl_failed, f.labour, f.employment "
        "                   FROM registry_memberfacts f WHERE f.person_id = p.id AND f.as_of <= %s "
        "                   ORDER BY f.as_of DESC LIMIT 1) mf ON TRUE "
        f'{scope} m.start <= %s AND (m."end" IS NULL OR m."end" > %s) AND (p.deceased_on IS NULL OR p.deceased_on > %s)',
        [on, *params, on, on, on], _MEMBER_COLUMNS)
    members["birth"] = _yyyymmdd_of_days(members["birth"])
    return hf, members


def _read_generic(cursor, on: dt.date, where: list[str], params: list, ids: list[int] | None):
    """The same as ``_read_postgres`` with portable SQL (window functions), converted row by row."""
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    # For a few households, restrict the member-facts window to their members (an index lookup
    # instead of a window over every member observation of the registry).
    member_filter, member_params = "", []
    if ids:
        member_filter = (" AND f.person_id IN (SELECT m2.person_id FROM registry_membership m2"
                         f" WHERE m2.household_id IN ({','.join(['%s'] * len(ids))}))")
        member_params = list(ids)
    cursor.execute(
        f"""
        SELECT household_id, monthly_wages, monthly_business_income, monthly_property_income,
               monthly_transfer_income, monthly_excluded_income, deposits, securities, commercial_insurance,
               vehicles, vehicles_for_disability, extra_houses, annual_medical_expense, annual_education_expense,
               annual_rehabilitation_expense, annual_basic_living_expense, housing, safe_water
        FROM (
            SELECT f.*, ROW_NUMBER() OVER (PARTITION BY f.household_id ORDER BY f.as_of DESC) AS rn
            FROM registry_householdfacts f JOIN registry_household h ON h.id = f.household_id
            {clause + (' AND' if clause else 'WHERE')} f.as_of <= %s
        ) latest WHERE rn = 1
        """,
        [*params, on],
    )
    rows = cursor.fetchall()
    values = {name: [] for name, _c, _s in _HF_COLUMNS}
    for row in rows:
        rigid = [_fen(v) for v in row[12:16]]
        for name, value in (
            ("household_id", row[0]),
            ("monthly_income", sum(_fen(v) for v in row[1:5]) - _fen(row[5])),
            ("financial_assets", _fen(row[6]) + _fen(row[7]) + _fen(row[8])),
            ("vehicles", row[9]),
            ("vehicles_non_disability", max(0, row[9] - row[10])),
            ("extra_houses", row[11]),
            ("annual_medical_expense", rigid[0]),
            ("annual_education_expense", rigid[1]),
            ("annual_rigid_expense", sum(rigid)),
            ("housing_code", HOUSING_CODES.get(row[16], 0)),
            ("safe_water", int(bool(row[17]))),
        ):
            values[name].append(value)
    hf = {name: np.array(v, dtype=np.int64) for name, v in values.items()}

    cursor.execute(
        f"""
        SELECT m.household_id, p.id, p.birth_date, mf.health, mf.disability_grade, mf.adl_failed, mf.labour,
               mf.employment
        FROM registry_membership m
        JOIN registry_household h ON h.id = m.household_id
        JOIN registry_person p ON p.id = m.person_id
        LEFT JOIN (
            SELECT f.*, ROW_NUMBER() OVER (PARTITION BY f.person_id ORDER BY f.as_of DESC) AS rn
            FROM registry_memberfacts f WHERE f.as_of <= %s{member_filter}
        ) mf ON mf.person_id = p.id AND mf.rn = 1
        {clause + (' AND' if clause else 'WHERE')} m.start <= %s AND (m."end" IS NULL OR m."end" > %s)
          AND (p.deceased_on IS NULL OR p.deceased_on > %s)
        """,
        [on, *member_params, *params, on, on, on],
    )
    rows = cursor.fetchall()
    members = {
        "household_id": [r[0] for r in rows],
        "person_id": [r[1] for r in rows],
        "birth": [_yyyymmdd(r[2]) for r in rows],
        "health": [HEALTH_CODES.get(r[3] or "healthy", 0) for r in rows],
        "grade": [r[4] or 0 for r in rows],
        "adl": [r[5] or 0 for r in rows],
        "labour": [LABOUR_CODES.get(r[6] or "full", 0) for r in rows],
        "employment": [EMPLOYMENT_CODES.get(r[7] or "", 0) for r in rows],
    }
    return hf, {name: np.array(v, dtype=np.int64) for name, v in members.items()}


# Up to this many households given by id (the instant decision reads one), the plain row queries
# cost less than the packed set-based ones (fewer plan nodes, no packing): about 1.5 ms of Python
# and 1.5 ms of server CPU for one household, against about 2 ms each.
ROWS_PATH_MAX_HOUSEHOLDS = 200


def _households_rows(cursor, clause: str, params: list):
    """(ids, region codes, is_urban, head ids or -1) of the households in scope, ordered by id."""
    cursor.execute(f"SELECT h.id, h.region_code, h.is_urban, h.head_id FROM registry_household h {clause} "
                   "ORDER BY h.id", params)
    rows = cursor.fetchall()
    n = len(rows)
    return (np.fromiter((r[0] for r in rows), dtype=np.int64, count=n),
            np.array([r[1] for r in rows]),
            np.fromiter((bool(r[2]) for r in rows), dtype=bool, count=n),
            np.fromiter((-1 if r[3] is None else r[3] for r in rows), dtype=np.int64, count=n))


def _households_packed(cursor, clause: str, params: list):
    """The same as ``_households_rows`` in one row (PostgreSQL): the integers packed as in
    ``fetch_columns``, the region codes joined by newlines; None if a code holds a newline."""
    cursor.execute(
        "SELECT count(*), string_agg(int8send(h.id) || int8send(COALESCE(h.head_id, -1))"
        " || int4send(CASE WHEN h.is_urban THEN 1 ELSE 0 END), ''::bytea ORDER BY h.id),"
        f" string_agg(h.region_code, E'\\n' ORDER BY h.id) FROM registry_household h {clause}", params)
    count, data, text = cursor.fetchone()
    if not count:
        return np.zeros(0, np.int64), np.zeros(0, "<U12"), np.zeros(0, bool), np.zeros(0, np.int64)
    codes = text.split("\n")
    dtype = np.dtype([("id", ">i8"), ("head", ">i8"), ("urban", ">i4")])
    if len(codes) != count or len(data) != count * dtype.itemsize:
        return None
    rows = np.frombuffer(bytes(data), dtype=dtype, count=count)
    return (rows["id"].astype(np.int64), np.array(codes), rows["urban"].astype(bool), rows["head"].astype(np.int64))


def household_frame(*, on: dt.date, region_prefix: str = "", household_ids=None) -> FactFrame:
    """Facts of every household under ``region_prefix`` (or of ``household_ids``) on ``on``.

    Three queries whatever the number of households: the households, the latest household
    observation of each (on PostgreSQL ``DISTINCT ON``), the members on the day with their latest
    member observation (on PostgreSQL a ``LATERAL`` index lookup per member). On PostgreSQL the
    two large results come as binary ``COPY`` straight into numpy; elsewhere row by row."""
    where, params, ids = _scope(region_prefix, household_ids)
    if ids is not None and not ids:
        return _empty(on)
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    with connection.cursor() as cursor:
        packed = connection.vendor == "postgresql" and ids is None
        households = _households_packed(cursor, clause, params) if packed else None
        if households is None:
            households = _households_rows(cursor, clause, params)
        hh_ids, codes, is_urban, heads = households
        if not len(hh_ids):
            return _empty(on)
        if connection.vendor == "postgresql" and (ids is None or len(ids) > ROWS_PATH_MAX_HOUSEHOLDS):
            with _without_jit(cursor) if ids is None else contextlib.nullcontext():
                hf, members = _read_postgres(cursor, on, where, params)
        else:
            hf, members = _read_generic(cursor, on, where, params, ids)
    n = len(hh_ids)
    cols: dict[str, np.ndarray] = {name: np.zeros(n, dtype=np.int64) for name in FACTS}
    cols["is_urban"] = is_urban
    cols["safe_water"] = np.ones(n, dtype=bool)
    cols["has_facts"] = np.zeros(n, dtype=bool)

    if len(hf["household_id"]):
        at = np.searchsorted(hh_ids, hf["household_id"])
        for name in ("monthly_income", "financial_assets", "vehicles", "vehicles_non_disability", "extra_houses",
                     "annual_medical_expense", "annual_education_expense", "annual_rigid_expense", "housing_code"):
            cols[name][at] = hf[name]
        cols["safe_water"][at] = hf["safe_water"].astype(bool)
        cols["has_facts"][at] = True

    m = len(members["household_id"])
    if m:
        idx = np.searchsorted(hh_ids, members["household_id"])
        ages = _age_on(members["birth"], on)
        health, grade, adl = members["health"], members["grade"], members["adl"]
        labour, employment = members["labour"], members["employment"]
        working_age = (ages >= 16) & (ages < 60)
        able = working_age & (labour < 2)

        def count(mask: np.ndarray) -> np.ndarray:
            return np.bincount(idx[mask], minlength=n).astype(np.int64)

        cols["household_size"] = count(np.ones(m, dtype=bool))
        cols["members_over_60"] = count(ages >= 60)
        cols["members_under_16"] = count(ages < 16)
        cols["members_under_18"] = count(ages < 18)
        cols["disabled_members"] = count(grade > 0)
        cols["severely_disabled_members"] = count((grade > 0) & (grade <= 2))
        cols["seriously_ill_members"] = count(health == 2)
        cols["chronic_ill_members"] = count(health == 1)
        cols["labour_members"] = count(able)
        cols["unemployed_able_members"] = count(able & (employment == EMPLOYMENT_CODES["unemployed"]))
        cols["students"] = count(employment == EMPLOYMENT_CODES["student"])
        max_adl = np.zeros(n, dtype=np.int64)
        np.maximum.at(max_adl, idx, adl)
        cols["max_adl_failed"] = max_adl
        # The head's age when the head is among the members on the day (of any household in scope).
        order = np.argsort(members["person_id"], kind="stable")
        people, people_ages = members["person_id"][order], ages[order]
        at = np.clip(np.searchsorted(people, heads), 0, m - 1)
        cols["head_age"] = np.where((heads >= 0) & (people[at] == heads), people_ages[at], 0).astype(np.int64)

    size = cols["household_size"]
    # A net loss counts as no income for the per-capita figure.
    cols["per_capita_income"] = _divide_half_up(np.maximum(cols["monthly_income"], 0), size)
    cols["per_capita_financial_assets"] = _divide_half_up(cols["financial_assets"], size)
    cols["annual_income"] = cols["monthly_income"] * 12
    return FactFrame(on=on, household_ids=hh_ids, region_codes=codes, columns=cols)


def _yyyymmdd(value) -> int:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value.year * 10000 + value.month * 100 + value.day


def _empty(on: dt.date) -> FactFrame:
    return FactFrame(
        on=on,
        household_ids=np.zeros(0, dtype=np.int64),
        region_codes=np.zeros(0, dtype="<U12"),
        columns={name: np.zeros(0, dtype=np.int64) for name in FACTS},
    )


def household_facts(household_id: int, *, on: dt.date) -> dict[str, object]:
    """The named facts of one household on ``on`` (money as Decimal yuan)."""
    frame = household_frame(on=on, household_ids=[household_id])
    if not len(frame):
        raise LookupError(f"household {household_id} not found")
    return frame.row(0)
