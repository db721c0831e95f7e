"""The warning scan: every household of a region on a date, against the active rule set.

Signals that come from the facts (income, medical costs) are computed on whole
``household_frame`` columns (numpy); signals that come from events (deaths, new disability,
job loss, disasters, 低保 exits, refused applications) from a few indexed queries over the
lookback window. Only households with a signal are then handled one by one (a small share).
Re-running the scan for the same date changes nothing: each signal has a key and
``AlertSignal`` is unique per household, signal and key; an alert is unique per household and
scan date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.regioncodes import prefix_of
from dajiuzhu.indices.integration import model_ready
from dajiuzhu.indices.models import IndexScore, RosterEntry, RosterEvent, Tier
from dajiuzhu.indices.roster import _align, add_months, money_on
from dajiuzhu.registry.facts import FactFrame, fetch_columns, household_frame
from dajiuzhu.registry.models import HouseholdFacts, MemberFacts, Membership

from .models import LEVEL_RANK, Alert, AlertSignal, DisasterEvent, FollowUp
from .rules import COVERED_BY_ASSISTANCE, SIGNALS, params_of
from .services import active_ruleset, assignees_for, due_date

WORKING = {"employed", "self_employed", "farming"}


def _yuan(fen) -> int:
    return int(round(int(fen) / 100))


class _Frames:
    """The frame of the region at the scan date, and the household money facts some months before
    (``indices.roster.money_on``: one query each, no members; cached)."""

    def __init__(self, on: dt.date, region_prefix: str, frame: FactFrame | None = None):
        self.on, self.prefix = on, region_prefix
        self._now = frame
        self._before: dict[int, dict[str, np.ndarray]] = {}

    @property
    def now(self) -> FactFrame:
        if self._now is None:
            self._now = household_frame(on=self.on, region_prefix=self.prefix)
        return self._now

    def aligned(self, months: int, column: str) -> tuple[np.ndarray, np.ndarray]:
        """``column`` (monthly_income, annual_medical_expense or per_capita_income) ``months`` before,
        for the households of ``now``, and whether they had facts then. The per-capita figure then
        divides by the household's size now (the size then is not read, to keep this one query)."""
        if months not in self._before:
            self._before[months] = money_on(on=add_months(self.on, -months), region_prefix=self.prefix)
        before = self._before[months]
        source = "monthly_income" if column == "per_capita_income" else column
        values, found = _align(self.now.household_ids, before["ids"], before[source])
        if column == "per_capita_income":
            size = self.now.columns["household_size"]
            values = np.where(size > 0, (2 * np.maximum(values, 0) + size) // (2 * np.maximum(size, 1)), values)
        return values, found


def _frame_signals(frames: _Frames, config: dict, month_key: str, add) -> None:
    now = frames.now
    c = now.columns
    ids = now.household_ids
    has = c["has_facts"].astype(bool)
    pc_year = c["per_capita_income"] * 12  # fen

    p = params_of(config, "income_below_line")
    if p["enabled"]:
        line = np.where(c["is_urban"].astype(bool), int(p["urban_line"] * 100), int(p["rural_line"] * 100))
        before, found = frames.aligned(int(p["period_months"]), "per_capita_income")
        below = has & (line > 0) & (pc_year < line) & ~(found & (before * 12 < line))
        for i in np.flatnonzero(below):
            add(int(ids[i]), "income_below_line", month_key,
                {"income": _yuan(pc_year[i]), "line": _yuan(line[i])})

    p = params_of(config, "income_drop")
    if p["enabled"]:
        months = int(p["period_months"])
        before, found = frames.aligned(months, "monthly_income")
        after = c["monthly_income"]
        dropped = has & found & (before > 0) & (after * 100 < before * (100 - float(p["percent"])))
        for i in np.flatnonzero(dropped):
            percent = round(100 * (1 - after[i] / before[i]))
            add(int(ids[i]), "income_drop", month_key,
                {"percent": percent, "months": months, "before": _yuan(before[i]), "after": _yuan(after[i])})

    p = params_of(config, "medical_costs")
    if p["enabled"]:
        before, found = frames.aligned(1, "annual_medical_expense")
        increase = c["annual_medical_expense"] - before
        high = has & found & (increase >= int(p["monthly_threshold"] * 100))
        for i in np.flatnonzero(high):
            add(int(ids[i]), "medical_costs", month_key,
                {"increase": _yuan(increase[i]), "total": _yuan(c["annual_medical_expense"][i]),
                 "threshold": p["monthly_threshold"]})


def _development_on(day: dt.date, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """(sorted household ids, development index) of the scores of one date (one query, packed columns)."""
    with connection.cursor() as cursor:
        got = fetch_columns(
            cursor, 'SELECT {columns} FROM indices_indexscore WHERE "on" = %s AND region_code LIKE %s '
                    "AND development IS NOT NULL",
            [day, prefix + "%"], (("ids", ">i8", "household_id"), ("development", ">f8", "development")))
    order = np.argsort(got["ids"], kind="stable")
    return got["ids"][order], got["development"][order]


def _development_signals(on: dt.date, prefix: str, config: dict, month_key: str, add) -> None:
    p = params_of(config, "development_fall")
    if not p["enabled"]:
        return
    scores = IndexScore.objects.filter(region_code__startswith=prefix)
    latest = scores.filter(on__lte=on).order_by("-on").values_list("on", flat=True).first()
    if latest is None:
        return
    earlier = scores.filter(on__lte=add_months(latest, -int(p["period_months"]))).order_by("-on") \
        .values_list("on", flat=True).first()
    if earlier is None:
        return
    ids, now = _development_on(latest, prefix)
    old_ids, old = _development_on(earlier, prefix)
    if not len(ids) or not len(old_ids):
        return
    position = np.clip(np.searchsorted(old_ids, ids), 0, len(old_ids) - 1)
    found = old_ids[position] == ids
    before = old[position]
    fell = found & (before - now >= float(p["drop"]) - 1e-9)
    for i in np.flatnonzero(fell):
        add(int(ids[i]), "development_fall", month_key, {"before": f"{before[i]:.2f}", "after": f"{now[i]:.2f}"})


def _previous_member_facts(person_ids: set[int], on: dt.date) -> dict[int, list[tuple]]:
    history: dict[int, list[tuple]] = defaultdict(list)
    rows = MemberFacts.objects.filter(person_id__in=person_ids, as_of__lte=on).order_by("person_id", "as_of") \
        .values_list("person_id", "as_of", "disability_grade", "employment")
    for person_id, as_of, grade, employment in rows:
        history[person_id].append((as_of, grade, employment))
    return history


def _before(history: list[tuple], day: dt.date) -> tuple | None:
    earlier = [row for row in history if row[0] < day]
    return earlier[-1] if earlier else None


def _member_signals(on: dt.date, prefix: str, config: dict, add) -> None:
    p = params_of(config, "member_death")
    if p["enabled"]:
        since = on - dt.timedelta(days=int(p["lookback_days"]))
        rows = Membership.objects.filter(
            household__region_code__startswith=prefix, person__deceased_on__gt=since, person__deceased_on__lte=on,
        ).filter(Q(end__isnull=True) | Q(end__gte=since)).values_list(
            "household_id", "person_id", "person__name", "person__deceased_on")
        for household_id, person_id, name, died in rows:
            add(household_id, "member_death", str(person_id), {"name": name, "date": died.isoformat()})

    disability, unemployed = params_of(config, "new_disability"), params_of(config, "main_earner_unemployed")
    lookback = max(int(disability["lookback_days"]) if disability["enabled"] else 0,
                   int(unemployed["lookback_days"]) if unemployed["enabled"] else 0)
    if not lookback:
        return
    since = on - dt.timedelta(days=lookback)
    candidates = list(
        MemberFacts.objects.filter(region_code__startswith=prefix, as_of__gt=since, as_of__lte=on,
                                   person__household__isnull=False)
        .filter(Q(disability_grade__isnull=False) | Q(employment="unemployed"))
        .values_list("person_id", "person__household_id", "person__name", "as_of", "disability_grade", "employment")
    )
    if not candidates:
        return
    history = _previous_member_facts({row[0] for row in candidates}, on)
    job_losses = []
    for person_id, household_id, name, as_of, grade, employment in candidates:
        previous = _before(history[person_id], as_of)
        if previous is None:
            continue  # first record of the person: registration, not a change
        if disability["enabled"] and grade and as_of > on - dt.timedelta(days=int(disability["lookback_days"])) \
                and (previous[1] is None or previous[1] > grade):
            add(household_id, "new_disability", f"{person_id}:{grade}",
                {"name": name, "grade": grade, "date": as_of.isoformat()})
        if unemployed["enabled"] and employment == "unemployed" and previous[2] in WORKING \
                and as_of > on - dt.timedelta(days=int(unemployed["lookback_days"])):
            job_losses.append((household_id, person_id, name, as_of))
    if not job_losses:
        return
    wages: dict[int, list[tuple]] = defaultdict(list)
    for household_id, as_of, amount in HouseholdFacts.objects.filter(
            household_id__in={row[0] for row in job_losses}, as_of__lte=on).order_by("as_of") \
            .values_list("household_id", "as_of", "monthly_wages"):
        wages[household_id].append((as_of, amount))
    for household_id, person_id, name, as_of in job_losses:
        series = wages[household_id]
        before = [amount for day, amount in series if day < as_of]
        now = series[-1][1] if series else None
        if before and now is not None and before[-1] > 0 and \
                now * 100 <= before[-1] * (100 - int(unemployed["wage_fall_percent"])):
            add(household_id, "main_earner_unemployed", f"{person_id}:{as_of:%Y-%m}",
                {"name": name, "date": as_of.isoformat()})


@dataclasses.dataclass
class _Disaster:
    key: str
    prefix: str
    kind: str
    area: str
    date: dt.date
    households: list[int]


def _disaster_events(on: dt.date, prefix: str, lookback: int) -> list[_Disaster]:
    """Disasters in the window: the county's own ``DisasterEvent`` rows, and 应急管理 disaster data
    delivered through the checks app (``DepartmentRecord`` of type ``disaster``, an area)."""
    since = on - dt.timedelta(days=lookback)
    out = []
    for event in DisasterEvent.objects.filter(occurred_on__gt=since, occurred_on__lte=on).prefetch_related("households"):
        if event.prefix.startswith(prefix) or prefix.startswith(event.prefix):
            out.append(_Disaster(str(event.pk), event.prefix, str(event.get_kind_display()), event.region_code,
                                 event.occurred_on, [h.pk for h in event.households.all()]))
    if model_ready("checks.DepartmentRecord"):
        from dajiuzhu.checks.models import DepartmentRecord

        records = DepartmentRecord.objects.filter(data_type="disaster", as_of__gt=since, as_of__lte=on) \
            .exclude(region_code="").values_list("pk", "region_code", "values", "event_date", "as_of")
        for pk, code, values, event_date, as_of in records:
            area = prefix_of(code) if len(code) == 12 else code
            if area.startswith(prefix) or prefix.startswith(area):
                out.append(_Disaster(f"checks:{pk}", area, str((values or {}).get("kind") or ""), code,
                                     event_date or as_of, []))
    return out


def _disaster_signals(frames: _Frames, config: dict, add) -> None:
    p = params_of(config, "disaster")
    if not p["enabled"]:
        return
    on, prefix = frames.on, frames.prefix
    events = _disaster_events(on, prefix, int(p["lookback_days"]))
    if not events:
        return
    frame = frames.now
    codes = frame.region_codes.astype(str)
    vulnerable = None
    if p["vulnerable_only"]:
        # Least able to recover: in the top hardship band, or in unsafe housing (C/D-class or none).
        day = IndexScore.objects.filter(region_code__startswith=prefix, on__lte=on).order_by("-on") \
            .values_list("on", flat=True).first()
        severe = set(IndexScore.objects.filter(region_code__startswith=prefix, on=day,
                                               hardship__gte=float(p["severe_hardship"]))
                     .values_list("household_id", flat=True)) if day else set()
        vulnerable = np.isin(frame.household_ids, list(severe)) | (frame.columns["housing_code"] >= 1)
    in_frame = None
    for event in events:
        listed = event.households
        if listed:
            in_frame = set(frame.household_ids.tolist()) if in_frame is None else in_frame
            targets = [h for h in listed if h in in_frame]
        else:
            mask = np.char.startswith(codes, event.prefix)
            if vulnerable is not None:
                mask &= vulnerable
            targets = frame.household_ids[mask].tolist()
        for household_id in targets:
            add(int(household_id), "disaster", event.key,
                {"kind": event.kind, "area": event.area, "date": event.date.isoformat()})


def _department_signals(on: dt.date, prefix: str, config: dict, month_key: str, add) -> None:
    """The same signals from department data delivered through the checks app (same keys as the
    registry's, so one occurrence seen by both raises one signal): deaths (公安 户籍注销, 民政 殡葬),
    disability certificates (残联), unemployment registration (人社), medical costs (医保)."""
    if not model_ready("checks.DepartmentRecord"):
        return
    from dajiuzhu.checks.models import DepartmentRecord

    def records(data_types, days):
        since = on - dt.timedelta(days=days)
        return DepartmentRecord.objects.filter(
            data_type__in=data_types, as_of__gt=since, as_of__lte=on, person__isnull=False,
            person__household__isnull=False, person__region_code__startswith=prefix)

    p = params_of(config, "member_death")
    if p["enabled"]:
        for person_id, household_id, name, died, as_of in records(("death_registration", "cremation"),
                                                                  int(p["lookback_days"])).values_list(
                "person_id", "person__household_id", "person__name", "event_date", "as_of"):
            add(household_id, "member_death", str(person_id), {"name": name, "date": (died or as_of).isoformat()})
    p = params_of(config, "new_disability")
    if p["enabled"]:
        rows = list(records(("disability",), int(p["lookback_days"])).exclude(quantity=None).values_list(
            "person_id", "person__household_id", "person__name", "quantity", "as_of"))
        if rows:
            history = _previous_member_facts({r[0] for r in rows}, on)
            for person_id, household_id, name, grade, as_of in rows:
                known = history[person_id][-1][1] if history[person_id] else None
                if known is None or known > grade:
                    add(household_id, "new_disability", f"{person_id}:{grade}",
                        {"name": name, "grade": grade, "date": as_of.isoformat()})
    p = params_of(config, "main_earner_unemployed")
    if p["enabled"]:
        rows = list(records(("unemployment",), int(p["lookback_days"])).values_list(
            "person_id", "person__household_id", "person__name", "as_of"))
        if rows:
            history = _previous_member_facts({r[0] for r in rows}, on)
            for person_id, household_id, name, as_of in rows:
                previous = _before(history[person_id], as_of + dt.timedelta(days=1))
                if previous is not None and previous[2] in WORKING:
                    add(household_id, "main_earner_unemployed", f"{person_id}:{as_of:%Y-%m}",
                        {"name": name, "date": as_of.isoformat()})
    p = params_of(config, "medical_costs")
    if p["enabled"]:
        rows = list(records(("medical",), 45).exclude(amount=None).values_list(
            "person_id", "person__household_id", "amount", "as_of"))
        if rows:
            earlier: dict[int, list[tuple]] = defaultdict(list)
            for person_id, amount, as_of in DepartmentRecord.objects.filter(
                    data_type="medical", person_id__in={r[0] for r in rows}, as_of__lte=on).exclude(amount=None) \
                    .order_by("as_of").values_list("person_id", "amount", "as_of"):
                earlier[person_id].append((as_of, amount))
            increase: dict[int, int] = defaultdict(int)
            total: dict[int, int] = defaultdict(int)
            for person_id, household_id, amount, as_of in rows:
                before = [a for day, a in earlier[person_id] if day < as_of]
                if not before:
                    continue  # a first delivery is a level, not a rise
                increase[household_id] += amount - before[-1]
                total[household_id] += amount
            for household_id, rise in increase.items():
                if rise >= int(p["monthly_threshold"] * 100):
                    add(household_id, "medical_costs", month_key,
                        {"increase": _yuan(rise), "total": _yuan(total[household_id]),
                         "threshold": p["monthly_threshold"]})


def _roster_signals(on: dt.date, prefix: str, config: dict, add) -> None:
    p = params_of(config, "dibao_exit")
    if p["enabled"]:
        rows = RosterEvent.objects.filter(region_code__startswith=prefix, tier=Tier.DIBAO, kind=RosterEvent.Kind.LEAVE,
                                          on__gt=add_months(on, -int(p["months"])), on__lte=on) \
            .values_list("household_id", "on")
        for household_id, day in rows:
            add(household_id, "dibao_exit", day.isoformat(), {"date": day.isoformat()})


def _refused_signals(on: dt.date, prefix: str, config: dict, add) -> None:
    p = params_of(config, "refused_application")
    if not p["enabled"]:
        return
    if not model_ready("cases.CaseItem"):
        return
    from dajiuzhu.cases.models import CaseItem  # type: ignore[attr-defined]

    since = on - dt.timedelta(days=int(p["lookback_days"]))
    fields = {f.name for f in CaseItem._meta.get_fields()}
    stamp = next((f for f in ("decided_at", "updated_at", "created_at") if f in fields), None)
    if stamp is None or "status" not in fields:
        return
    qs = CaseItem.objects.filter(status="refused", region_code__startswith=prefix,
                                 **{f"{stamp}__date__gt": since, f"{stamp}__date__lte": on})
    for pk, household_id, case_id, item_name, when in qs.values_list("pk", "household_id", "case_id",
                                                                     "item__name", stamp):
        add(household_id, "refused_application", str(pk),
            {"case": case_id, "item": item_name, "date": timezone.localtime(when).date().isoformat()
             if hasattr(when, "tzinfo") and when.tzinfo else str(when)[:10]})


def _suppressed(prefix: str, household_ids: set[int], on: dt.date) -> tuple[set[int], set[tuple[int, str]]]:
    """Households on the 低保/特困 roster, and (household, signal) pairs whose alert was closed as
    assisted in the last 12 months (the right assistance is already there)."""
    covered = set(RosterEntry.objects.filter(household_id__in=household_ids, until__isnull=True,
                                             tier__in=[Tier.DIBAO, Tier.TEKUN]).values_list("household_id", flat=True))
    assisted: set[tuple[int, str]] = set()
    since = timezone.now() - dt.timedelta(days=365)
    for household_id, signals in Alert.objects.filter(
            household_id__in=household_ids, follow_up__outcome=FollowUp.Outcome.ASSISTED,
            closed_at__gte=since).values_list("household_id", "signals"):
        assisted.update((household_id, s["code"]) for s in signals)
    return covered, assisted


def _id_array_literal(ids) -> str:
    """A PostgreSQL bigint[] literal: one parameter for thousands of ids (an IN list binds and quotes
    each id on the client)."""
    return "{" + ",".join(str(int(i)) for i in sorted(ids)) + "}"


def _raised_signals(ids: set[int]) -> set[tuple[int, str, str]]:
    """(household, signal, key) already raised for ``ids``."""
    if connection.vendor != "postgresql":
        return set(AlertSignal.objects.filter(household_id__in=ids).values_list("household_id", "code", "key"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT household_id, code, key FROM alerts_alertsignal WHERE household_id = ANY(%s::bigint[])",
                       [_id_array_literal(ids)])
        return set(cursor.fetchall())


def _latest_risk_types(ids: set[int], on: dt.date) -> dict[int, str]:
    """The risk types of each household's latest score on or before ``on``."""
    if connection.vendor != "postgresql":
        return dict(IndexScore.objects.filter(household_id__in=ids, on__lte=on).order_by("household_id", "on")
                    .values_list("household_id", "risk_types"))
    with connection.cursor() as cursor:
        cursor.execute('SELECT DISTINCT ON (household_id) household_id, risk_types FROM indices_indexscore '
                       'WHERE household_id = ANY(%s::bigint[]) AND "on" <= %s ORDER BY household_id, "on" DESC',
                       [_id_array_literal(ids), on])
        return dict(cursor.fetchall())


@transaction.atomic
def alerts_scan(*, on: dt.date, region_prefix: str = "", actor=None, frame: FactFrame | None = None) -> dict:
    """Raise the alerts of ``region_prefix`` for ``on`` (idempotent)."""
    ruleset = active_ruleset()
    config = ruleset.config
    frames = _Frames(on, region_prefix, frame)
    month_key = on.strftime("%Y-%m")
    found: dict[int, dict[tuple[str, str], dict]] = defaultdict(dict)

    def add(household_id: int, code: str, key: str, params: dict) -> None:
        found[household_id].setdefault((code, key), params)

    _frame_signals(frames, config, month_key, add)
    _development_signals(on, region_prefix, config, month_key, add)
    _member_signals(on, region_prefix, config, add)
    _disaster_signals(frames, config, add)
    _department_signals(on, region_prefix, config, month_key, add)
    _roster_signals(on, region_prefix, config, add)
    _refused_signals(on, region_prefix, config, add)

    counts = {"households": len(frames.now), "with_signals": len(found), "alerts": 0, "signals": 0,
              "suppressed": 0, "already_raised": 0}
    if not found:
        return counts
    ids = set(found)
    raised = _raised_signals(ids)
    covered, assisted = _suppressed(region_prefix, ids, on)
    region_of = dict(zip(frames.now.household_ids.tolist(), frames.now.region_codes.tolist()))
    missing = ids - set(region_of)
    if missing:
        from dajiuzhu.registry.models import Household

        region_of.update(dict(Household.objects.filter(pk__in=missing).values_list("pk", "region_code")))
    risks_of = _latest_risk_types(ids, on)
    existing = {a.household_id: a for a in Alert.objects.filter(household_id__in=ids, on=on, status=Alert.Status.OPEN)}
    assignees = assignees_for({region_of[h] for h in ids})
    new_alerts: list[tuple[Alert, list[dict]]] = []
    appended: list[tuple[Alert, list[dict]]] = []
    for household_id in sorted(ids):
        signals = []
        for (code, key), params in sorted(found[household_id].items()):
            if (household_id, code, key) in raised:
                counts["already_raised"] += 1
                continue
            if (code in COVERED_BY_ASSISTANCE and household_id in covered) or (household_id, code) in assisted:
                counts["suppressed"] += 1
                continue
            signals.append({"code": code, "key": key, "level": params_of(config, code)["level"], "params": params})
        if not signals:
            continue
        region = region_of[household_id]
        alert = existing.get(household_id)
        all_signals = (alert.signals if alert else []) + signals
        level = max((s["level"] for s in all_signals), key=lambda lv: LEVEL_RANK[lv])
        risks = {SIGNALS[s["code"]]["risk"] for s in all_signals}
        risks |= {r for r in (risks_of.get(household_id) or "").split(",") if r}
        if len(risks) > 1:
            risks.discard("other")
        if alert is None:
            user, stage = assignees(region)
            alert = Alert(household_id=household_id, region_code=region, on=on, level=level, signals=all_signals,
                          risk_types=",".join(sorted(risks)), ruleset=ruleset, stage=stage, assigned_to=user,
                          due_on=due_date(config, level, on))
            new_alerts.append((alert, signals))
        else:
            alert.signals, alert.level, alert.risk_types = all_signals, level, ",".join(sorted(risks))
            alert.save(update_fields=["signals", "level", "risk_types"])
            appended.append((alert, signals))
    Alert.objects.bulk_create([alert for alert, _signals in new_alerts], batch_size=2000)
    counts["alerts"] = len(new_alerts)
    new_signal_rows = [AlertSignal(alert=alert, household_id=alert.household_id, code=s["code"], key=s["key"])
                       for alert, signals in new_alerts + appended for s in signals]
    AlertSignal.objects.bulk_create(new_signal_rows, batch_size=5000)
    counts["signals"] = len(new_signal_rows)
    if new_signal_rows:
        audit_record(actor=actor, action="alerts.scan", object_type="alerts.alert", object_id=on.isoformat(),
                     region_code=region_prefix, new={"on": on, "ruleset": ruleset.version, **counts})
    return counts


__all__ = ["alerts_scan", "prefix_of"]
