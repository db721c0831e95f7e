"""Working days (工作日) for the time limits the rules set (a hearing's answer period, the paperwork of an
urgent grant): Monday to Friday, corrected by the official holiday calendar when an app provides one.

The kernel knows no holidays itself: an app that keeps the county's calendar (official holidays and
make-up working days) registers it with ``register_calendar(fn)``, ``fn(day) -> bool | None`` saying
whether ``day`` is a working day (``None``: no opinion, so Monday to Friday applies). The day a period
starts is not counted (as 《行政许可法》 counts periods).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

_calendars: list[Callable[[dt.date], bool | None]] = []
FRIDAY = 4


def register_calendar(fn: Callable[[dt.date], bool | None]) -> None:
    if fn not in _calendars:
        _calendars.append(fn)


def is_working_day(day: dt.date) -> bool:
    for fn in _calendars:
        answer = fn(day)
        if answer is not None:
            return answer
    return day.weekday() <= FRIDAY


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The day ``days`` working days after ``start`` (``start`` itself not counted)."""
    day, left = start, int(days)
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day
