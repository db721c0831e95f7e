"""What a client may learn: the field sets, and the ``reg_records`` (social registry ``Person``) built
from them.

Every record carries the platform's own person number (``PERSON_ID``) so a client can refer to the
person again; everything else is a field the client's set must contain. The health bureau's client,
for instance, has ``name``, ``roster`` ("in 低保 since, tier") and nothing about incomes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dajiuzhu.credit.models import DishonestyRecord, RecordStatus
from dajiuzhu.indices.models import RosterEntry
from dajiuzhu.registry.facts import household_facts
from dajiuzhu.registry.models import MemberFacts, Person

SCHEMA_CONTEXT = "https://schema.spdci.org/extensions/social/v1/Person.jsonld"

FIELDS: dict[str, object] = {
    "name": _("name"),
    "sex": _("sex"),
    "birth_date": _("birth date"),
    "uin": _("resident ID number (full)"),
    "household_identifier": _("household number and relation to the head"),
    "address": _("residence region code"),
    "death": _("whether and when the person died"),
    "roster": _("assistance tiers (低保, 特困, low-income roster): since when"),
    "disability": _("disability grade and category"),
    "employment": _("employment status"),
    "income": _("household size and income per person per month"),
    "dishonesty": _("whether a dishonesty record is in force"),
}

SEX = {"M": "male", "F": "female"}


def _name(name: str) -> dict:
    # Chinese names: the family name is the first character (two for the common compound surnames).
    compound = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐")
    cut = 2 if name[:2] in compound else 1
    return {"@type": "Name", "surname": name[:cut], "given_name": name[cut:]}


def build_records(people: list[Person], *, fields: Iterable[str], on: dt.date | None = None,
                  show_uin: bool = False) -> list[dict]:
    """``reg_records`` of ``people`` with only ``fields`` (a few queries for the whole page)."""
    fields = set(fields)
    on = on or timezone.localdate()
    household_ids = {p.household_id for p in people if p.household_id}
    person_ids = [p.pk for p in people]
    tiers: dict[int, list[dict]] = defaultdict(list)
    if "roster" in fields and household_ids:
        for entry in RosterEntry.objects.filter(household_id__in=household_ids, until__isnull=True) \
                .order_by("tier").values("household_id", "tier", "since", "valid_until"):
            tiers[entry["household_id"]].append({"tier": entry["tier"], "since": entry["since"].isoformat(),
                                                 **({"valid_until": entry["valid_until"].isoformat()}
                                                    if entry["valid_until"] else {})})
    member: dict[int, MemberFacts] = {}
    if fields & {"disability", "employment"} and person_ids:
        for facts in MemberFacts.objects.filter(person_id__in=person_ids, as_of__lte=on).order_by("person_id", "as_of"):
            member[facts.person_id] = facts
    listed: set[int] = set()
    if "dishonesty" in fields and person_ids:
        listed = set(DishonestyRecord.objects.filter(person_id__in=person_ids, status=RecordStatus.ACTIVE,
                                                     start__lte=on, expiry__gt=on).values_list("person_id", flat=True))
    income: dict[int, dict] = {}
    if "income" in fields:
        for household_id in household_ids:
            try:
                row = household_facts(household_id, on=on)
            except LookupError:
                continue
            income[household_id] = {"household_size": int(row["household_size"]),
                                    "per_capita_income": str(row["per_capita_income"])}
    records = []
    for person in people:
        identifiers = [{"@type": "Identifier", "identifier_type": "PERSON_ID", "identifier_value": str(person.pk)}]
        if "uin" in fields and show_uin:
            identifiers.append({"@type": "Identifier", "identifier_type": "UIN",
                                "identifier_value": person.id_number})
        record: dict = {"@context": SCHEMA_CONTEXT, "@type": "Person", "identifier": identifiers}
        if "name" in fields:
            record["name"] = _name(person.name)
        if "sex" in fields:
            record["sex"] = SEX.get(person.sex, "")
        if "birth_date" in fields:
            record["birth_date"] = person.birth_date.isoformat()
        if "household_identifier" in fields:
            record["household_identifier"] = person.household.number if person.household_id else ""
            record["household_status"] = person.relation
        if "address" in fields:
            record["address"] = {"@type": "Address", "region_code": person.region_code, "country_code": "CN"}
        if "death" in fields:
            record["is_deceased"] = person.deceased_on is not None
            record["death_date"] = person.deceased_on.isoformat() if person.deceased_on else ""
        if "roster" in fields:
            record["assistance"] = tiers.get(person.household_id, [])
        if "disability" in fields:
            facts = member.get(person.pk)
            grade = facts.disability_grade if facts else None
            record["is_disabled"] = grade is not None
            record["disability_type"] = facts.disability_category if facts and grade else ""
            record["functional_severity"] = str(grade) if grade else ""
        if "employment" in fields:
            facts = member.get(person.pk)
            record["employment_status"] = facts.employment if facts else ""
        if "income" in fields:
            record["household"] = income.get(person.household_id, {})
        if "dishonesty" in fields:
            record["dishonesty_listed"] = person.pk in listed
        record["last_updated"] = person.updated_at.isoformat()
        records.append(record)
    return records
