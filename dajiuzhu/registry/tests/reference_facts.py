"""The frame read as it was before the set-based rewrite (row by row in Python, window functions):
kept verbatim as the reference the fast paths of ``registry.facts`` must match exactly."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import connection

from dajiuzhu.registry.facts import (
    FACTS,
    HEALTH_CODES,
    HOUSING_CODES,
    LABOUR_CODES,
    FactFrame,
    _age_on,
    _divide_half_up,
    _empty,
    _fen,
    _yyyymmdd,
)


def reference_household_frame(*, on: dt.date, region_prefix: str = "", household_ids=None) -> FactFrame:
    """Facts of every household under ``region_prefix`` (or of ``household_ids``) on ``on``."""
    where, params = [], []
    # For a few households, restrict the member-facts window to their members (an index lookup
    # instead of a window over every member observation of the registry).
    member_filter, member_params = "", []
    if household_ids is not None:
        ids = [int(i) for i in household_ids]
        if not ids:
            return _empty(on)
        where.append(f"h.id IN ({','.join(['%s'] * len(ids))})")
        params.extend(ids)
        member_filter = (" AND f.person_id IN (SELECT m2.person_id FROM registry_membership m2"
                         f" WHERE m2.household_id IN ({','.join(['%s'] * len(ids))}))")
        member_params = list(ids)
    if region_prefix:
        where.append("h.region_code LIKE %s")
        params.append(region_prefix + "%")
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT h.id, h.region_code, h.is_urban, h.head_id FROM registry_household h {clause} ORDER BY h.id",
                       params)
        households = cursor.fetchall()
        if not households:
            return _empty(on)
        hh_ids = np.fromiter((r[0] for r in households), dtype=np.int64, count=len(households))
        index_of = {int(hid): i for i, hid in enumerate(hh_ids)}
        n = len(hh_ids)
        cols: dict[str, np.ndarray] = {name: np.zeros(n, dtype=np.int64) for name in FACTS}
        cols["is_urban"] = np.fromiter((bool(r[2]) for r in households), dtype=bool, count=n)
        cols["safe_water"] = np.ones(n, dtype=bool)
        cols["has_facts"] = np.zeros(n, dtype=bool)
        head_of = {r[0]: r[3] for r in households}

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
        for row in cursor.fetchall():
            i = index_of[row[0]]
            income = sum(_fen(v) for v in row[1:5]) - _fen(row[5])
            cols["monthly_income"][i] = income
            cols["financial_assets"][i] = _fen(row[6]) + _fen(row[7]) + _fen(row[8])
            cols["vehicles"][i] = row[9]
            cols["vehicles_non_disability"][i] = max(0, row[9] - row[10])
            cols["extra_houses"][i] = row[11]
            cols["annual_medical_expense"][i] = _fen(row[12])
            cols["annual_education_expense"][i] = _fen(row[13])
            cols["annual_rigid_expense"][i] = _fen(row[12]) + _fen(row[13]) + _fen(row[14]) + _fen(row[15])
            cols["housing_code"][i] = HOUSING_CODES.get(row[16], 0)
            cols["safe_water"][i] = bool(row[17])
            cols["has_facts"][i] = True

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
        members = cursor.fetchall()

    if members:
        m = len(members)
        idx = np.fromiter((index_of[r[0]] for r in members), dtype=np.int64, count=m)
        births = np.fromiter((_yyyymmdd(r[2]) for r in members), dtype=np.int64, count=m)
        ages = _age_on(births, on)
        health = np.fromiter((HEALTH_CODES.get(r[3] or "healthy", 0) for r in members), dtype=np.int8, count=m)
        grade = np.fromiter((r[4] or 0 for r in members), dtype=np.int8, count=m)
        adl = np.fromiter((r[5] or 0 for r in members), dtype=np.int8, count=m)
        labour = np.fromiter((LABOUR_CODES.get(r[6] or "full", 0) for r in members), dtype=np.int8, count=m)
        employment = np.array([r[7] or "" for r in members])
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
        cols["unemployed_able_members"] = count(able & (employment == "unemployed"))
        cols["students"] = count(employment == "student")
        max_adl = np.zeros(n, dtype=np.int64)
        np.maximum.at(max_adl, idx, adl.astype(np.int64))
        cols["max_adl_failed"] = max_adl
        person_age = {r[1]: int(a) for r, a in zip(members, ages, strict=True)}
        cols["head_age"] = np.array([person_age.get(head_of[int(h)], 0) for h in hh_ids], dtype=np.int64)

    size = cols["household_size"]
    # A net loss counts as no income for the per-capita figure.
    cols["per_capita_income"] = _divide_half_up(np.maximum(cols["monthly_income"], 0), size)
    cols["per_capita_financial_assets"] = _divide_half_up(cols["financial_assets"], size)
    cols["annual_income"] = cols["monthly_income"] * 12
    codes = np.array([r[1] for r in households])
    return FactFrame(on=on, household_ids=hh_ids, region_codes=codes, columns=cols)
