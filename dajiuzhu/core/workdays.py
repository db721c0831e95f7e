"""Working days (工作日) for the time limits the rules set (a hearing's answer period, the paperwork of an
urgent grant, a step of a procedure): Monday to Friday, corrected by the official holiday calendar of the
county when an app provides one.

The kernel knows no holidays itself: an app that keeps the counties' calendars (official holidays and
make-up working days) registers a provider with ``register_calendar(provider)``; ``provider(region_code)``
returns, for the county of that region, a function ``day -> bool | None`` saying whether ``day`` is a
working day (``None``: no opinion, so Monday to Friday applies), or ``None`` when it keeps no calendar
for that county. The day a period starts is not counted (as 《行政许可法》 counts periods).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

DayRule = Callable[[dt.date], "bool | None"]
_providers: list[Callable[[str], DayRule | None]] = []
FRIDAY = 4


def register_calendar(provider: Callable[[str], DayRule | None]) -> None:
    if provider not in _providers:
        _providers.append(provider)


def _rules(region_code: str) -> list[DayRule]:
    return [rule for provider in _providers if (rule := provider(region_code)) is not None]


def _is_working(day: dt.date, rules: list[DayRule]) -> bool:
    for rule in rules:
        answer = rule(day)
        if answer is not None:
            return answer
    return day.weekday() <= FRIDAY


def is_working_day(day: dt.date, *, region_code: str = "") -> bool:
    return _is_working(day, _rules(region_code))


def add_working_days(start: dt.date, days: int, *, region_code: str = "") -> dt.date:
    """The day ``days`` working days after ``start`` (``start`` itself not counted), in the calendar of
    the county of ``region_code`` (Monday to Friday where no calendar is kept)."""
    rules = _rules(region_code)
    day, left = start, int(days)
    while left > 0:
        day += dt.timedelta(days=1)
        if _is_working(day, rules):
            left -= 1
    return day
