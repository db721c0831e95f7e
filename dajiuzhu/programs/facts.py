"""The facts a rule sees: the household's (``registry.facts``) and the applicant's.

Applicant facts describe the member who applies (age, disability grade, self-care, labour,
illness, school) from the registry on the day. Screening uses the head of household as the
applicant (``add_applicant_columns``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from django.db import connection

from dajiuzhu.registry.facts import LABOUR_CODES, FactFrame, household_facts
from dajiuzhu.registry.models import HOUSE_LOSS_CODES, Household, HouseholdEvent, MemberFacts, Person
from dajiuzhu.registry.selectors import latest_events

from .supporters import able_supporters, able_supporters_by_person

FEN_PER_YUAN = 100
APPLICANT_DEFAULTS = {"applicant_age": 0, "applicant_disability_grade": 0, "applicant_adl_failed": 0,
                      "applicant_labour": 0, "applicant_seriously_ill": False, "applicant_student": False}


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


_READ = object()


def applicant_facts(person: Person | int | None, *, on: dt.date, latest: MemberFacts | None | object = _READ) -> dict:
    """The applicant facts of ``person`` on ``on`` (all zero / false without an applicant).

    ``latest``: the person's latest ``MemberFacts`` on or before ``on`` (None: there is none) when the
    caller has read it already (e.g. with the household's members); otherwise it is read here.
    """
    if person is None:
        return dict(APPLICANT_DEFAULTS)
    if not isinstance(person, Person):
        person = Person.objects.get(pk=person)
    if latest is _READ:
        latest = MemberFacts.objects.filter(person=person, as_of__lte=on).order_by("-as_of").first()
    return {
        "applicant_age": _age(person.birth_date, on),
        "applicant_disability_grade": (latest.disability_grade or 0) if latest else 0,
        "applicant_adl_failed": latest.adl_failed if latest else 0,
        "applicant_labour": LABOUR_CODES.get(latest.labour, 0) if latest else 0,
        "applicant_seriously_ill": bool(latest and latest.health == "serious"),
        "applicant_student": bool(latest and latest.employment == "student"),
    }


class Facts(dict):
    """The facts of one household and applicant. The facts that need a query of their own
    (``DERIVED_FACTS``: the applicant's able supporters, the latest emergency) are read only when a rule
    actually reaches them (``__missing__``), for the ``context`` (household id, applicant, date) — so an
    instant decision whose rules never get there reads nothing more. Without a context they are zero."""

    def __init__(self, base=(), context: tuple[int, object, dt.date] | None = None):
        super().__init__(base)
        self.context = context if context is not None else getattr(base, "context", None)

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or key in DERIVED_FACTS

    def __missing__(self, key):
        if key not in DERIVED_FACTS:
            raise KeyError(key)
        group = set(EVENT_DEFAULTS) if key in EVENT_DEFAULTS else {key}
        self.update(derived_facts(self.context, group - set(self.keys())))
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        return self[key] if key in self else default


EVENT_DEFAULTS = {"has_event": False, "event_days": 0, "event_loss": Decimal("0.00"), "event_house": 0,
                  "event_injured": 0, "event_deaths": 0}
DERIVED_FACTS = frozenset({"applicant_able_supporters", *EVENT_DEFAULTS})


def event_facts(event: HouseholdEvent | None, on: dt.date) -> dict:
    """The rule facts of a household's latest emergency event (all zero / false without one)."""
    if event is None:
        return dict(EVENT_DEFAULTS)
    return {"has_event": True, "event_days": (on - event.occurred_on).days, "event_loss": event.loss,
            "event_house": HOUSE_LOSS_CODES[event.house], "event_injured": event.injured,
            "event_deaths": event.deaths}


def derived_facts(context: tuple[int, object, dt.date] | None, needed) -> dict:
    """The ``needed`` derived facts for a ``Facts.context`` (without a context: their defaults)."""
    needed = set(needed) & DERIVED_FACTS
    out: dict = {}
    if not needed:
        return out
    if context is None:
        out.update({k: v for k, v in EVENT_DEFAULTS.items() if k in needed})
        if "applicant_able_supporters" in needed:
            out["applicant_able_supporters"] = 0
        return out
    household_id, applicant, on = context
    if needed & set(EVENT_DEFAULTS):
        event = latest_events(household_ids=[household_id], on=on).get(household_id)
        out.update({k: v for k, v in event_facts(event, on).items() if k in needed})
    if "applicant_able_supporters" in needed:
        person = applicant if isinstance(applicant, Person) else Person.objects.filter(pk=applicant).first()
        out["applicant_able_supporters"] = able_supporters(person, on=on) if person is not None else 0
    return out


def facts_for(*, household_id: int, on: dt.date, applicant: Person | int | None = None,
              applicant_latest: MemberFacts | None | object = _READ) -> Facts:
    """Household facts (``registry.facts.household_facts``) plus the applicant's, ready for ``item_evaluate``.

    Without an applicant the head of household is the applicant. ``applicant_latest``: as ``latest`` of
    ``applicant_facts``.
    """
    facts = Facts(household_facts(household_id, on=on))
    if applicant is None:
        applicant = Household.objects.filter(pk=household_id).values_list("head_id", flat=True).first()
    facts.update(applicant_facts(applicant, on=on, latest=applicant_latest))
    facts.context = (household_id, applicant, on)
    return facts


_HEAD_FACTS_SQL = """
    SELECT h.id, p.birth_date, mf.disability_grade, mf.adl_failed, mf.labour, mf.health, mf.employment
    FROM registry_household h
    JOIN registry_person p ON p.id = h.head_id
    LEFT JOIN (
        SELECT f.person_id, f.disability_grade, f.adl_failed, f.labour, f.health, f.employment,
               ROW_NUMBER() OVER (PARTITION BY f.person_id ORDER BY f.as_of DESC) AS rn
        FROM registry_memberfacts f
        JOIN registry_household hh ON hh.head_id = f.person_id
        WHERE f.as_of <= %s AND {inner}
    ) mf ON mf.person_id = p.id AND mf.rn = 1
    WHERE {outer}
"""


def add_applicant_columns(frame: FactFrame, *, region_prefix: str | None = None) -> FactFrame:
    """Add the applicant columns to a frame read from the registry (the head is the applicant).

    With ``region_prefix`` (the frame holds that region's households) the heads are read by region, in one
    query; otherwise by the frame's household ids, in chunks.
    """
    n = len(frame)
    cols = frame.columns
    for name, default in {**APPLICANT_DEFAULTS, "applicant_able_supporters": 0, **EVENT_DEFAULTS}.items():
        cols[name] = np.zeros(n, dtype=bool if isinstance(default, bool) else np.int64)
    if not n:
        return frame
    index_of = {int(h): i for i, h in enumerate(frame.household_ids)}
    on = frame.on
    queries = []
    if region_prefix is not None:
        like = region_prefix + "%"
        queries.append((_HEAD_FACTS_SQL.format(inner="hh.region_code LIKE %s", outer="h.region_code LIKE %s"),
                        [on, like, like]))
    else:
        ids = [int(h) for h in frame.household_ids]
        for start in range(0, len(ids), 20000):
            chunk = ids[start:start + 20000]
            marks = ",".join(["%s"] * len(chunk))
            queries.append((_HEAD_FACTS_SQL.format(inner=f"hh.id IN ({marks})", outer=f"h.id IN ({marks})"),
                            [on, *chunk, *chunk]))
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            for hid, birth, grade, adl, labour, health, employment in cursor.fetchall():
                i = index_of.get(hid)
                if i is None:
                    continue
                if isinstance(birth, str):
                    birth = dt.date.fromisoformat(birth)
                cols["applicant_age"][i] = _age(birth, on)
                cols["applicant_disability_grade"][i] = grade or 0
                cols["applicant_adl_failed"][i] = adl or 0
                cols["applicant_labour"][i] = LABOUR_CODES.get(labour or "full", 0)
                cols["applicant_seriously_ill"][i] = health == "serious"
                cols["applicant_student"][i] = employment == "student"
    # Supporters are recorded for few people: read the heads that have one, keep those of the frame.
    heads = {head: hid for head, hid in Household.objects.filter(head__supporters__isnull=False)
             .values_list("head_id", "pk").distinct() if hid in index_of}
    for person_id, count in able_supporters_by_person(heads, on=on).items():
        cols["applicant_able_supporters"][index_of[heads[person_id]]] = count
    # Emergency events are few: read them all up to the day, keep those of the frame (money in fen).
    for household_id, event in latest_events(household_ids=None, on=on).items():
        i = index_of.get(household_id)
        if i is None:
            continue
        for name, value in event_facts(event, on).items():
            cols[name][i] = int(value * FEN_PER_YUAN) if name == "event_loss" else value
    return frame
