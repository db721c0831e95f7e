"""The window's one form, as one service: find or register the household, record the declared facts,
submit the application, and decide it at once — all in one transaction (a refusal changes nothing).

Apply anywhere (不受户籍地、居住地限制): a township window may find a household of another township
of the same county, but only by an exact, full ID number — never by browsing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core import crypto
from dajiuzhu.core.errors import Conflict, DomainError
from dajiuzhu.core.ids import InvalidIdNumber, parse_id_number

from .models import Case, Channel


@dataclasses.dataclass
class NewHousehold:
    region_code: str
    members: list  # raw member mappings (registry.validation.parse_member input)
    address: str = ""
    hukou_region_code: str = ""


def household_lookup(*, actor, id_number: str):
    """The household of the person with this full ID number, if the actor may take their application.

    Inside the actor's jurisdiction the registry's own lookup; a township window also finds a
    person anywhere in its county, by the exact number only.
    """
    person = lookup_person(actor=actor, id_number=id_number)
    return person.household if person is not None else None


def lookup_person(*, actor, id_number: str):
    """The person (in a household) with this full ID number whose application the actor may take."""
    from dajiuzhu.core.scoping import region_in_scope

    try:
        number = parse_id_number(id_number).number
    except InvalidIdNumber as exc:
        raise DomainError(str(exc), field="id_number") from None
    # One query: the blind index is unique, so the person is fetched once and the two rules are applied to
    # it — the registry's (``scope(..., perm="registry.view")``, as ``person_find_by_id_number``) and the
    # township window's (anywhere in its own county, by the exact number only).
    person = _person_with_household(crypto.blind_index(number))
    if person is None or person.household is None:
        return None
    if region_in_scope(actor, person.region_code, perm="registry.view"):
        return person
    if (getattr(actor, "role", None) == "township_handler" and actor.has_perm_code("cases.create")
            and person.region_code.startswith(actor.region_id[:6])):
        return person
    return None


def _person_with_household(id_hash: str):
    """``Person.objects.select_related("household").filter(id_hash=…).first()`` in SQL written once (the
    window's lookup runs for every application; ``core.sql``)."""
    from dajiuzhu.core import sql
    from dajiuzhu.registry.models import Household, Person

    p, h = sql.columns(Person, "p"), sql.columns(Household, "h")
    return sql.fetch_joined(f"SELECT {p.sql}, {h.sql} FROM registry_person p LEFT JOIN registry_household h"
                            " ON h.id = p.household_id WHERE p.id_hash = %s ORDER BY p.id LIMIT 1", [id_hash],
                            p, h, "household")


def _parse_members(raw_members: Sequence[Mapping]):
    from dajiuzhu.registry.validation import RowInvalid, parse_member

    members, problems = [], []
    for index, raw in enumerate(raw_members, start=1):
        if not any(str(v).strip() for v in raw.values() if v is not None):
            continue
        try:
            members.append(parse_member(raw))
        except RowInvalid as exc:
            label = _("member %(n)d") % {"n": index}
            problems += [f"{label} {field}: {reason}" for field, reason in exc.problems]
    if problems:
        raise DomainError("; ".join(problems), field="members")
    return members


def _parse_facts(raw: Mapping) -> dict:
    from dajiuzhu.registry.validation import RowInvalid, parse_household_facts

    try:
        return parse_household_facts(raw)
    except RowInvalid as exc:
        raise DomainError("; ".join(f"{field}: {reason}" for field, reason in exc.problems), field="facts") from None


@transaction.atomic
def window_submit(
    *,
    actor,
    item_codes: Sequence[str],
    facts: Mapping,
    promise_signed: bool,
    authorisation_signed: bool,
    id_number: str = "",
    household_id: int | None = None,
    new_household: NewHousehold | None = None,
    channel: str = Channel.WINDOW,
    note: str = "",
    on: dt.date | None = None,
) -> Case:
    """Lookup-or-register, declared facts, application and instant decision in one request."""
    from dajiuzhu.registry.models import FactSource, Household
    from dajiuzhu.registry.services import household_facts_record, household_register

    from .services import application_submit

    on = on or timezone.localdate()
    values = _parse_facts(facts)
    household = None
    if getattr(actor, "role", None) == "resident":
        # The resident online (掌上办): always their own household.
        from dajiuzhu.registry.models import Person

        me = Person.objects.select_related("household").filter(id_hash=actor.person_id_hash).exclude(id_hash="").first()
        if me is None or me.household is None:
            raise DomainError(_("your account is not linked to a registered household; apply at a window"))
        household, channel, id_number, household_id = me.household, Channel.ONLINE, "", None
    elif household_id:
        from dajiuzhu.core.scoping import get_scoped

        try:
            household = get_scoped(Household.objects.all(), actor, perm="registry.view", pk=household_id)
        except Http404:
            if not id_number:
                raise
    applicant = latest_facts = facts_audit = None
    if household is None and id_number:
        applicant = lookup_person(actor=actor, id_number=id_number)
        household = applicant.household if applicant is not None else None
        if household is not None and household_id and household.pk != household_id:
            raise DomainError(_("the ID number belongs to another household"), field="id_number")
    if household is None:
        if new_household is None or not new_household.members:
            raise DomainError(_("no household found for this ID number: register the family in the same form"),
                              field="id_number")
        members = _parse_members(new_household.members)
        if not members:
            raise DomainError(_("enter the members of the new household"), field="members")
        try:
            with transaction.atomic():
                household = household_register(
                    actor=actor, region_code=new_household.region_code.strip(), members=members,
                    hukou_region_code=new_household.hukou_region_code.strip(), address=new_household.address.strip(),
                    facts=values, as_of=on, source=FactSource.DECLARED,
                )
        except IntegrityError:
            raise Conflict(_("another window has just registered this family; look it up again")) from None
        applicant = household.head
    else:
        # The registry decides who may write (``for_application``: a window of another township of the
        # county may record the facts a family declares with its application — apply anywhere). The
        # household's own editors get the registry's audit event with the change; another township's
        # window gets one here, taken last (below).
        from dajiuzhu.registry.policies import can_edit_household

        own = can_edit_household(actor, household)
        # The household's own editors get the registry's event (with the old values), another township's
        # window the event below; either is taken last, with the case's own event in one INSERT: the audit
        # chain is serialised on a lock held until commit, so taking it last keeps concurrent windows apart
        # for the least time. Same transaction, same event. Already inside this function's transaction:
        # the registry's write without another savepoint.
        later: list[dict] = []
        latest_facts = household_facts_record.__wrapped__(actor=actor, household=household, as_of=on, values=values,
                                                          source=FactSource.DECLARED, audit=own, for_application=True,
                                                          audit_later=later)
        facts_audit = later[0] if own else {
            "actor": actor, "action": "household.facts", "obj": household,
            "new": {**values, "as_of": on, "source": FactSource.DECLARED, "for": "application"}}
        if applicant is None and id_number:
            from dajiuzhu.registry.models import Person

            applicant = Person.objects.filter(id_hash=crypto.blind_index(parse_id_number(id_number).number),
                                              household=household).first()
    # Already inside this function's transaction: call the service's body without another savepoint.
    return application_submit.__wrapped__(
        actor=actor, household=household, item_codes=item_codes, channel=channel, promise_signed=promise_signed,
        authorisation_signed=authorisation_signed, applicant=applicant, note=note, on=on, latest_facts=latest_facts,
        before_audit=facts_audit)
