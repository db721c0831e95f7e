"""The working calendar (工作日): Monday to Friday, minus official holidays, plus make-up working days.

A ``Calendar`` is built once from the county's ``Holiday`` rows and answers in O(log n):
``add(start, n)`` — the day ``n`` working days after ``start`` (the deadline of a step begun on ``start``:
the day it began is not counted, as 《行政许可法》 counts periods), ``between(a, b)`` — how many working days
after ``a`` up to and including ``b``, and vectorised ``between_many`` for the monthly evaluation (numpy).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np

# The span the calendar covers; days outside it are Monday-to-Friday without holidays.
FIRST = dt.date(2000, 1, 1)
LAST = dt.date(2040, 12, 31)


class Calendar:
    def __init__(self, holidays: Iterable[tuple[dt.date, dt.date]] = (), workdays: Iterable[tuple[dt.date, dt.date]] = ()):
        off: set[dt.date] = set()
        on: set[dt.date] = set()
        for first, last in holidays:
            off.update(_days(first, last))
        for first, last in workdays:
            on.update(_days(first, last))
        self.days: list[int] = []  # ordinals of the working days
        ordinal, last = FIRST.toordinal(), LAST.toordinal()
        while ordinal <= last:
            day = dt.date.fromordinal(ordinal)
            if day in on or (day.weekday() < 5 and day not in off):
                self.days.append(ordinal)
            ordinal += 1
        self._array = np.asarray(self.days, dtype=np.int64)

    def is_working(self, day: dt.date) -> bool:
        i = bisect.bisect_left(self.days, day.toordinal())
        return i < len(self.days) and self.days[i] == day.toordinal()

    def add(self, start: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``start`` (``start`` itself not counted)."""
        i = bisect.bisect_right(self.days, start.toordinal())
        return dt.date.fromordinal(self.days[i + n - 1])

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end`` <= ``start``)."""
        if end <= start:
            return 0
        return bisect.bisect_right(self.days, end.toordinal()) - bisect.bisect_right(self.days, start.toordinal())

    def between_many(self, starts: Sequence[int] | np.ndarray, ends: Sequence[int] | np.ndarray) -> np.ndarray:
        """``between`` for arrays of ordinals at once."""
        starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
        counts = np.searchsorted(self._array, ends, side="right") - np.searchsorted(self._array, starts, side="right")
        return np.where(ends > starts, counts, 0)


def _days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def add_calendar(start: dt.date, n: int) -> dt.date:
    return start + dt.timedelta(days=n)


# China's holidays and make-up working days, shipped as demo data the county edits. 2026: the State Council's
# notice (国务院办公厅关于2026年部分节假日安排的通知). 2027: PROJECTED from the lunar dates and the usual pattern
# (the notice was not at hand when this was written) — the county checks it against the notice and edits it.
OFFICIAL: dict[int, list[tuple[str, str, str, str]]] = {
    2026: [
        ("元旦", "holiday", "2026-01-01", "2026-01-03"),
        ("元旦调休", "workday", "2026-01-04", "2026-01-04"),
        ("春节", "holiday", "2026-02-15", "2026-02-23"),
        ("春节调休", "workday", "2026-02-14", "2026-02-14"),
        ("春节调休", "workday", "2026-02-28", "2026-02-28"),
        ("清明节", "holiday", "2026-04-04", "2026-04-06"),
        ("劳动节", "holiday", "2026-05-01", "2026-05-05"),
        ("劳动节调休", "workday", "2026-05-09", "2026-05-09"),
        ("端午节", "holiday", "2026-06-19", "2026-06-21"),
        ("中秋节", "holiday", "2026-09-25", "2026-09-27"),
        ("国庆节", "holiday", "2026-10-01", "2026-10-07"),
        ("国庆节调休", "workday", "2026-09-20", "2026-09-20"),
        ("国庆节调休", "workday", "2026-10-10", "2026-10-10"),
    ],
    2027: [
        ("元旦", "holiday", "2027-01-01", "2027-01-03"),
        ("春节", "holiday", "2027-02-05", "2027-02-13"),
        ("春节调休", "workday", "2027-02-14", "2027-02-14"),
        ("清明节", "holiday", "2027-04-03", "2027-04-05"),
        ("劳动节", "holiday", "2027-05-01", "2027-05-05"),
        ("劳动节调休", "workday", "2027-04-25", "2027-04-25"),
        ("端午节", "holiday", "2027-06-09", "2027-06-11"),
        ("中秋节", "holiday", "2027-09-15", "2027-09-17"),
        ("国庆节", "holiday", "2027-10-01", "2027-10-07"),
        ("国庆节调休", "workday", "2027-09-26", "2027-09-26"),
        ("国庆节调休", "workday", "2027-10-09", "2027-10-09"),
    ],
}
