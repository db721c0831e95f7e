"""Writes of the indices app: index models (draft, activate) and the bulk score computation."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.registry.facts import FactFrame, household_frame

from .bulk import CONFLICT_ERRORS, Same, copy_columns, lock_region, references_checked
from .catalogue import fact_risk_types
from .config import config_problems, default_config
from .engine import Scored, score_development, score_hardship
from .models import IndexKind, IndexModel, IndexScore
from .standards import standards_for


def _require(actor, perm: str) -> None:
    if actor is not None and not (getattr(actor, "is_authenticated", False) and actor.has_perm_code(perm)):
        raise Forbidden(_("you may not do this"))


@transaction.atomic
def index_models_bootstrap() -> dict[str, IndexModel]:
    """Version 1 of each kind from the defaults, if the kind has no active model yet (audited)."""
    out = {}
    for kind in IndexKind.values:
        model = IndexModel.objects.filter(kind=kind, status=IndexModel.Status.ACTIVE).first()
        if model is None:
            version = (IndexModel.objects.filter(kind=kind).order_by("-version").values_list("version", flat=True)
                       .first() or 0) + 1
            model = IndexModel.objects.create(kind=kind, version=version, status=IndexModel.Status.ACTIVE,
                                              config=default_config(kind), note="default",
                                              activated_at=timezone.now())
            audit_record(actor=None, action="indices.model.activate", obj=model,
                         new={"kind": kind, "version": version, "default": True})
        out[kind] = model
    return out


def active_model(kind: str) -> IndexModel:
    model = IndexModel.objects.filter(kind=kind, status=IndexModel.Status.ACTIVE).first()
    return model or index_models_bootstrap()[kind]


@transaction.atomic
def index_model_draft_save(*, actor, kind: str, config: dict, note: str = "") -> IndexModel:
    """Create or replace the draft of ``kind`` (a draft may still have problems; activation checks)."""
    _require(actor, "indices.edit")
    if kind not in IndexKind.values:
        raise DomainError(_("unknown index kind %(kind)s") % {"kind": kind}, field="kind")
    if not isinstance(config, dict):
        raise DomainError(_("the model must be a JSON object"), field="config")
    draft = IndexModel.objects.select_for_update().filter(kind=kind, status=IndexModel.Status.DRAFT).first()
    user = actor if getattr(actor, "is_authenticated", False) else None
    if draft is None:
        version = (IndexModel.objects.filter(kind=kind).order_by("-version").values_list("version", flat=True)
                   .first() or 0) + 1
        draft = IndexModel.objects.create(kind=kind, version=version, config=config, note=note, created_by=user)
        old = None
    else:
        old = {"config": draft.config, "note": draft.note}
        draft.config, draft.note = config, note
        draft.save(update_fields=["config", "note"])
    audit_record(actor=actor, action="indices.model.draft", obj=draft, old=old,
                 new={"kind": kind, "version": draft.version, "config": config, "note": note})
    return draft


@transaction.atomic
def index_model_activate(*, actor, model: IndexModel) -> IndexModel:
    """Make a draft the active version; refuses (changing nothing) a model with any problem."""
    _require(actor, "indices.edit")
    model = IndexModel.objects.select_for_update().get(pk=model.pk)
    if model.status != IndexModel.Status.DRAFT:
        raise DomainError(_("only a draft can be activated"), field="status")
    problems = config_problems(model.kind, model.config)
    if problems:
        raise DomainError("; ".join(problems), field="config", details={"problems": problems})
    previous = IndexModel.objects.select_for_update().filter(kind=model.kind, status=IndexModel.Status.ACTIVE).first()
    if previous:
        previous.status = IndexModel.Status.RETIRED
        previous.save(update_fields=["status"])
    model.status = IndexModel.Status.ACTIVE
    model.activated_at = timezone.now()
    model.activated_by = actor if getattr(actor, "is_authenticated", False) else None
    model.save(update_fields=["status", "activated_at", "activated_by"])
    audit_record(actor=actor, action="indices.model.activate", obj=model,
                 old={"active_version": previous.version if previous else None},
                 new={"kind": model.kind, "version": model.version})
    return model


# ---------------------------------------------------------------------------------- scores

_PART_TEXT = np.array([repr(round(i / 10000, 4)) if i % 10000 else str(i // 10000) for i in range(10001)] + ["null"],
                      dtype=object)


def _json_rows(parts: np.ndarray) -> list[str]:
    """Each row of an n × J matrix of values in [0, 1] as a JSON list (nan → null), 4 decimals.

    The numbers come from a lookup table indexed by the rounded value (numpy); only the final
    join of each row's texts is per row (it feeds the per-row COPY anyway)."""
    if parts.shape[0] == 0:
        return []
    index = np.where(np.isnan(parts), 10001, np.rint(np.clip(np.nan_to_num(parts), 0, 1) * 10000)).astype(np.int64)
    return ["[" + ",".join(row) + "]" for row in _PART_TEXT[index].tolist()]


def _risk_strings(frame: FactFrame) -> list[str]:
    """The risk types of each household, comma-separated in catalogue order (one string per
    combination of flags, looked up with numpy)."""
    flags = fact_risk_types(frame)
    names = list(flags)
    if not len(frame):
        return []
    key = np.zeros(len(frame), dtype=object if len(names) > 62 else np.int64)
    for bit, name in enumerate(names):
        key = key + np.asarray(flags[name], dtype=bool).astype(np.int64) * (1 << bit)
    combinations, inverse = np.unique(key, return_inverse=True)
    texts = np.array([",".join(name for bit, name in enumerate(names) if int(k) >> bit & 1) for k in combinations],
                     dtype=object)
    return texts[inverse.reshape(-1)].tolist()


SCORE_COLUMNS = ("household_id", "region_code", "on", "household_size", "hardship_model_id", "hardship",
                 "hardship_band", "hardship_coverage", "poor", "hardship_parts", "development_model_id",
                 "development", "development_band", "development_coverage", "development_parts", "risk_types")


def _score_columns(frame: FactFrame, hard: Scored, dev: Scored, hmodel: IndexModel, dmodel: IndexModel) -> dict:
    """The rows to store, column by column (numpy arrays, lists, ``Same`` values; see ``bulk.column_texts``)."""
    hbands = [b["code"] for b in hmodel.config["bands"]] + [""]
    dbands = [b["code"] for b in dmodel.config["bands"]] + [""]
    hb = np.array(hbands, dtype=object)[hard.band_index]  # -1 picks the trailing ""
    db = np.array(dbands, dtype=object)[dev.band_index]
    values = [
        frame.household_ids, frame.region_codes.tolist(), Same(frame.on), frame.columns["household_size"],
        Same(hmodel.pk), hard.score, hb.tolist(), hard.coverage, hard.poor, _json_rows(hard.parts), Same(dmodel.pk),
        dev.score, db.tolist(), dev.coverage, _json_rows(dev.parts), _risk_strings(frame),
    ]
    return dict(zip(SCORE_COLUMNS, values, strict=True))


def _score_rows(frame: FactFrame, hard: Scored, dev: Scored, hmodel: IndexModel, dmodel: IndexModel):
    """The same rows as tuples (a nan score is None)."""
    n = len(frame)
    columns = _score_columns(frame, hard, dev, hmodel, dmodel)
    for name in ("hardship", "development"):
        columns[name] = np.where(np.isnan(columns[name]), None, columns[name]).astype(object)
    lists = [[v.value] * n if isinstance(v, Same) else (v.tolist() if isinstance(v, np.ndarray) else v)
             for v in columns.values()]
    return list(zip(*lists))


def _write_postgres(columns: dict, n: int) -> None:
    """COPY into a temporary table, then one upsert on (household, on)."""
    cols = ", ".join(f'"{c}"' for c in SCORE_COLUMNS)
    changing = [c for c in SCORE_COLUMNS if c not in ("household_id", "on")]
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in changing)
    # A re-run with the same values writes nothing (no new row versions).
    differs = (f"({', '.join(f'indices_indexscore.{chr(34)}{c}{chr(34)}' for c in changing)}) IS DISTINCT FROM "
               f"({', '.join(f'EXCLUDED.{chr(34)}{c}{chr(34)}' for c in changing)})")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS indices_score_load (LIKE indices_indexscore) ON COMMIT DROP")
        cursor.execute("ALTER TABLE indices_score_load ALTER COLUMN id DROP NOT NULL")
        copy_columns("indices_score_load", columns, n)
        with references_checked(IndexScore, columns, n):
            cursor.execute(
                f"INSERT INTO indices_indexscore ({cols}) SELECT {cols} FROM indices_score_load "
                f'ON CONFLICT (household_id, "on") DO UPDATE SET {updates} WHERE {differs}'
            )
        cursor.execute("DROP TABLE indices_score_load")


def _copy_new(columns: dict, n: int) -> bool:
    """COPY rows that should all be new; False (nothing written) if any already exists."""
    try:
        with transaction.atomic(), references_checked(IndexScore, columns, n):
            copy_columns("indices_indexscore", columns, n)
    except CONFLICT_ERRORS:
        return False
    return True


def _write_sqlite(rows) -> None:
    """One multi-row upsert statement per batch (SQLite ≥ 3.24)."""
    cols = ", ".join(f'"{c}"' for c in SCORE_COLUMNS)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in SCORE_COLUMNS if c not in ("household_id", "on"))
    sql = (f"INSERT INTO indices_indexscore ({cols}) VALUES ({', '.join(['%s'] * len(SCORE_COLUMNS))}) "
           f'ON CONFLICT (household_id, "on") DO UPDATE SET {updates}')
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*row[:2], row[2].isoformat(), *row[3:]) for row in rows])


def _write_orm(rows) -> None:
    objects = []
    for row in rows:
        values = dict(zip(SCORE_COLUMNS, row))
        values["hardship_parts"] = json.loads(values["hardship_parts"])
        values["development_parts"] = json.loads(values["development_parts"])
        objects.append(IndexScore(**values))
    IndexScore.objects.bulk_create(
        objects, batch_size=2000, update_conflicts=True, unique_fields=["household", "on"],
        update_fields=[c.removesuffix("_id") for c in SCORE_COLUMNS if c not in ("household_id", "on")],
    )


def score_frame(frame: FactFrame, *, hardship: IndexModel, development: IndexModel) -> tuple[Scored, Scored]:
    standards = standards_for(on=frame.on, region_codes=frame.region_codes, is_urban=frame.columns["is_urban"])
    return (score_hardship(frame, standards, hardship.config), score_development(frame, standards, development.config))


@transaction.atomic
def index_scores_compute(*, on: dt.date, region_prefix: str = "", actor=None, frame: FactFrame | None = None) -> dict:
    """Both indices for every household under ``region_prefix`` on ``on``, stored (upsert per household and date).

    Re-running for the same date and models writes the same values (idempotent).
    """
    _require(actor, "indices.run")
    hmodel, dmodel = active_model(IndexKind.HARDSHIP), active_model(IndexKind.DEVELOPMENT)
    frame = frame if frame is not None else household_frame(on=on, region_prefix=region_prefix)
    if not len(frame):
        return {"households": 0}
    hard, dev = score_frame(frame, hardship=hmodel, development=dmodel)
    lock_region(region_prefix)
    if connection.vendor == "postgresql":
        columns = _score_columns(frame, hard, dev, hmodel, dmodel)
        first = not IndexScore.objects.filter(on=on, region_code__startswith=region_prefix).exists()
        # A first computation of this date for the region: one straight COPY (a household moved in and
        # already scored today under its old region is a conflict: then the upsert path).
        if not (first and _copy_new(columns, len(frame))):
            _write_postgres(columns, len(frame))
    elif connection.vendor == "sqlite":
        _write_sqlite(_score_rows(frame, hard, dev, hmodel, dmodel))
    else:
        _write_orm(_score_rows(frame, hard, dev, hmodel, dmodel))
    counts = {
        "households": len(frame), "poor": int(hard.poor.sum()),
        "without_facts": int((~frame.columns["has_facts"].astype(bool)).sum()),
        "hardship_version": hmodel.version, "development_version": dmodel.version,
    }
    audit_record(actor=actor, action="indices.compute", object_type="indices.indexscore", object_id=on.isoformat(),
                 region_code=region_prefix, new={"on": on, **counts})
    return counts
