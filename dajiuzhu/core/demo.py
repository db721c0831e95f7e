"""The context handed to each app's ``demo.seed(ctx)`` by ``manage.py seed_demo``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable


@dataclasses.dataclass
class DemoContext:
    rng: random.Random
    county_code: str = "371424"
    today: dt.date = dataclasses.field(default_factory=dt.date.today)
    people: int = 20520
    log: Callable[[str], None] = print
    planted: dict[str, list] = dataclasses.field(default_factory=dict)
    # Free-form data an app leaves for the apps after it (e.g. ids of demo cases).
    shared: dict[str, object] = dataclasses.field(default_factory=dict)
