"""Whether a legal supporter is able to support (法定赡养、抚养、扶养义务人的赡养能力).

DOMAIN.md: a supporter is *unable* if under the adult age (``std.supporter_adult_age``), in
full-time study, receiving 低保 or 特困, disabled at ``std.supporter_unable_grade`` or a more
severe grade (grade 1 is the most severe), at or over ``std.supporter_old_age``, or with a
household per-capita income below the 低保 standard (of the place the supporter lives, else the
applicant's). 特困 requires no supporter or only unable ones: the rule fact
``applicant_able_supporters`` counts the able ones.

For a supporter linked to a person of the registry, the registry's facts on the day (age from the
birth date, disability grade and study from the latest member facts, per-capita income from the
household's facts) take precedence over the values recorded with the supporter; an income that is
nowhere known cannot show inability, so such a supporter counts as able and the reason says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from dajiuzhu.core.ids import age_on
from dajiuzhu.core.money import money
from dajiuzhu.registry.facts import household_facts
from dajiuzhu.registry.models import MemberFacts, Supporter
from dajiuzhu.registry.selectors import supporter_list

from .selectors import standards_for


def format_yuan(value) -> str:
    """1,234.50 元 (English: 1,234.50 yuan)."""
    return _("%(amount)s yuan") % {"amount": f"{money(value):,}"}


@dataclasses.dataclass
class Capacity:
    """One supporter's capacity on a day, with the reasons in words."""

    supporter: Supporter
    able: bool
    reasons: list[str]
    age: int | None
    per_capita_income: Decimal | None

    def as_dict(self) -> dict:
        s = self.supporter
        return {"id": s.pk, "name": s.name, "relation": s.get_relation_display(), "in_registry": s.supporter_person_id
                is not None, "lives_in": s.residence_region_code, "age": self.age, "able": self.able,
                "per_capita_income": self.per_capita_income, "reasons": self.reasons}


def supporter_capacity(supporter: Supporter, *, on: dt.date, applicant_region: str) -> Capacity:
    """Able or unable on ``on``, and why."""
    linked = supporter.supporter_person
    birth = linked.birth_date if linked is not None else supporter.birth_date
    age = age_on(birth, on) if birth else None
    grade = supporter.disability_grade
    student = supporter.full_time_student
    income = supporter.per_capita_income
    region = supporter.residence_region_code or applicant_region
    if linked is not None:
        latest = MemberFacts.objects.filter(person=linked, as_of__lte=on).order_by("-as_of").first()
        if latest is not None:
            grade = latest.disability_grade or grade
            student = student or latest.employment == "student"
        if linked.household_id:
            facts = household_facts(linked.household_id, on=on)
            if facts.get("has_facts"):
                income = Decimal(facts["per_capita_income"])
            region = linked.household.region_code if linked.household else region
    std = standards_for(on=on, region_code=region)
    unable: list[str] = []
    if age is not None and age < std["supporter_adult_age"]:
        unable.append(_("under %(age)s years old") % {"age": int(std["supporter_adult_age"])})
    if student:
        unable.append(_("in full-time study"))
    if supporter.receives_assistance:
        unable.append(_("receives 低保 or 特困 support"))
    if grade is not None and grade <= std["supporter_unable_grade"]:
        unable.append(_("disability grade %(grade)s") % {"grade": grade})
    if age is not None and age >= std["supporter_old_age"]:
        unable.append(_("%(age)s years old or older") % {"age": int(std["supporter_old_age"])})
    if income is not None and income < std["dibao"]:
        unable.append(_("household per-capita income %(income)s, under the 低保 standard %(std)s") % {
            "income": format_yuan(income), "std": format_yuan(std["dibao"])})
    if unable:
        return Capacity(supporter, False, unable, age, income)
    reasons = [_("none of the conditions of inability holds")]
    if income is None:
        reasons.append(_("the household income is not known, so it cannot show inability"))
    return Capacity(supporter, True, reasons, age, income)


def capacities(person, *, on: dt.date) -> list[Capacity]:
    """The capacity of every current supporter of ``person`` on ``on``."""
    region = person.household.region_code if person.household_id else person.region_code
    return [supporter_capacity(s, on=on, applicant_region=region) for s in supporter_list(person=person, on=on)]


def able_supporters(person, *, on: dt.date) -> int:
    """How many of the person's current supporters are able (the rule fact ``applicant_able_supporters``)."""
    return sum(1 for c in capacities(person, on=on) if c.able)


def able_supporters_by_person(person_ids, *, on: dt.date) -> dict[int, int]:
    """``able_supporters`` for many people at once (only people with a supporter appear; the rest have 0).

    Supporters are recorded for few people (those asking for 特困), so one query finds them and each is
    judged as above."""
    out: dict[int, int] = {}
    rows = (Supporter.objects.filter(person_id__in=list(person_ids), recorded_on__lte=on).exclude(ended_on__lte=on)
            .select_related("supporter_person__household", "person__household"))
    for supporter in rows:
        person = supporter.person
        region = person.household.region_code if person.household_id else person.region_code
        if supporter_capacity(supporter, on=on, applicant_region=region).able:
            out[person.pk] = out.get(person.pk, 0) + 1
    return out
