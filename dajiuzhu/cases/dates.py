"""Payment cycles and review dates (monthly cycles start on the first day of a month)."""

from __future__ import annotations

import calendar
import datetime as dt


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_cycle(day: dt.date) -> dt.date:
    """The first day of the month after ``day`` (a benefit decided today is paid from then)."""
    return add_months(month_start(day), 1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cycles_between(first: dt.date, last: dt.date) -> int:
    """How many monthly payment cycles (first days of months) lie in [first, last]."""
    if last < first:
        return 0
    start = first if first.day == 1 else next_cycle(first)
    if start > last:
        return 0
    return (last.year - start.year) * 12 + (last.month - start.month) + 1
