"""The warning signals, their default thresholds, and the checks a rule set must pass.

A rule set is ``{"signals": {code: {"enabled", "level", …parameters}}, "due_days": {level: days},
"escalate_after_days": days}``. Unknown signals, unknown parameters, levels that are not
red/orange/yellow and non-positive thresholds are refused with clear errors.

Signals (``key`` = what makes one occurrence, so it raises an alert once):

- ``income_below_line``: per-capita income fell under the monitoring line (7,000 yuan per person
  per year; rural households, and urban ones when ``urban_line`` > 0) — it was at or above the
  line a period before (or the household had no facts then). Key: the scan month.
- ``income_drop``: household income fell by more than ``percent`` % against ``period_months`` before.
  Key: the scan month.
- ``medical_costs``: self-paid medical costs (12-month total) rose by at least ``monthly_threshold``
  yuan since the month before (checked monthly). Key: the scan month.
- ``member_death``: a member died within ``lookback_days``. Key: the person.
- ``new_disability``: a member's disability certificate is new or its grade became more severe
  within ``lookback_days``. Key: person and grade.
- ``main_earner_unemployed``: a working member became unemployed within ``lookback_days`` and
  was the only working member or the household's wages fell by ``wage_fall_percent`` % or more.
  Key: person and date.
- ``disaster``: a disaster in the household's area within ``lookback_days`` (the household listed
  in the event, or every household of the area; with ``vulnerable_only`` only those least able
  to recover: with a hardship score of at least ``severe_hardship`` (0.6, the top band), or in
  unsafe housing (C/D-class or none)). Key: the event.
- ``development_fall``: the development index fell by ``drop`` or more against the score a period
  before. Key: the scan month.
- ``dibao_exit``: the household left 低保 within ``months`` months. Key: the exit date.
- ``refused_application``: an application of the household was refused within ``lookback_days``.
  Key: the case item.

Right assistance (a household already receiving it is not alerted twice for the same signal):
income under the monitoring line is not raised for a household on the 低保/特困 roster (that is
the assistance the signal calls for); and no signal is raised again within 12 months for a
household whose alert for that signal was closed as assisted. Changes (an income drop, a job
loss, high new medical costs, a death) are still raised for a household on 低保: its benefit or
its other assistance may have to change.
"""

from __future__ import annotations

import copy
import math

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dajiuzhu.core.errors import DomainError

from .models import Level

SIGNALS: dict[str, dict] = {
    "income_below_line": {"label": gettext_lazy("income under the monitoring line"), "risk": "other",
                          "defaults": {"enabled": True, "level": "orange", "rural_line": 7000, "urban_line": 0,
                                       "period_months": 1}},
    "income_drop": {"label": gettext_lazy("large income drop"), "risk": "unstable_work",
                    "defaults": {"enabled": True, "level": "orange", "percent": 30, "period_months": 1}},
    "medical_costs": {"label": gettext_lazy("high self-paid medical costs"), "risk": "illness",
                      "defaults": {"enabled": True, "level": "red", "monthly_threshold": 5000}},
    "member_death": {"label": gettext_lazy("death of a member"), "risk": "labour",
                     "defaults": {"enabled": True, "level": "orange", "lookback_days": 45}},
    "new_disability": {"label": gettext_lazy("new or worse disability"), "risk": "disability",
                       "defaults": {"enabled": True, "level": "orange", "lookback_days": 45}},
    "main_earner_unemployed": {"label": gettext_lazy("main earner unemployed"), "risk": "unstable_work",
                               "defaults": {"enabled": True, "level": "orange", "lookback_days": 45,
                                            "wage_fall_percent": 30}},
    "disaster": {"label": gettext_lazy("disaster in the area"), "risk": "disaster",
                 "defaults": {"enabled": True, "level": "red", "lookback_days": 45, "vulnerable_only": True,
                              "severe_hardship": 0.6}},
    "development_fall": {"label": gettext_lazy("fall of the development index"), "risk": "other",
                         "defaults": {"enabled": True, "level": "yellow", "drop": 0.1, "period_months": 1}},
    "dibao_exit": {"label": gettext_lazy("left 低保 recently"), "risk": "other",
                   "defaults": {"enabled": True, "level": "yellow", "months": 6}},
    "refused_application": {"label": gettext_lazy("application refused"), "risk": "other",
                            "defaults": {"enabled": True, "level": "yellow", "lookback_days": 45}},
}

# Signals whose right assistance is 低保/特困 itself: a household receiving it is not alerted for them.
COVERED_BY_ASSISTANCE = {"income_below_line"}

DEFAULT_RULES = {
    "signals": {code: dict(spec["defaults"]) for code, spec in SIGNALS.items()},
    "due_days": {"red": 3, "orange": 7, "yellow": 15},
    "escalate_after_days": 7,
}


def default_rules() -> dict:
    return copy.deepcopy(DEFAULT_RULES)


def rule_problems(config) -> list[str]:
    if not isinstance(config, dict):
        return [_("the rule set must be a JSON object")]
    problems: list[str] = []
    signals = config.get("signals")
    if not isinstance(signals, dict) or not signals:
        return [_("signals: at least one signal is required")]
    for code, params in signals.items():
        if code not in SIGNALS:
            problems.append(_("unknown signal %(code)s") % {"code": code})
            continue
        if not isinstance(params, dict):
            problems.append(_("%(code)s: parameters must be an object") % {"code": code})
            continue
        allowed = SIGNALS[code]["defaults"]
        for name, value in params.items():
            if name not in allowed:
                problems.append(_("%(code)s: unknown parameter %(name)s") % {"code": code, "name": name})
            elif name == "level":
                if value not in Level.values:
                    problems.append(_("%(code)s: level must be red, orange or yellow") % {"code": code})
            elif isinstance(allowed[name], bool):
                if not isinstance(value, bool):
                    problems.append(_("%(code)s.%(name)s must be true or false") % {"code": code, "name": name})
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                problems.append(_("%(code)s.%(name)s must be a number ≥ 0") % {"code": code, "name": name})
            elif value == 0 and name not in {"urban_line"}:
                problems.append(_("%(code)s.%(name)s must be above 0") % {"code": code, "name": name})
    due = config.get("due_days", DEFAULT_RULES["due_days"])
    if not isinstance(due, dict) or set(due) != set(Level.values) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in due.values()):
        problems.append(_("due_days: a whole number of days above 0 for red, orange and yellow"))
    escalate = config.get("escalate_after_days", 7)
    if isinstance(escalate, bool) or not isinstance(escalate, int) or escalate <= 0:
        problems.append(_("escalate_after_days must be a whole number above 0"))
    return problems


def params_of(config: dict, code: str) -> dict:
    """The parameters of one signal: the defaults overlaid with the rule set's values."""
    return {**SIGNALS[code]["defaults"], **config.get("signals", {}).get(code, {})} if code in config.get(
        "signals", {}) else {**SIGNALS[code]["defaults"], "enabled": False}


def validate_rules(config) -> None:
    problems = rule_problems(config)
    if problems:
        raise DomainError("; ".join(problems), field="config", details={"problems": problems})


def signal_words(signal: dict) -> str:
    """A signal in words, for the worker and the family."""
    p = signal.get("params", {})
    code = signal["code"]
    texts = {
        "income_below_line": lambda: _("per-capita income %(income)s yuan a year, under the monitoring line of "
                                       "%(line)s yuan") % p,
        "income_drop": lambda: _("household income fell %(percent)s %% in %(months)s month(s), from %(before)s to "
                                 "%(after)s yuan a month") % p,
        "medical_costs": lambda: _("self-paid medical costs rose by %(increase)s yuan in a month (%(total)s yuan over "
                                   "12 months; threshold %(threshold)s)") % p,
        "member_death": lambda: _("%(name)s died on %(date)s") % p,
        "new_disability": lambda: _("%(name)s: disability grade %(grade)s recorded on %(date)s") % p,
        "main_earner_unemployed": lambda: _("%(name)s, a main earner, became unemployed on %(date)s") % p,
        "disaster": lambda: _("%(kind)s in %(area)s on %(date)s") % p,
        "development_fall": lambda: _("development index fell from %(before)s to %(after)s") % p,
        "dibao_exit": lambda: _("left 低保 on %(date)s") % p,
        "refused_application": lambda: _("application %(case)s (%(item)s) refused on %(date)s") % p,
    }
    try:
        return texts[code]()
    except (KeyError, TypeError, ValueError):
        return str(SIGNALS.get(code, {}).get("label", code))
