"""Screening: every item of the catalogue for every household of a frame, vectorised.

``screen(frame, items)`` applies each item's current rules to all households at once with
the vectorised evaluator; the outcome agrees with ``item_evaluate`` household by household
(same fixed-point arithmetic, same rounding, same refusals: errors, negative and
over-ceiling benefits). ``screen_region`` reads the registry frame of a region, screens it
and stores the eligible (household, item) pairs in ``ScreeningHit`` — the table the cases
app's "missed" check reads through ``selectors.screening_hits``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import Forbidden
from dajiuzhu.core.scoping import region_in_scope
from dajiuzhu.registry.facts import FactFrame, household_frame

from .evaluation import TIER_FACT_OF, CompiledItem, compiled
from .facts import APPLICANT_DEFAULTS, EVENT_DEFAULTS, add_applicant_columns
from .models import AssistanceItem, ScreeningHit, ScreeningRun, Standard
from .rules.language import SCALE, SCALE_PLACES, fact_kinds
from .rules.vector import LIMIT_UNITS, VectorEvaluator, _round_div
from .selectors import area_of

# The derived facts a frame may lack (a synthetic frame): zero / false.
FRAME_DERIVED_DEFAULTS = {**{k: (v if isinstance(v, bool) else 0) for k, v in EVENT_DEFAULTS.items()},
                          "applicant_able_supporters": 0}


@dataclasses.dataclass
class ScreeningResult:
    """Per item (by code): ``eligible`` (bool per household) and ``amount_fen`` (int64, 0 where not eligible)."""

    on: dt.date
    household_ids: np.ndarray
    region_codes: np.ndarray
    items: list[str]
    eligible: dict[str, np.ndarray]
    amount_fen: dict[str, np.ndarray]
    has_amount: dict[str, bool]
    errors: dict[str, np.ndarray]
    rule_version_ids: dict[str, int]

    def __len__(self) -> int:
        return len(self.household_ids)

    def eligible_count(self) -> dict[str, int]:
        return {code: int(mask.sum()) for code, mask in self.eligible.items()}

    def amount(self, code: str, index: int) -> Decimal | None:
        if not self.has_amount[code] or not self.eligible[code][index]:
            return None
        return (Decimal(int(self.amount_fen[code][index])) / 100).quantize(Decimal("0.01"))


def frame_columns(frame: FactFrame) -> dict[str, np.ndarray]:
    """The frame's facts as rule numbers (int64 units of 0.0001) and booleans, with range-error masks."""
    kinds = fact_kinds()
    n = len(frame)
    cols: dict[str, np.ndarray] = {}
    source = dict(frame.columns)
    for name, default in {**APPLICANT_DEFAULTS, **FRAME_DERIVED_DEFAULTS}.items():
        if name not in source:
            source[name] = np.full(n, default, dtype=bool if isinstance(default, bool) else np.int64)
    for name, values in source.items():
        kind = kinds.get(name)
        if kind is None:
            continue
        if kind == "bool":
            cols[name] = np.asarray(values, dtype=bool)
            continue
        values = np.asarray(values, dtype=np.int64)
        factor = SCALE // 100 if kind == "money" else SCALE
        limit = LIMIT_UNITS // factor
        bad = np.abs(values) > limit
        if bad.any():
            cols[f"!{name}"] = bad
            values = np.where(bad, 0, values)
        cols[name] = values * factor
    return cols


def standard_columns(frame: FactFrame, names: Iterable[str], overrides: dict | None = None,
                     ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per household the value of each standard (rule units) for its county, area and the frame's year;
    ``overrides``: {(county, area): {name: amount}} in place of the stored values (a simulation)."""
    names = set(names)
    n = len(frame)
    values = {name: np.zeros(n, dtype=np.int64) for name in names}
    missing = {name: np.zeros(n, dtype=bool) for name in names}
    if not n or not names:
        return values, {}
    codes, inverse = np.unique(frame.region_codes.astype(str), return_inverse=True)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, code in enumerate(codes):
        groups.setdefault((code[:6], area_of(code)), []).append(i)
    for (county, area), code_indexes in groups.items():
        rows = (Standard.objects.filter(county_code=county, area=area, year__lte=frame.on.year, name__in=names)
                .order_by("name", "-year").values_list("name", "amount"))
        found: dict[str, Decimal] = {}
        for name, amount in rows:
            found.setdefault(name, amount)
        found.update((overrides or {}).get((county, area), {}))
        mask = np.isin(inverse, code_indexes)
        for name in names:
            if name in found:
                values[name][mask] = int(found[name] * SCALE)
            else:
                missing[name][mask] = True
    return values, {name: m for name, m in missing.items() if m.any()}


def _amount_fen(units: np.ndarray) -> np.ndarray:
    places = settings.MONEY_PLACES
    step = 10 ** (SCALE_PLACES - places)
    return _round_div(units, step) * 10 ** (2 - places) if places <= 2 else _round_div(units, 100)


def screen(frame: FactFrame, items, *, tier_items=None, standard_overrides: dict | None = None,
           columns: dict | None = None) -> ScreeningResult:
    """Evaluate every item for every household of ``frame`` (vectorised). ``standard_overrides``: see
    ``standard_columns``; ``columns``: the frame's ``frame_columns`` when the caller already made them."""
    compiled_items: list[CompiledItem] = [i if isinstance(i, CompiledItem) else compiled(i) for i in items]
    if tier_items is None:
        tier_items = [compiled(i) for i in AssistanceItem.objects.select_related("current_version")
                      .filter(active=True, current_version__isnull=False).exclude(tier="")]
    else:
        tier_items = [i if isinstance(i, CompiledItem) else compiled(i) for i in tier_items]
    n = len(frame)
    columns = dict(columns) if columns is not None else frame_columns(frame)
    std_names: set[str] = set()
    for item in [*compiled_items, *tier_items]:
        std_names |= item.eligibility.standards | (item.benefit.standards if item.benefit else set())
    standards, std_missing = standard_columns(frame, std_names, standard_overrides)

    # Tier facts not in the frame are derived from the tier items, as item_evaluate does.
    for tier, fact in TIER_FACT_OF.items():
        if fact in columns:
            continue
        value = np.zeros(n, dtype=bool)
        for item in tier_items:
            if item.tier != tier:
                continue
            evaluator = VectorEvaluator(n=n, columns=columns, standards=standards, standard_missing=std_missing,
                                        params=item.params)
            elig, err = evaluator.run(item.eligibility)
            value |= elig if err is None else (elig & ~err)
        columns[fact] = value

    result = ScreeningResult(on=frame.on, household_ids=frame.household_ids, region_codes=frame.region_codes,
                             items=[], eligible={}, amount_fen={}, has_amount={}, errors={}, rule_version_ids={})
    for item in compiled_items:
        evaluator = VectorEvaluator(n=n, columns=columns, standards=standards, standard_missing=std_missing,
                                    params=item.params)
        elig, err = evaluator.run(item.eligibility)
        errors = err if err is not None else np.zeros(n, dtype=bool)
        eligible = elig & ~errors
        amount = np.zeros(n, dtype=np.int64)
        if item.benefit is not None:
            units, berr = evaluator.run(item.benefit)
            if berr is not None:
                errors = errors | (eligible & berr)
                eligible = eligible & ~berr
            fen = _amount_fen(units)
            eligible &= fen >= 0
            if item.ceiling is not None:
                ceiling_fen = int(_amount_fen(np.array([int(item.ceiling * SCALE)], dtype=np.int64))[0])
                if item.cap_at_ceiling:
                    fen = np.minimum(fen, ceiling_fen)
                else:
                    eligible &= fen <= ceiling_fen
            amount = np.where(eligible, fen, 0)
        result.items.append(item.code)
        result.eligible[item.code] = eligible
        result.amount_fen[item.code] = amount
        result.has_amount[item.code] = item.benefit is not None
        result.errors[item.code] = errors
        result.rule_version_ids[item.code] = item.version_id
    return result


def screening_frame(*, on: dt.date, region_prefix: str) -> FactFrame:
    """The registry frame of a region with the applicant columns (the head as applicant)."""
    return add_applicant_columns(household_frame(on=on, region_prefix=region_prefix), region_prefix=region_prefix)


@transaction.atomic
def screening_store(*, actor, result: ScreeningResult, region_prefix: str, seconds: float = 0.0,
                    job_id=None) -> ScreeningRun:
    """Replace the stored results of the region's households by ``result``'s eligible pairs (audited)."""
    items = dict(AssistanceItem.objects.filter(code__in=result.items).values_list("code", "pk"))
    run = ScreeningRun.objects.create(job_id=job_id, region_prefix=region_prefix, on=result.on,
                                      households=len(result),
                                      created_by=actor if getattr(actor, "is_authenticated", False) else None)
    table = ScreeningHit._meta.db_table
    if connection.vendor == "postgresql" and not ScreeningHit.objects.exclude(
            region_code__startswith=region_prefix).exists():
        # The region holds every stored row (one county per deployment): TRUNCATE leaves no dead rows
        # behind, so repeated screenings do not bloat the table (readers wait for the commit).
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table}")
    else:
        ScreeningHit.objects.filter(region_code__startswith=region_prefix).delete()
    rows = _hit_rows(result, items)
    if connection.vendor == "postgresql":
        columns = "run_id, household_id, region_code, item_id, amount, screened_on"
        day = result.on.isoformat()
        null = "\\N"  # COPY's text format for a missing value
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {table} ({columns}) FROM STDIN") as copy:
            for start in range(0, len(rows), 50000):
                text = "".join(
                    f"{run.pk}\t{h}\t{r}\t{i}\t{null if a is None else a}\t{day}\n"
                    for h, r, i, a in rows[start:start + 50000])
                copy.write(text.encode())
    else:
        ScreeningHit.objects.bulk_create(
            (ScreeningHit(run=run, household_id=h, region_code=r, item_id=i, amount=a, screened_on=result.on)
             for h, r, i, a in rows), batch_size=5000)
    run.hits = len(rows)
    run.seconds = seconds
    run.save(update_fields=["hits", "seconds"])
    audit_record(actor=actor, action="programs.screening.store", obj=run, region_code=region_prefix.ljust(12, "0"),
                 new={"households": run.households, "hits": run.hits, "on": result.on,
                      "eligible": result.eligible_count(), "job": job_id})
    return run


def _hit_rows(result: ScreeningResult, items: dict[str, int]) -> list[tuple]:
    """(household_id, region_code, item_id, amount or None) of every eligible pair."""
    rows: list[tuple] = []
    for code in result.items:
        indexes = np.flatnonzero(result.eligible[code])
        if not len(indexes):
            continue
        ids = result.household_ids[indexes].tolist()
        codes = result.region_codes[indexes].tolist()
        if result.has_amount[code]:
            amounts = [Decimal(int(f)).scaleb(-2) for f in result.amount_fen[code][indexes].tolist()]
        else:
            amounts = [None] * len(indexes)
        item_id = items[code]
        rows.extend(zip(ids, map(str, codes), [item_id] * len(indexes), amounts, strict=True))
    return rows


def screen_region(*, actor, region_prefix: str, on: dt.date, job_id=None) -> ScreeningRun:
    """Screen every household of ``region_prefix`` against every active, proactive item and store the results."""
    if actor is not None and not region_in_scope(actor, region_prefix.ljust(12, "0"), perm="programs.view_results"):
        raise Forbidden("region outside the jurisdiction")
    started = time.perf_counter()
    frame = screening_frame(on=on, region_prefix=region_prefix)
    items = list(AssistanceItem.objects.select_related("current_version").filter(
        active=True, proactive=True, current_version__isnull=False))
    result = screen(frame, items)
    return screening_store(actor=actor, result=result, region_prefix=region_prefix,
                           seconds=time.perf_counter() - started, job_id=job_id)


def frame_row(frame: FactFrame, index: int) -> dict:
    """One household's facts from a frame as ``item_evaluate`` takes them (Decimal yuan, ints, bools)."""
    kinds = fact_kinds()
    out: dict[str, object] = {}
    for name, values in frame.columns.items():
        kind = kinds.get(name)
        if kind is None:
            continue
        value = values[index].item()
        if kind == "money":
            out[name] = (Decimal(int(value)) / 100).quantize(Decimal("0.01"))
        elif kind == "bool":
            out[name] = bool(value)
        else:
            out[name] = int(value)
    for name, default in {**APPLICANT_DEFAULTS, **EVENT_DEFAULTS, "applicant_able_supporters": 0}.items():
        out.setdefault(name, default)
    return out


