"""Handler evaluation (经办人考评) per handler, township and month, and the ranking.

Every figure is read set-based: the cases' grouped selectors (applications, trust-first outcomes,
appeals, step timeline) and this app's own tables, grouped by handler and township in SQL; step
times go through numpy. The ranking's formula is versioned data (``FormulaVersion``):

    score = 100 × Σ wᵢ · nᵢ / Σ wᵢ

where nᵢ is indicator i normalised over the rows ranked together (the handlers of one township, or
the townships of one county): (x − min) / (max − min) for an indicator where more is better, (max − x)
/ (max − min) where less is better, 1 when all rows are equal; a handler without data for an
indicator (no trust-first decision, no rating) gets 0.5 for it.
"""

from __future__ import annotations

import calendar as pycal
import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.db.models import Avg, Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dajiuzhu.accounts.models import User
from dajiuzhu.cases import selectors as case_selectors
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError

from .models import Attendance, Complaint, FormulaVersion, OverdueStep, Rating, SpotCheck, Step, ToleranceRecord
from .policies import county_of
from .timelimits import step_durations

# indicator: (label, more is better)
INDICATORS = {
    "handled": (gettext_lazy("applications handled"), True),
    "on_time": (gettext_lazy("share of steps within their limit"), True),
    "overdue": (gettext_lazy("overdue steps"), False),
    "confirmed": (gettext_lazy("share of trust-first decisions confirmed"), True),
    "revoked": (gettext_lazy("share of trust-first decisions revoked"), False),
    "appeals": (gettext_lazy("appeals upheld"), False),
    "complaints": (gettext_lazy("complaints"), False),
    "spot_differences": (gettext_lazy("spot checks that found a difference"), False),
    "satisfaction": (gettext_lazy("residents' satisfaction"), True),
    "training": (gettext_lazy("training hours"), True),
}
DEFAULT_WEIGHTS = {"handled": 10, "on_time": 20, "overdue": 10, "confirmed": 15, "revoked": 10, "appeals": 5,
                   "complaints": 5, "spot_differences": 5, "satisfaction": 10, "training": 10}


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first = month.replace(day=1)
    last = first.replace(day=pycal.monthrange(first.year, first.month)[1]) + dt.timedelta(days=1)
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(first, dt.time.min, tzinfo=tz), dt.datetime.combine(last, dt.time.min, tzinfo=tz))


def current_formula(county_code: str) -> FormulaVersion:
    found = FormulaVersion.objects.filter(county_code=county_code[:6]).order_by("-version").first()
    return found or FormulaVersion(county_code=county_code[:6], version=0, weights=dict(DEFAULT_WEIGHTS),
                                   note=_("the platform's default weights"))


@transaction.atomic
def formula_set(*, actor, weights: dict, note: str = "") -> FormulaVersion:
    """A new version of the county's ranking weights; refuses unknown indicators, negative or all-zero weights."""
    county = county_of(actor)
    clean = {}
    for key, value in (weights or {}).items():
        if key not in INDICATORS:
            raise DomainError(_("unknown indicator %(k)s") % {"k": key}, field=key)
        try:
            number = Decimal(str(value))
        except Exception:  # noqa: BLE001 - any unparsable value is the same refusal
            raise DomainError(_("the weight of %(k)s is not a number") % {"k": INDICATORS[key][0]}, field=key) from None
        if number < 0 or number > 1000:
            raise DomainError(_("the weight of %(k)s must be between 0 and 1000") % {"k": INDICATORS[key][0]},
                              field=key)
        clean[key] = float(number)
    if not any(clean.values()):
        raise DomainError(_("at least one weight must be above zero"), field="weights")
    version = (FormulaVersion.objects.select_for_update().filter(county_code=county)
               .order_by("-version").values_list("version", flat=True).first() or 0) + 1
    formula = FormulaVersion.objects.create(county_code=county, version=version, weights=clean, note=note,
                                            created_by=actor)
    audit_record(actor=actor, action="supervision.formula_set", obj=formula, region_code=county,
                 new={"version": version, "weights": clean, "note": note})
    return formula


@dataclasses.dataclass
class Row:
    key: str  # handler id or township code
    name: str
    township: str
    figures: dict
    score: float = 0.0
    rank: int = 0


def _collect(prefix: str, since, until) -> dict[int, dict]:
    """Raw figures per handler id (the handler's township is their own region's)."""
    rows: dict[int, dict] = defaultdict(lambda: defaultdict(float))

    for r in case_selectors.applications_by_handler(region_prefix=prefix, since=since, until=until):
        rows[r["handler"] or 0]["handled"] += r["n"]
    excused = ToleranceRecord.objects.values("revocation_id")
    for r in case_selectors.trust_first_outcomes(region_prefix=prefix, since=since, until=until,
                                                 excused_revocations=excused):
        f = rows[r["handler"] or 0]
        for k in ("decided", "confirmed", "adjusted", "revoked", "excused"):
            f[f"tf_{k}"] += r[k]
    for r in case_selectors.appeals_upheld(region_prefix=prefix, since=since, until=until):
        rows[r["handler"] or 0]["appeals"] += r["n"]
    for r in (Complaint.objects.filter(lodged_at__gte=since, lodged_at__lt=until, region_code__startswith=prefix,
                                       subject_handler__isnull=False)
              .values("subject_handler_id", "subject_handler__region_id").annotate(n=Count("id")).order_by()):
        rows[r["subject_handler_id"]]["complaints"] += r["n"]
    for r in (SpotCheck.objects.filter(recorded_at__gte=since, recorded_at__lt=until, region_code__startswith=prefix,
                                       outcome=SpotCheck.Outcome.DIFFERS, handler__isnull=False)
              .values("handler_id", "handler__region_id").annotate(n=Count("id")).order_by()):
        rows[r["handler_id"]]["spot_differences"] += r["n"]
    for r in (Rating.objects.filter(at__gte=since, at__lt=until, region_code__startswith=prefix,
                                    handler__isnull=False)
              .values("handler_id", "handler__region_id").annotate(avg=Avg("score"), n=Count("id")).order_by()):
        f = rows[r["handler_id"]]
        f["rating_sum"] += float(r["avg"]) * r["n"]
        f["ratings"] += r["n"]
    for r in (Attendance.objects.filter(on__gte=since.date(), on__lt=until.date(), region_code__startswith=prefix)
              .values("user_id", "region_code").annotate(h=Sum("hours")).order_by()):
        rows[r["user_id"]]["training"] += float(r["h"])
    for r in (OverdueStep.objects.filter(found_on__gte=since.date(), found_on__lt=until.date(),
                                         region_code__startswith=prefix, handler__isnull=False)
              .values("handler_id", "township_code").annotate(n=Count("id")).order_by()):
        rows[r["handler_id"]]["overdue_found"] += r["n"]
    steps = step_durations(region_prefix=prefix, since=since, until=until)
    if len(steps["days"]):
        keys = np.asarray([f"{h}|{t}" for h, t in zip(steps["handler"].tolist(), steps["township"].tolist(),
                                                        strict=True)])
        for key in np.unique(keys):
            handler, township = key.split("|")
            mask = keys == key
            f = rows[int(handler)]
            f["steps"] += int(mask.sum())
            f["steps_late"] += int(steps["overdue"][mask].sum())
            for step in Step.values:
                sel = mask & (steps["step"] == step)
                if sel.any():
                    f.setdefault("step_days", {})[step] = steps["days"][sel].tolist()
    rows.pop(0, None)
    return rows


def _indicators(f: dict) -> dict:
    decided = f.get("tf_decided", 0)
    steps = f.get("steps", 0)
    return {
        "handled": f.get("handled", 0),
        "on_time": (1 - f.get("steps_late", 0) / steps) if steps else None,
        "overdue": f.get("overdue_found", 0) + f.get("steps_late", 0),
        "confirmed": (f.get("tf_confirmed", 0) / decided) if decided else None,
        "revoked": (f.get("tf_revoked", 0) / decided) if decided else None,
        "appeals": f.get("appeals", 0),
        "complaints": f.get("complaints", 0),
        "spot_differences": f.get("spot_differences", 0),
        "satisfaction": (f["rating_sum"] / f["ratings"]) if f.get("ratings") else None,
        "training": f.get("training", 0),
    }


def _step_stats(days_by_step: dict) -> dict:
    out = {}
    for step, days in (days_by_step or {}).items():
        arr = np.asarray(days, dtype=float)
        out[step] = {"n": len(arr), "avg": round(float(arr.mean()), 1),
                     "p90": round(float(np.percentile(arr, 90, method="higher")), 1)}
    return out


def score_rows(rows: list[Row], weights: dict) -> list[Row]:
    """Normalise each indicator over ``rows`` and rank them by the weighted score (ties share a rank)."""
    total = sum(float(w) for w in weights.values()) or 1.0
    for row in rows:
        row.score = 0.0
    for key, (_label, better) in INDICATORS.items():
        weight = float(weights.get(key, 0))
        if not weight:
            continue
        values = [row.figures["indicators"][key] for row in rows if row.figures["indicators"][key] is not None]
        lo, hi = (min(values), max(values)) if values else (0, 0)
        for row in rows:
            x = row.figures["indicators"][key]
            if x is None:
                n = 0.5
            elif hi == lo:
                n = 1.0
            else:
                n = (x - lo) / (hi - lo) if better else (hi - x) / (hi - lo)
            row.score += weight * n
    for row in rows:
        row.score = round(100 * row.score / total, 1)
    rows.sort(key=lambda r: (-r.score, r.name))
    previous, rank = None, 0
    for i, row in enumerate(rows, 1):
        if row.score != previous:
            rank, previous = i, row.score
        row.rank = rank
    return rows


def evaluate(*, region_prefix: str, month: dt.date) -> dict:
    """The month's figures and rankings under ``region_prefix`` (a county or a township): per handler (ranked
    within their township) and per township (ranked within the county)."""
    since, until = month_bounds(month)
    raw = _collect(region_prefix, since, until)
    formula = current_formula(region_prefix[:6]) if len(region_prefix) >= 6 else FormulaVersion(
        version=0, weights=dict(DEFAULT_WEIGHTS))
    users = {u.pk: u for u in User.objects.filter(pk__in=list(raw)).only("id", "full_name", "username", "region_id")}
    from dajiuzhu.regions.models import Region

    def town(handler: int) -> str:
        user = users.get(handler)
        return (user.region_id[:9] + "000") if user else ""

    names = dict(Region.objects.filter(code__in={town(h) for h in raw}).values_list("code", "name"))
    handlers: dict[str, list[Row]] = defaultdict(list)
    towns: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    for handler, f in raw.items():
        township = town(handler)
        figures = {k: v for k, v in f.items() if k != "step_days"}
        figures["indicators"] = _indicators(f)
        figures["steps_by_step"] = _step_stats(f.get("step_days"))
        user = users.get(handler)
        handlers[township].append(Row(key=str(handler), name=user.display_name if user else "—",
                                      township=names.get(township, township), figures=figures))
        agg = towns[township]
        for k, v in f.items():
            if k == "step_days":
                merged = agg.setdefault("step_days", {})
                for step, days in v.items():
                    merged.setdefault(step, []).extend(days)
            else:
                agg[k] += v
    handler_rows = []
    for rows in handlers.values():
        handler_rows += score_rows(rows, formula.weights)
    township_rows = [Row(key=code, name=names.get(code, code), township=names.get(code, code),
                         figures={**{k: v for k, v in f.items() if k != "step_days"}, "indicators": _indicators(f),
                                  "steps_by_step": _step_stats(f.get("step_days"))})
                     for code, f in towns.items()]
    score_rows(township_rows, formula.weights)
    handler_rows.sort(key=lambda r: (r.township, r.rank))
    return {"month": month.replace(day=1), "formula": formula, "handlers": handler_rows,
            "townships": township_rows}


CACHE_SECONDS = 900


def evaluate_cached(*, region_prefix: str, month: dt.date) -> dict:
    """``evaluate`` kept for 15 minutes per region, month and formula version (a county's month takes seconds
    to compute at a million people; the pages show it on every visit). A new formula version is seen at once."""
    from django.core.cache import cache

    version = current_formula(region_prefix[:6]).version if len(region_prefix) >= 6 else 0
    key = f"supervision:evaluation:{region_prefix}:{month:%Y-%m}:{version}"
    result = cache.get(key)
    if result is None:
        result = evaluate(region_prefix=region_prefix, month=month)
        cache.set(key, result, CACHE_SECONDS)
    return result


def indicator_label(key: str) -> str:
    return str(INDICATORS[key][0])


def evaluation_xlsx(result: dict) -> bytes:
    """The month's ranking as a workbook (townships, then handlers)."""
    from dajiuzhu.results.xlsx import list_to_xlsx

    def fmt(v):
        return "" if v is None else (round(v, 3) if isinstance(v, float) else v)

    step_cols = [Step.TOWNSHIP_REVIEW, Step.DECISION, Step.WHOLE]
    headers = [_("level"), _("township"), _("name"), _("rank"), _("score"),
               *[indicator_label(k) for k in INDICATORS],
               *[_("%(step)s: average / 90th percentile (working days)") % {"step": Step(s).label} for s in step_cols],
               _("trust-first decisions"), _("adjusted"), _("excused revocations (容错免责)")]
    rows = []
    for level, items in ((_("township"), result["townships"]), (_("handler"), result["handlers"])):
        for r in items:
            stats = r.figures["steps_by_step"]
            rows.append([level, r.township, r.name, r.rank, r.score,
                         *[fmt(r.figures["indicators"][k]) for k in INDICATORS],
                         *[(f"{stats[s]['avg']} / {stats[s]['p90']}" if s in stats else "") for s in step_cols],
                         int(r.figures.get("tf_decided", 0)), int(r.figures.get("tf_adjusted", 0)),
                         int(r.figures.get("tf_excused", 0))])
    return list_to_xlsx(title=f"{result['month']:%Y-%m}", headers=headers, rows=rows)


@transaction.atomic
def tolerance_record(*, actor, revocation_id: int, reason: str, note: str, department_code: str = ""
                     ) -> ToleranceRecord:
    """容错免责: record that a revocation was not the handler's error (not counted against them)."""
    from dajiuzhu.accounts.models import Department
    from dajiuzhu.cases.models import Revocation
    from dajiuzhu.core.scoping import get_scoped

    county_of(actor)
    revocation = get_scoped(Revocation.objects.select_related("case_item"), actor, perm="supervision.manage",
                            fields=("case_item__region_code",), pk=revocation_id)
    if reason not in dict(ToleranceRecord._meta.get_field("reason").choices):
        raise DomainError(_("choose the reason"), field="reason")
    note = (note or "").strip()
    if not note:
        raise DomainError(_("describe why the handler is not at fault"), field="note")
    department = None
    if reason == "late_data":
        department = Department.objects.filter(code=department_code).first()
        if department is None:
            raise DomainError(_("name the department whose data came late"), field="department")
    if ToleranceRecord.objects.filter(revocation=revocation).exists():
        raise DomainError(_("this revocation already has a tolerance record"), field="revocation")
    record = ToleranceRecord.objects.create(revocation=revocation, region_code=revocation.case_item.region_code,
                                            reason=reason, department=department, note=note, recorded_by=actor)
    audit_record(actor=actor, action="supervision.tolerance_record", obj=record,
                 region_code=record.region_code, new={"revocation": revocation.pk, "reason": reason, "note": note})
    return record
