"""Writes to the registry: one function per use case, transactional and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core import crypto, regioncodes
from dajiuzhu.core.audit import audit_record, diff
from dajiuzhu.core.errors import Conflict, DomainError, Forbidden
from dajiuzhu.core.ids import mask_id_number, mask_phone
from dajiuzhu.regions.models import Region

from . import signals
from .models import (
    EventKind,
    FactSource,
    Household,
    HouseholdEvent,
    HouseholdFacts,
    HouseLoss,
    MemberFacts,
    Membership,
    Person,
    Relation,
    Supporter,
    SupportRelation,
)
from .numbering import household_number
from .policies import can_declare_facts_for_application, can_edit_household, can_register_in
from .validation import MemberInput

HOUSEHOLD_FIELDS = ("region_code", "hukou_region_code", "address")


def id_hash(id_number: str) -> str:
    return crypto.blind_index(id_number)


def _check_region(code: str, field: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise DomainError(_("unknown division code %(code)s") % {"code": code}, field=field)
    if region.level < Region.Level.TOWNSHIP:
        raise DomainError(_("a household must be located in a township or village"), field=field)
    return region


def _person_snapshot(person: Person) -> dict:
    return {"name": person.name, "id": person.id_masked, "household": person.household_id, "relation": person.relation,
            "region_code": person.region_code}


@transaction.atomic
def household_register(
    *,
    actor,
    region_code: str,
    members: Sequence[MemberInput],
    hukou_region_code: str = "",
    address: str = "",
    facts: dict | None = None,
    as_of: dt.date | None = None,
    source: str = FactSource.DECLARED,
) -> Household:
    """Register a new household with its members and (optionally) its economic facts.

    Refuses a person who is already in another household (move them instead), a household
    without exactly one head, and a region the actor may not register in.
    """
    _check_region(region_code, "region_code")
    if hukou_region_code:
        _check_region(hukou_region_code, "hukou_region_code")
    if not can_register_in(actor, region_code):
        raise Forbidden(_("you may not register households in %(code)s") % {"code": region_code}, field="region_code")
    if not members:
        raise DomainError(_("a household needs at least one member"), field="members")
    heads = [m for m in members if m.relation == Relation.HEAD]
    if len(heads) != 1:
        raise DomainError(_("a household needs exactly one head, found %(n)d") % {"n": len(heads)}, field="relation")
    hashes = [id_hash(m.id_number) for m in members]
    if len(set(hashes)) != len(hashes):
        raise DomainError(_("the same ID number appears twice in the household"), field="id_number")
    taken = Person.objects.filter(id_hash__in=hashes, household__isnull=False).values_list("id_masked", flat=True)
    if taken:
        raise Conflict(
            _("already in another household: %(ids)s (move the person instead)") % {"ids": ", ".join(taken)},
            field="id_number",
        )
    as_of = as_of or timezone.localdate()
    if as_of > timezone.localdate():
        raise DomainError(_("facts cannot describe a future date"), field="as_of")
    household = Household.objects.create(
        number=household_number(region_code),
        region_code=region_code,
        hukou_region_code=hukou_region_code,
        address=address,
        is_urban=regioncodes.is_urban_village(region_code),
    )
    for member, hashed in zip(members, hashes, strict=True):
        person = _upsert_person(member, hashed, household, region_code)
        Membership.objects.create(person=person, household=household, relation=member.relation, start=as_of)
        _record_member_facts(person, as_of=as_of, values=member.status_values(), source=source, actor=actor)
        if member.relation == Relation.HEAD:
            household.head = person
    household.save(update_fields=["head"])
    if facts is not None:
        # The registration's own audit event below carries the facts.
        _household_facts_write(actor=actor, household=household, as_of=as_of, values=facts, source=source)
    audit_record(actor=actor, action="household.register", obj=household,
                 new={"number": household.number, "region_code": region_code, "members": len(members),
                      "facts": facts})
    return household


def _upsert_person(member: MemberInput, hashed: str, household: Household, region_code: str) -> Person:
    values = {
        "name": member.name, "id_number": member.id_number, "id_masked": mask_id_number(member.id_number),
        "sex": member.sex, "birth_date": member.birth_date, "phone": member.phone,
        "phone_hash": crypto.blind_index(member.phone), "phone_masked": mask_phone(member.phone),
        "hukou_region_code": member.hukou_region_code, "household": household, "relation": member.relation,
        "region_code": region_code, "ethnicity": member.ethnicity or "汉族", "marital_status": member.marital_status,
        "education": member.education,
    }
    person, _created = Person.objects.update_or_create(id_hash=hashed, defaults=values)
    return person


def _record_member_facts(person: Person, *, as_of: dt.date, values: dict, source: str, actor) -> MemberFacts:
    user = actor if getattr(actor, "is_authenticated", False) else None
    facts, _created = MemberFacts.objects.update_or_create(
        person=person, as_of=as_of,
        defaults={**values, "region_code": person.region_code, "source": source, "recorded_by": user},
    )
    return facts


@transaction.atomic
def household_update(*, actor, household: Household, **changes) -> Household:
    """Change a household's location or address; members follow the residence region."""
    if not can_edit_household(actor, household):
        raise Forbidden(_("you may not change this household"))
    household = Household.objects.select_for_update().get(pk=household.pk)
    unknown = set(changes) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise DomainError(_("unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if "region_code" in changes:
        _check_region(changes["region_code"], "region_code")
        if not can_register_in(actor, changes["region_code"]):
            raise Forbidden(_("you may not move households to %(code)s") % {"code": changes["region_code"]})
    before = {f: getattr(household, f) for f in HOUSEHOLD_FIELDS}
    for field, value in changes.items():
        setattr(household, field, value)
    household.is_urban = regioncodes.is_urban_village(household.region_code)
    household.save()
    if household.region_code != before["region_code"]:
        household.members.update(region_code=household.region_code)
    old, new = diff(before, {f: getattr(household, f) for f in HOUSEHOLD_FIELDS})
    if new:
        audit_record(actor=actor, action="household.update", obj=household, old=old, new=new)
    return household


@transaction.atomic
def member_add(*, actor, household: Household, member: MemberInput, as_of: dt.date | None = None,
               source: str = FactSource.DECLARED) -> Person:
    """Add a person who is in no household yet (a birth, a marriage into the family)."""
    if not can_edit_household(actor, household):
        raise Forbidden(_("you may not change this household"))
    if member.relation == Relation.HEAD:
        raise DomainError(_("the household already has a head"), field="relation")
    hashed = id_hash(member.id_number)
    if Person.objects.filter(id_hash=hashed, household__isnull=False).exists():
        raise Conflict(_("this person is already in a household (move them instead)"), field="id_number")
    as_of = as_of or timezone.localdate()
    person = _upsert_person(member, hashed, household, household.region_code)
    Membership.objects.create(person=person, household=household, relation=member.relation, start=as_of)
    _record_member_facts(person, as_of=as_of, values=member.status_values(), source=source, actor=actor)
    audit_record(actor=actor, action="member.add", obj=person, region_code=household.region_code,
                 new=_person_snapshot(person))
    return person


@transaction.atomic
def member_move(*, actor, person: Person, to_household: Household, relation: str, on: dt.date | None = None) -> Person:
    """Move a person to another household (audited); their old membership ends on ``on``."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    source_household = person.household
    for household in filter(None, [source_household, to_household]):
        if not can_edit_household(actor, household):
            raise Forbidden(_("you may not change this household"))
    if source_household and source_household.head_id == person.pk:
        raise DomainError(_("the head cannot leave the household; name another head first"), field="relation")
    if relation == Relation.HEAD:
        raise DomainError(_("the household already has a head"), field="relation")
    if source_household and source_household.pk == to_household.pk:
        raise DomainError(_("the person is already in this household"))
    on = on or timezone.localdate()
    current = Membership.objects.filter(person=person, end__isnull=True).first()
    if current and on < current.start:
        raise DomainError(_("the move date is before the person joined the current household"), field="on")
    before = _person_snapshot(person)
    Membership.objects.filter(person=person, end__isnull=True).update(end=on)
    try:
        Membership.objects.create(person=person, household=to_household, relation=relation, start=on)
    except IntegrityError:
        raise Conflict(_("the person is still in another household")) from None
    person.household, person.relation, person.region_code = to_household, relation, to_household.region_code
    person.save(update_fields=["household", "relation", "region_code", "updated_at"])
    audit_record(actor=actor, action="member.move", obj=person, region_code=to_household.region_code,
                 old=before, new=_person_snapshot(person))
    return person


@transaction.atomic
def member_facts_record(*, actor, person: Person, as_of: dt.date, values: dict,
                        source: str = FactSource.DECLARED, declared_change: bool = False) -> MemberFacts:
    """A new dated observation of a member's status (an earlier one on the same day is replaced).

    ``declared_change=True``: a change of circumstances the family declares itself (掌上办: a job lost, an
    illness), which a resident may record for their own household (``can_declare_facts_for_application``).
    The other fields carry over from the member's latest observation."""
    allowed = (can_declare_facts_for_application(actor, person.household) if declared_change and person.household
               else not person.household or can_edit_household(actor, person.household))
    if not allowed:
        raise Forbidden(_("you may not change this household"))
    if declared_change:
        source = FactSource.DECLARED
        latest = MemberFacts.objects.filter(person=person, as_of__lte=as_of).order_by("-as_of").first()
        carried = ("health", "illness", "disability_category", "disability_grade", "disability_certificate",
                   "adl_failed", "labour", "employment")
        values = {**({k: getattr(latest, k) for k in carried} if latest else {}), **values}
    previous = MemberFacts.objects.filter(person=person, as_of__lte=as_of).order_by("-as_of").first()
    facts = _record_member_facts(person, as_of=as_of, values=values, source=source, actor=actor)
    before = {k: getattr(previous, k) for k in values} if previous else {}
    old, new = diff(before, values)
    audit_record(actor=actor, action="member.facts", obj=person, region_code=person.region_code, old=old,
                 new={**new, "as_of": as_of, "source": source})
    return facts


@transaction.atomic
def household_facts_record(*, actor, household: Household, as_of: dt.date, values: dict,
                           source: str = FactSource.DECLARED, audit: bool = True,
                           for_application: bool = False, audit_later: list | None = None) -> HouseholdFacts:
    """A new dated observation of a household's income, assets, spending and housing.

    ``for_application=True``: the facts a family declares with an application, which a township
    window of the same county may record for a household of another township (apply anywhere,
    ``policies.can_declare_facts_for_application``); the audit event says so. ``audit=False`` only
    for callers that audit the operation themselves; it never widens who may write. ``audit_later``: a
    list the audit event (``audit_record``'s keyword arguments) is appended to instead of being recorded
    here — the caller records it later in the same transaction (the window, with its case's event).
    """
    allowed = (can_declare_facts_for_application(actor, household) if for_application
               else can_edit_household(actor, household))
    if not allowed:
        raise Forbidden(_("you may not change this household"))
    if as_of > timezone.localdate():
        raise DomainError(_("facts cannot describe a future date"), field="as_of")
    # The observation before this one is read only for the audit event's "old" values.
    previous = (HouseholdFacts.objects.filter(household=household, as_of__lte=as_of).order_by("-as_of").first()
                if audit else None)
    facts = _household_facts_write(actor=actor, household=household, as_of=as_of, values=values, source=source)
    if audit:
        before = {k: getattr(previous, k) for k in values} if previous else {}
        old, new = diff(before, values)
        event = {"actor": actor, "action": "household.facts", "obj": household, "old": old,
                 "new": {**new, "as_of": as_of, "source": source, **({"for": "application"} if for_application else {})}}
        if audit_later is not None:
            audit_later.append(event)
        else:
            audit_record(**event)
    return facts


def _household_facts_write(*, actor, household: Household, as_of: dt.date, values: dict, source: str) -> HouseholdFacts:
    """The write itself, for services that checked the right and audit the whole operation.

    What ``HouseholdFacts.objects.update_or_create(household=…, as_of=…, defaults=…)`` does, in one
    statement and without its savepoints: ``INSERT … ON CONFLICT (household_id, as_of) DO UPDATE`` of the
    given fields (an earlier observation of the same day is replaced, its other fields and ``recorded_at``
    kept), the stored row returned (PostgreSQL and SQLite ≥ 3.35 alike). No signal listens to this model.
    """
    user = actor if getattr(actor, "is_authenticated", False) else None
    changes = {**values, "region_code": household.region_code, "source": source,
               "recorded_by_id": user.pk if user is not None else None}
    sql, fields, returned = _facts_upsert_sql(tuple(changes))
    now = timezone.now()
    params = []
    for field in fields:
        if field.attname in changes:
            value = changes[field.attname]
        elif field.attname == "household_id":
            value = household.pk
        elif field.attname == "as_of":
            value = as_of
        elif field.attname == "recorded_at":
            value = now
        else:
            value = field.get_default()
        params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    values_read = []
    for value, (field, converters) in zip(row, returned, strict=True):
        for converter in converters:
            value = converter(value, field, connection)
        values_read.append(value)
    return HouseholdFacts.from_db(connection.alias, [f.target.attname for f, _c in returned], values_read)


_FACTS_UPSERT: dict[tuple, tuple] = {}


def _facts_upsert_sql(changed: tuple[str, ...]):
    """The upsert statement of ``_household_facts_write`` for these changed attnames (built once per process
    and database vendor): (sql, the inserted fields in order, the returned columns with their converters)."""
    key = (connection.vendor, changed)
    hit = _FACTS_UPSERT.get(key)
    if hit is not None:
        return hit
    opts = HouseholdFacts._meta
    quote = connection.ops.quote_name
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    unknown = set(changed) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"not household facts fields: {sorted(unknown)}")
    table = quote(opts.db_table)
    updated = [quote(opts.get_field(name).column) for name in changed]  # get_field takes the attname too
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in updated)
    cols = [f.get_col(opts.db_table) for f in opts.concrete_fields]
    sql = (f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))}) "
           f"ON CONFLICT ({quote(opts.get_field('household').column)}, {quote(opts.get_field('as_of').column)}) "
           f"DO UPDATE SET {updates} "
           f"RETURNING {', '.join(quote(c.target.column) for c in cols)}")
    returned = tuple((c, tuple(connection.ops.get_db_converters(c)) + tuple(c.get_db_converters(connection)))
                     for c in cols)
    hit = (sql, fields, returned)
    _FACTS_UPSERT[key] = hit
    return hit


@transaction.atomic
def person_record_death(*, actor, person: Person, on: dt.date) -> Person:
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.household and not can_edit_household(actor, person.household):
        raise Forbidden(_("you may not change this household"))
    before = person.deceased_on
    person.deceased_on = on
    person.save(update_fields=["deceased_on", "updated_at"])
    audit_record(actor=actor, action="person.death", obj=person, region_code=person.region_code,
                 old={"deceased_on": before}, new={"deceased_on": on})
    if before is None:
        transaction.on_commit(lambda: signals.person_died.send(sender=Person, person=person, on=on))
    return person


# ---------------------------------------------------------------- legal supporters


@transaction.atomic
def supporter_add(*, actor, person: Person, relation: str, name: str = "", id_number: str = "",
                  birth_date: dt.date | None = None, residence_region_code: str = "", full_time_student: bool = False,
                  receives_assistance: bool = False, disability_grade: int | None = None,
                  per_capita_income=None, recorded_on: dt.date | None = None) -> Supporter:
    """Record a legal supporter (赡养/抚养/扶养义务人) of ``person``; one in the registry is linked by ID number.

    Refuses the person as their own supporter, an unknown relation, a grade outside 1–4, a negative
    income and a birth date in the future; nothing is written then.
    """
    from dajiuzhu.core.ids import InvalidIdNumber, parse_id_number

    if person.household is None or not can_edit_household(actor, person.household):
        raise Forbidden(_("you may not change this household"))
    if relation not in SupportRelation.values:
        raise DomainError(_("unknown value %(value)s") % {"value": relation}, field="relation")
    today = timezone.localdate()
    linked = None
    hashed = masked = ""
    if id_number:
        try:
            parsed = parse_id_number(id_number, today=today)
        except InvalidIdNumber as exc:
            raise DomainError(str(exc), field="id_number") from None
        hashed, masked = id_hash(parsed.number), mask_id_number(parsed.number)
        if hashed == person.id_hash:
            raise DomainError(_("the applicant cannot be their own supporter"), field="id_number")
        linked = Person.objects.filter(id_hash=hashed).first()
        birth_date = birth_date or parsed.birth_date
        name = name or (linked.name if linked else "")
    if not name:
        raise DomainError(_("give the supporter's name or ID number"), field="name")
    if birth_date and birth_date > today:
        raise DomainError(_("a birth date cannot be in the future"), field="birth_date")
    if disability_grade is not None and not 1 <= disability_grade <= 4:
        raise DomainError(_("a disability grade is 1 to 4"), field="disability_grade")
    if per_capita_income is not None and per_capita_income < 0:
        raise DomainError(_("an income cannot be negative"), field="per_capita_income")
    if residence_region_code and not Region.objects.filter(code=residence_region_code).exists():
        raise DomainError(_("unknown division code %(code)s") % {"code": residence_region_code},
                          field="residence_region_code")
    if linked is not None and not residence_region_code:
        residence_region_code = linked.region_code
    supporter = Supporter.objects.create(
        person=person, region_code=person.household.region_code, relation=relation, supporter_person=linked,
        name=name, id_masked=masked, id_hash=hashed, birth_date=birth_date,
        residence_region_code=residence_region_code, full_time_student=full_time_student,
        receives_assistance=receives_assistance, disability_grade=disability_grade,
        per_capita_income=per_capita_income, recorded_on=recorded_on or today, recorded_by=actor)
    audit_record(actor=actor, action="supporter.add", obj=person, region_code=person.household.region_code,
                 new={"supporter": supporter.pk, "relation": relation, "name": name, "id": masked,
                      "in_registry": linked is not None, "lives_in": residence_region_code,
                      "student": full_time_student, "assisted": receives_assistance, "grade": disability_grade,
                      "per_capita_income": per_capita_income})
    return supporter


@transaction.atomic
def supporter_end(*, actor, supporter: Supporter, on: dt.date, reason: str) -> Supporter:
    """No longer a supporter from ``on`` (a death, a divorce, a court decision); audited with the reason."""
    if not can_edit_household(actor, supporter.person.household):
        raise Forbidden(_("you may not change this household"))
    if not reason.strip():
        raise DomainError(_("give the reason"), field="reason")
    if on < supporter.recorded_on:
        raise DomainError(_("the end cannot be before the supporter was recorded"), field="on")
    supporter.ended_on = on
    supporter.save(update_fields=["ended_on"])
    audit_record(actor=actor, action="supporter.end", obj=supporter.person, region_code=supporter.region_code,
                 new={"supporter": supporter.pk, "on": on, "reason": reason})
    return supporter


# ---------------------------------------------------------------- emergencies (急难)


@transaction.atomic
def household_event_record(*, actor, household: Household, kind: str, occurred_on: dt.date, place: str,
                           loss=0, house: str = HouseLoss.NONE, injured: int = 0, deaths: int = 0,
                           description: str = "", case_id: int | None = None,
                           for_application: bool = False) -> HouseholdEvent:
    """Record an emergency that struck the household (fire, accident, sudden illness, disaster) as a dated fact.

    Refuses (nothing written) an event in the future, a negative loss or count, an unknown kind or house
    state, and a household the actor may not declare facts for (``for_application``: as with the facts
    declared with an application, any township window of the county — the emergency is handled where it
    happened)."""
    allowed = (can_declare_facts_for_application(actor, household) if for_application
               else can_edit_household(actor, household))
    if not allowed:
        raise Forbidden(_("you may not change this household"))
    if kind not in EventKind.values:
        raise DomainError(_("unknown value %(value)s") % {"value": kind}, field="kind")
    if house not in HouseLoss.values:
        raise DomainError(_("unknown value %(value)s") % {"value": house}, field="house")
    if occurred_on > timezone.localdate():
        raise DomainError(_("the event cannot be dated in the future"), field="occurred_on")
    try:
        loss = Decimal(str(loss))
    except InvalidOperation:
        raise DomainError(_("the loss must be an amount in yuan"), field="loss") from None
    if loss < 0:
        raise DomainError(_("the loss cannot be below zero"), field="loss")
    if loss != loss.quantize(Decimal("0.01")):
        raise DomainError(_("the loss has at most 2 decimal places"), field="loss")
    for field, value in (("injured", injured), ("deaths", deaths)):
        if value < 0:
            raise DomainError(_("a number of people cannot be below zero"), field=field)
    if not place.strip():
        raise DomainError(_("say where it happened"), field="place")
    event = HouseholdEvent.objects.create(
        household=household, region_code=household.region_code, kind=kind, occurred_on=occurred_on,
        place=place.strip(), loss=loss, house=house, injured=injured, deaths=deaths, description=description,
        case_id=case_id, recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit_record(actor=actor, action="household.event", obj=household,
                 new={"event": event.pk, "kind": kind, "occurred_on": occurred_on, "place": event.place, "loss": loss,
                      "house": house, "injured": injured, "deaths": deaths,
                      **({"for": "application"} if for_application else {})})
    return event


# Observation fields that describe the household (everything but the row's bookkeeping).
_FACT_VALUE_FIELDS = tuple(
    f.attname for f in HouseholdFacts._meta.concrete_fields
    if f.attname not in {"id", "household_id", "region_code", "as_of", "source", "recorded_at", "recorded_by_id"}
)
_INCOME_FIELDS = frozenset(HouseholdFacts.INCOME_FIELDS)


@transaction.atomic
def household_income_adjust(*, actor, household: Household, as_of: dt.date, field: str, delta,
                            reason: str) -> HouseholdFacts:
    """A change of one monthly income of the household from a known source (a public-welfare job's wage,
    its end): a new dated observation on ``as_of`` carrying every value of the latest observation on or
    before that day, with ``field`` moved by ``delta`` (yuan per month, never below nil). Audited with the
    reason, so the next rules evaluation and index run see the change."""
    if field not in _INCOME_FIELDS:
        raise DomainError(_("not an income of the household: %(field)s") % {"field": field}, field="field")
    if not can_edit_household(actor, household):
        raise Forbidden(_("you may not change this household"))
    if as_of > timezone.localdate():
        raise DomainError(_("facts cannot describe a future date"), field="as_of")
    latest = HouseholdFacts.objects.filter(household=household, as_of__lte=as_of).order_by("-as_of").first()
    values = {name: getattr(latest, name) for name in _FACT_VALUE_FIELDS} if latest else {}
    before = values.get(field, 0) or 0
    after = max(before + delta, 0)
    values[field] = after
    facts = _household_facts_write(actor=actor, household=household, as_of=as_of, values=values,
                                   source=FactSource.VERIFIED)
    audit_record(actor=actor, action="household.income_adjust", obj=household, old={field: before},
                 new={field: after, "as_of": as_of, "reason": reason[:200]})
    return facts


_MEMBER_VALUE_FIELDS = tuple(
    f.attname for f in MemberFacts._meta.concrete_fields
    if f.attname not in {"id", "person_id", "region_code", "as_of", "source", "recorded_at", "recorded_by_id"}
)


@transaction.atomic
def member_status_change(*, actor, person: Person, as_of: dt.date, values: dict, reason: str) -> MemberFacts:
    """A change of some of a member's status (employment on taking or leaving a job): a new observation on
    ``as_of`` carrying every other value of the member's latest observation, audited with the reason."""
    unknown = set(values) - set(_MEMBER_VALUE_FIELDS)
    if unknown:
        raise DomainError(_("not member facts: %(names)s") % {"names": ", ".join(sorted(unknown))}, field="values")
    if person.household is None or not can_edit_household(actor, person.household):
        raise Forbidden(_("you may not change this household"))
    if as_of > timezone.localdate():
        raise DomainError(_("facts cannot describe a future date"), field="as_of")
    latest = MemberFacts.objects.filter(person=person, as_of__lte=as_of).order_by("-as_of").first()
    carried = {name: getattr(latest, name) for name in _MEMBER_VALUE_FIELDS} if latest else {}
    before = {k: carried.get(k) for k in values}
    facts = _record_member_facts(person, as_of=as_of, values={**carried, **values}, source=FactSource.VERIFIED,
                                 actor=actor)
    audit_record(actor=actor, action="member.status_change", obj=person, region_code=person.region_code,
                 old=before, new={**values, "as_of": as_of, "reason": reason[:200]})
    return facts
