"""Writes of the cases app: applications, the instant decision, the check-first path, decisions.

Every function is keyword-only, atomic, audited in the same transaction, and locks the rows it
changes. Side effects (signals, verification jobs) run on commit. Reviews, revocations and
appeals live in ``cases.reviews``; public notices and objections in ``cases.notices``; they are
re-exported here so callers need one import.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record_many
from dajiuzhu.core.errors import Conflict, DomainError, ErrorCode, Forbidden
from dajiuzhu.core.ids import mask_name
from dajiuzhu.core.money import money

from . import hooks, signals
from .dates import add_months, month_end, next_cycle
from .models import (
    Case,
    CaseEvent,
    CaseItem,
    CaseStatus,
    Channel,
    ItemStatus,
    Path,
    Signature,
)

PROMISE_TEXT_VERSION = "XY-2026.1"
AUTHORISATION_TEXT_VERSION = "SQ-2026.1"
# Tiers of the low-income population, in the order one application is sorted into them (分类认定).
TIER_ORDER = ("tekun", "dibao", "near_poor", "rigid")
IRREGULAR_EMPLOYMENT = ("self_employed", "farming")
REVIEW_MONTHS, REVIEW_MONTHS_IRREGULAR = 12, 6
ADULT_AGE = 18


class DuplicateApplication(DomainError):
    code = ErrorCode.DUPLICATE


# --------------------------------------------------------------------------- helpers


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _event(case: Case, action: str, actor, *, from_status: str = "", to_status: str = "", opinion: str = "",
           data: dict | None = None, case_item: CaseItem | None = None, save: bool = True) -> CaseEvent:
    user = _user(actor)
    event = CaseEvent(
        case=case, case_item=case_item, action=action, from_status=from_status, to_status=to_status, actor=user,
        actor_name=(user.display_name if user else _("the platform"))[:150], opinion=opinion, data=data or {},
    )
    if save:
        event.save(force_insert=True)
    return event


def _jsonable_reasons(reasons: Iterable) -> list[str]:
    return [str(r) for r in reasons]


def _item_name(item) -> str:
    return str(getattr(item, "name", "") or item.code)


def living_members(household, on: dt.date):
    from dajiuzhu.registry.selectors import household_members

    return [p for p in household_members(household=household, on=on) if not p.deceased_on or p.deceased_on > on]


_READ = object()


def irregular_income(household, on: dt.date, members=None, latest_facts=_READ) -> bool:
    """Business or farming income is irregular: the review then falls due after 6 months, not 12.

    ``members``: the living members with their member facts up to ``on`` prefetched (``living_members``);
    ``latest_facts``: the household's latest ``HouseholdFacts`` on or before ``on`` if the caller holds it.
    """
    from dajiuzhu.registry.selectors import household_facts_on

    facts = household_facts_on(household=household, on=on) if latest_facts is _READ else latest_facts
    if facts is not None and facts.monthly_business_income > 0:
        return True
    for person in members if members is not None else living_members(household, on):
        latest = _latest_member_facts(person)
        if latest is not None and latest.employment in IRREGULAR_EMPLOYMENT:
            return True
    return False


def _latest_member_facts(person):
    """The member's latest ``MemberFacts`` up to the day the members were read for (None if none)."""
    if hasattr(person, "latest_facts"):  # read with the member (``locked_household_with_members``)
        return person.latest_facts
    return next(iter(person.facts.all()), None)


def locked_household_with_members(household_id: int, on: dt.date, *, next_case_id: bool = False,
                                  catalogue_stamp: bool = False):
    """The household, locked for the application (``SELECT … FOR UPDATE`` on PostgreSQL), and its living
    members on ``on`` (oldest first) each with ``latest_facts``, their latest ``MemberFacts`` up to ``on``
    (None if none) — one statement: what ``select_for_update().get()`` and ``living_members`` read in three.
    Returns (household, members, case id): with ``next_case_id`` (PostgreSQL) the same statement takes the
    id of the case to be written from its sequence (a refused application leaves a gap, as a rolled-back
    insert always did), else None. With ``catalogue_stamp`` the household also carries
    ``catalogue_stamp``, the programs catalogue's stamp read by the same statement (``programs.cache``).

    The members come from the statement's snapshot: a decision that waited for the lock held by another
    decision of the same household sees the members as they were when it started waiting (decisions never
    change members or member facts; the duplicate check that follows is a new statement and sees what the
    other decision wrote)."""
    from dajiuzhu.core import sql
    from dajiuzhu.programs import cache
    from dajiuzhu.registry.models import Household, MemberFacts, Person

    h, p, f = sql.columns(Household, "h"), sql.columns(Person, "p"), sql.columns(MemberFacts, "mf")
    # An uncorrelated scalar subquery is evaluated once (an InitPlan): one id whatever the number of rows.
    case_id = (", (SELECT nextval(pg_get_serial_sequence('cases_case', 'id')))" if next_case_id else "")
    stamp = f", {cache.stamp_columns()}" if catalogue_stamp else ""
    statement = (
        f"SELECT {h.sql}, {p.sql}, {f.sql}{case_id}{stamp} FROM registry_household h"
        " LEFT JOIN registry_person p ON p.household_id = h.id AND (p.deceased_on IS NULL OR p.deceased_on > %s)"
        " LEFT JOIN registry_memberfacts mf ON mf.id = (SELECT f1.id FROM registry_memberfacts f1"
        "   WHERE f1.person_id = p.id AND f1.as_of <= %s ORDER BY f1.as_of DESC LIMIT 1)"
        " WHERE h.id = %s ORDER BY p.birth_date, p.id" + sql.for_update(of="h"))
    with connection.cursor() as cursor:
        cursor.execute(statement, [on, on, household_id])
        rows = cursor.fetchall()
    if not rows:
        raise Household.DoesNotExist("No household matches the given query.")
    household = h.build(rows[0])
    if catalogue_stamp:
        household.catalogue_stamp = cache.stamp_of(rows[0][-cache.STAMP_WIDTH:])
    members = []
    for row in rows:
        person = p.build(row, h.width)
        if person is None:
            continue
        person.household = household
        person.latest_facts = f.build(row, h.width + p.width)
        members.append(person)
    return household, members, (rows[0][h.width + p.width + f.width] if next_case_id else None)


def open_and_covering(household, members, on: dt.date):
    """In one statement: the household's open items (``open_items``) with their cases, and the open
    (pending or approved) items of other households that cover one of ``members``, with their cases and
    households — what ``check_duplicates`` reads when not given them. Each list in the order of the ORM
    reads it replaces (case, id)."""
    from dajiuzhu.core import sql
    from dajiuzhu.registry.models import Household

    ci, c, h = sql.columns(CaseItem, "ci"), sql.columns(Case, "c"), sql.columns(Household, "h")
    member_ids = [p.pk for p in members]
    select = (f"SELECT {{part}} AS part, {ci.sql}, {c.sql}, {h.sql} FROM cases_caseitem ci"
              " JOIN cases_case c ON c.id = ci.case_id JOIN registry_household h ON h.id = ci.household_id")
    statement = (
        f"{select.format(part=0)} WHERE ci.household_id = %s AND (ci.status = %s OR (ci.status = %s AND ci.periodic = %s)"
        " OR (ci.status = %s AND ci.periodic = %s AND ci.effective_to >= %s))"
        f" UNION ALL {select.format(part=1)} WHERE ci.status IN (%s, %s) AND ci.household_id <> %s AND ci.id IN"
        f" (SELECT cv.caseitem_id FROM cases_caseitem_covered cv WHERE cv.person_id IN"
        f" ({', '.join(['%s'] * len(member_ids))}))"
        " ORDER BY 1, 3, 2")
    params = [household.pk, ItemStatus.PENDING, ItemStatus.APPROVED, True, ItemStatus.APPROVED, False,
              on.replace(day=1), ItemStatus.PENDING, ItemStatus.APPROVED, household.pk, *member_ids]
    if not member_ids:  # (an application needs living members; kept for other callers)
        statement = statement.replace(" IN ()", " IN (NULL)")
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    held, others = [], []
    for row in rows:
        item = ci.build(row, 1)
        item.case = c.build(row, 1 + ci.width)
        if row[0] == 0:
            item.household = household
            held.append(item)
        else:
            item.household = h.build(row, 1 + ci.width + c.width)
            others.append(item)
    return held, others


def review_due_for(effective_from: dt.date, irregular: bool) -> dt.date:
    return add_months(effective_from, REVIEW_MONTHS_IRREGULAR if irregular else REVIEW_MONTHS)


def _send_on_commit(signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender=CaseItem, **kwargs))


def _enqueue_verification(case: Case, actor) -> None:
    if not hooks.VERIFIERS:
        return
    from dajiuzhu.core.jobs import job_enqueue

    job_enqueue(kind="cases.verify", actor=actor, params={"case_id": case.pk}, region_code=case.region_code)


def run_verifiers(case: Case, actor) -> list[str]:
    """Run every registered verifier; what they return is kept on the timeline as text."""
    results = []
    for verifier in hooks.VERIFIERS:
        try:
            with transaction.atomic():
                outcome = verifier(case, actor)
        except DomainError as exc:
            # A verifier that refuses (e.g. outside its user's jurisdiction) does not stop the case;
            # the refusal is kept on the timeline so the residence township runs it.
            results.append(_("verification not run: %(reason)s") % {"reason": exc.message})
            continue
        if outcome is not None:
            results.append(str(outcome)[:500])
    return results


# --------------------------------------------------------------------------- the application


@dataclasses.dataclass
class ItemOutcome:
    case_item: CaseItem
    eligible: bool
    reasons: list[str]


def _load_items(codes: Sequence[str], catalogue=None):
    """The requested items (in order) and the catalogue's active tier items, from the process's copy of the
    catalogue (``programs.cache``: one small query checks it is current)."""
    from dajiuzhu.programs.cache import catalogue as current

    codes = [c.strip() for c in codes if c and c.strip()]
    if not codes:
        raise DomainError(_("choose at least one assistance item"), field="items")
    if len(set(codes)) != len(codes):
        raise DomainError(_("an item is chosen twice"), field="items")
    catalogue = catalogue or current()
    loaded = [i for i in catalogue.items if i.code in codes or (i.tier != "" and i.active)]
    by_code = {i.code: i for i in loaded}
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise DomainError(_("unknown assistance item: %(codes)s") % {"codes": ", ".join(unknown)}, field="items")
    inactive = [c for c in codes if getattr(by_code[c], "active", True) is False]
    if inactive:
        raise DomainError(_("the item is no longer offered: %(codes)s") % {"codes": ", ".join(inactive)},
                          field="items")
    tiers = sorted((i for i in loaded if i.tier in TIER_ORDER and i.active),
                   key=lambda i: (TIER_ORDER.index(i.tier), i.code))
    return [by_code[c] for c in codes], tiers


def _excluded_ids(item) -> set[int]:
    return {other.pk for other in item.excludes.all()}


def open_items(household_id: int, on: dt.date):
    """The household's pending items and the benefits it receives (monthly, or a one-off of this month)."""
    from django.db.models import Q

    return CaseItem.objects.filter(household_id=household_id).filter(
        Q(status=ItemStatus.PENDING)
        | Q(status=ItemStatus.APPROVED, periodic=True)
        | Q(status=ItemStatus.APPROVED, periodic=False, effective_to__gte=on.replace(day=1))
    )


def _attach_catalogue_items(case_items, catalogue=None) -> None:
    """Set each case item's ``item`` from the process's catalogue copy (with its "not together with" links)."""
    from dajiuzhu.programs.cache import catalogue as current

    case_items = list(case_items)
    if not case_items:
        return
    by_id = {i.pk: i for i in (catalogue or current()).items}
    for ci in case_items:
        item = by_id.get(ci.item_id)
        if item is None:  # not in the copy (cannot happen for a committed row): read it
            item = type(ci).item.field.related_model.objects.prefetch_related("excludes").get(pk=ci.item_id)
        ci.item = item


def check_duplicates(*, household, items, members, on: dt.date, held=None, catalogue=None, others=None) -> None:
    """Refuse, with the reason, an item the household or one of its members already receives or has
    asked for (also through another household or another window), and items that exclude each other.
    ``held``: the household's open items, if the caller has them already; ``others``: the open items of
    other households covering one of the members (``open_and_covering``), likewise."""
    member_ids = [p.pk for p in members]
    if held is None:
        held = list(open_items(household.pk, on).select_related("item", "case"))
    held = list(held)
    if others is None:
        # Items covering a member through another household: an IN over the covered links (no DISTINCT over
        # the wide joined rows, which cost more to plan than to run); the catalogue items come from the copy.
        covering = CaseItem.covered.through.objects.filter(person_id__in=member_ids).values("caseitem_id")
        others = list(
            CaseItem.objects.filter(status__in=(ItemStatus.PENDING, ItemStatus.APPROVED), pk__in=covering)
            .exclude(household=household)
            .select_related("case", "household")
        )
        _attach_catalogue_items(others, catalogue)
    held += others
    month = on.replace(day=1)
    for ci in held:
        if ci.status == ItemStatus.APPROVED and not ci.periodic and (ci.effective_to or month) < month:
            continue  # a one-off paid in an earlier month does not block a new one
        for item in items:
            if ci.item_id == item.pk:
                if ci.household_id != household.pk:
                    person = next((p for p in members if ci.covered.filter(pk=p.pk).exists()), None)
                    raise DuplicateApplication(
                        _("%(person)s already receives “%(item)s” through household %(number)s (case %(case)s)")
                        % {"person": mask_name(person.name) if person else "", "item": _item_name(item),
                           "number": ci.household.number, "case": ci.case.number}, field="items")
                if ci.status == ItemStatus.PENDING:
                    raise DuplicateApplication(
                        _("the household already has an open application for “%(item)s” (case %(case)s)")
                        % {"item": _item_name(item), "case": ci.case.number}, field="items")
                raise DuplicateApplication(
                    _("the household already receives “%(item)s” (case %(case)s)")
                    % {"item": _item_name(item), "case": ci.case.number}, field="items")
            if ci.item_id in _excluded_ids(item) and ci.household_id == household.pk:
                raise DuplicateApplication(
                    _("“%(item)s” cannot be given together with “%(other)s”, which the household already receives "
                      "(case %(case)s)") % {"item": _item_name(item), "other": _item_name(ci.item),
                                            "case": ci.case.number}, field="items")
    for index, item in enumerate(items):
        for other in items[index + 1:]:
            if other.pk in _excluded_ids(item) or item.pk in _excluded_ids(other):
                raise DomainError(
                    _("“%(item)s” and “%(other)s” cannot be given together; choose one")
                    % {"item": _item_name(item), "other": _item_name(other)}, field="items")


def _check_may_apply(actor, household, channel: str) -> None:
    from dajiuzhu.registry.policies import can_register_in

    if channel == Channel.PROACTIVE and not _user(actor):
        return  # raised by the platform itself (an alert, a missed check)
    if channel == Channel.ONLINE:
        if getattr(actor, "role", None) == "resident":
            if not household.members.filter(id_hash=actor.person_id_hash).exclude(id_hash="").exists():
                raise Forbidden(_("a resident may apply only for their own household"))
            return
    if not _user(actor) or not actor.has_perm_code("cases.create"):
        raise Forbidden(_("you may not accept applications"))
    # A proxied application (代办) is taken by a village worker and accepted by its township's window
    # (the portal's acceptance queue), which submits it on the channel it came by.
    if channel == Channel.PROXY and getattr(actor, "role", None) not in ("village_worker", "township_handler"):
        raise DomainError(_("only a village worker applies on a resident's behalf"), field="channel")
    from dajiuzhu.core.scoping import region_in_scope

    if not (region_in_scope(actor, household.region_code, perm="cases.create")
            or can_register_in(actor, household.region_code)):
        # 404, not 403: a household outside the jurisdiction is not there for this actor.
        from django.http import Http404

        raise Http404("No household matches the given query.")


def _new_case_number(on: dt.date) -> str:
    return f"T{uuid.uuid4().hex[:20]}"


@transaction.atomic
def application_submit(
    *,
    actor,
    household,
    item_codes: Sequence[str],
    promise_signed: bool,
    authorisation_signed: bool,
    channel: str = Channel.WINDOW,
    applicant=None,
    note: str = "",
    on: dt.date | None = None,
    latest_facts=None,
    before_audit=None,
) -> Case:
    """一次申请、分类认定: accept one application, decide its trust-first items at once on the declared
    facts, and sort the household into every tier it qualifies for.

    A check-first item, or any item of a household a restriction check names (e.g. a dishonesty
    record), waits for the standard path. Refuses (changing nothing) a missing signature, an item
    the household or a member already receives or has asked for, items that exclude each other, a
    benefit that computes negative or over the item's household ceiling, and a second window
    submitting the same application at the same moment.

    ``latest_facts``: the household's ``HouseholdFacts`` of ``on`` when the caller has just recorded it
    (the window's one form), so it is not read again. ``before_audit``: an audit event (``audit_record``'s
    keyword arguments) appended just before the case's, in the same INSERT, once the application is accepted
    (the window's own audit of the declared facts).
    """
    from dajiuzhu.programs.cache import catalogue as current_catalogue
    from dajiuzhu.programs.facts import facts_for
    from dajiuzhu.programs.services import HouseholdEvaluator

    on = on or timezone.localdate()
    if channel not in Channel.values:
        raise DomainError(_("unknown channel %(c)s") % {"c": channel}, field="channel")
    # Lock the household: two windows submitting for it are served one after the other. The same statement
    # reads its living members with their latest member facts (``locked_household_with_members``).
    # On PostgreSQL the case and everything written with it go in two statements (``_insert_with``); the
    # case's id is then taken from its sequence by the lock's statement, so its number is known at once.
    combined = COMBINED_WRITES and connection.vendor == "postgresql"
    # The same statement reads the catalogue's stamp (``programs.cache``): one round trip less.
    household, members, case_id = locked_household_with_members(household.pk, on, next_case_id=combined,
                                                                 catalogue_stamp=True)
    _check_may_apply(actor, household, channel)
    if not promise_signed:
        raise DomainError(_("the applicant must sign the credit promise (信用承诺)"), field="promise_signed")
    if not authorisation_signed:
        raise DomainError(_("the applicant and the adult members must sign the data-check authorisation (授权书)"),
                          field="authorisation_signed")
    catalogue = current_catalogue(household.catalogue_stamp)
    items, tier_items = _load_items(item_codes, catalogue)
    if not members:
        raise DomainError(_("the household has no living members"))
    applicant = applicant or next((p for p in members if p.pk == household.head_id), members[0])
    if applicant.pk not in {p.pk for p in members}:
        raise DomainError(_("the applicant must be a member of the household"), field="applicant")
    # The member read just now, with the latest member facts up to ``on`` read with it.
    applicant = next(p for p in members if p.pk == applicant.pk)
    facts = facts_for(household_id=household.pk, on=on, applicant=applicant,
                      applicant_latest=_latest_member_facts(applicant))
    if not facts.get("has_facts"):
        raise DomainError(_("record the household's declared income and assets before applying"), field="facts")
    held, others = open_and_covering(household, members, on)
    _attach_catalogue_items(held + others, catalogue)
    check_duplicates(household=household, items=items, members=members, on=on, held=held, catalogue=catalogue,
                     others=others)
    restriction = hooks.restriction_reason(household)
    irregular = irregular_income(household, on, members,
                                 **({} if latest_facts is None else {"latest_facts": latest_facts}))

    user = _user(actor)
    accepted_region = (user.region_id if user and user.role != "resident" else household.region_code)
    case = Case(
        number=_new_case_number(on), household=household, applicant=applicant, region_code=household.region_code,
        accepted_region_code=accepted_region, channel=channel, restriction=restriction[:300],
        irregular_income=irregular, facts={k: str(v) for k, v in facts.items()}, note=note, created_by=user,
    )
    from dajiuzhu.core import sql

    if combined:
        case.pk = case_id  # inserted with its items (below)
    else:
        sql.insert([case])  # Case.objects.create without the ORM's compilation (no signal listens to Case)
    case.number = f"{on:%Y}{household.region_code[6:9]}{case.pk:07d}"
    adults = [p for p in members if (on - p.birth_date).days >= ADULT_AGE * 365.25]
    signatures = [Signature(case=case, kind=Signature.Kind.PROMISE, person=applicant, signer_name=applicant.name,
                            text_version=PROMISE_TEXT_VERSION, recorded_by=user)]
    signers = {applicant.pk: applicant, **{p.pk: p for p in adults}}
    signatures += [Signature(case=case, kind=Signature.Kind.AUTHORISATION, person=p, signer_name=p.name,
                             text_version=AUTHORISATION_TEXT_VERSION, recorded_by=user) for p in signers.values()]
    if not combined:
        Signature.objects.bulk_create(signatures)

    requested_ids = {i.pk for i in items}
    held_ids = {ci.item_id for ci in held}
    candidates = [(i, True) for i in items]
    if any(i.tier for i in items):
        candidates += [(i, False) for i in tier_items if i.pk not in requested_ids | held_ids]
    blocked: dict[int, str] = {}  # item id -> the name of the item (in this case) that excludes it
    for ci in held:
        for other in ci.item.excludes.all():
            blocked.setdefault(other.pk, _item_name(ci.item))

    outcomes: list[ItemOutcome] = []
    now = timezone.now()
    evaluator = HouseholdEvaluator(facts=facts, on=on, region_code=household.region_code, catalogue=catalogue)
    for item, requested in candidates:
        check_first = bool(restriction) or item.acceptance == Path.CHECK_FIRST
        ci = CaseItem(case=case, household=household, region_code=household.region_code, item=item,
                      requested=requested, periodic=item.periodic,
                      path=Path.CHECK_FIRST if check_first else Path.TRUST_FIRST)
        if item.pk in blocked:
            if requested:  # (already refused by check_duplicates; kept for safety)
                raise DomainError(_("“%(item)s” cannot be given together with “%(other)s”")
                                  % {"item": _item_name(item), "other": blocked[item.pk]}, field="items")
            continue
        evaluation = evaluator.evaluate(item)
        if requested and evaluation.refusal in ("negative", "over_ceiling", "error"):
            # Bad input, not a decision: refuse the whole application and change nothing.
            why = evaluation.reasons[-1] if evaluation.reasons else _("the benefit cannot be computed")
            raise DomainError(f"“{_item_name(item)}”: {why}", code=ErrorCode.RULE, field="items")
        ci.rule_version_id = evaluation.rule_version_id
        ci.reasons = _jsonable_reasons(evaluation.reasons)
        ci.facts_used = {k: str(v) for k, v in (evaluation.facts_used or {}).items()}
        if evaluation.eligible and evaluation.amount is not None:
            ci.amount = _checked_amount(item, evaluation.amount, refuse=True)
        if not evaluation.eligible:
            ci.status = ItemStatus.REFUSED
            ci.decided_at = now
            if not ci.reasons:
                ci.reasons = [_("the household does not meet the rule of this item")]
        elif check_first:
            ci.status = ItemStatus.PENDING
        else:
            _approve(ci, on=on, irregular=irregular, now=now)
        if ci.status != ItemStatus.REFUSED:
            for other in item.excludes.all():
                blocked.setdefault(other.pk, _item_name(item))
        outcomes.append(ItemOutcome(ci, evaluation.eligible, ci.reasons))

    pending = any(o.case_item.status == ItemStatus.PENDING for o in outcomes)
    case.status = CaseStatus.ACCEPTED if pending else CaseStatus.DECIDED
    case.decided_at = None if pending else now
    try:
        # No savepoint needed: a violation aborts the whole application (the caller's transaction rolls back).
        if combined:
            # One round trip: the case (with its id, number and status), its signatures and its items (ids
            # returned). The foreign keys to the case are checked at commit (deferred), as for any insert.
            _insert_with([o.case_item for o in outcomes], before=[
                _insert_statement(Case, [case], with_pk=True), _insert_statement(Signature, signatures)])
            sql.mark_saved([case], None)
        else:
            case.save(update_fields=["number", "status", "decided_at"])
            CaseItem.objects.bulk_create([o.case_item for o in outcomes])
    except IntegrityError:
        raise Conflict(_("another window has just submitted an application for the same household and item; "
                         "open the household's cases")) from None
    through = CaseItem.covered.through
    covered = [through(caseitem_id=o.case_item.pk, person_id=p.pk)
               for o in outcomes if o.case_item.status != ItemStatus.REFUSED for p in members]
    if not combined:
        through.objects.bulk_create(covered)

    events = [_event(case, "submit", actor, to_status=CaseStatus.ACCEPTED, save=False,
                     data={"channel": channel, "items": [i.code for i in items], "restriction": restriction,
                           "signed": {"promise": PROMISE_TEXT_VERSION, "authorisation": AUTHORISATION_TEXT_VERSION,
                                      "signers": len(signers)}})]
    for o in outcomes:
        ci = o.case_item
        if ci.status == ItemStatus.PENDING:
            continue
        events.append(_event(case, "decide_by_rule", None, to_status=ci.status, case_item=ci, save=False,
                             opinion="; ".join(ci.reasons),
                             data={"item": ci.item.code, "amount": ci.amount, "requested": ci.requested,
                                   "rule_version": ci.rule_version_id, "effective_from": ci.effective_from,
                                   "review_due": ci.review_due}))
        _send_on_commit(signals.case_item_decided, case_item=ci, outcome=ci.status)
    if pending:
        events.append(_event(case, "accept", actor, from_status=CaseStatus.ACCEPTED, to_status=CaseStatus.ACCEPTED,
                             opinion=restriction, save=False))
    else:
        events.append(_event(case, "decided", None, from_status=CaseStatus.ACCEPTED, to_status=CaseStatus.DECIDED,
                             save=False))
    if combined:  # one round trip: the members covered and the timeline
        _insert_with(events, before=[_insert_statement(through, covered)] if covered else [], returning=False)
    else:
        CaseEvent.objects.bulk_create(events)
    # The caller's event (``before_audit``) and the case's, appended in this order with one INSERT.
    audit_record_many([*([before_audit] if before_audit is not None else []), {
        "actor": actor, "action": "case.submit", "obj": case,
        "new": {"number": case.number, "household": household.pk, "channel": channel, "status": case.status,
                "restriction": restriction,
                "items": [{"item": o.case_item.item.code, "status": o.case_item.status,
                           "amount": o.case_item.amount, "requested": o.case_item.requested} for o in outcomes]}}])
    if any(o.case_item.status == ItemStatus.APPROVED for o in outcomes):
        _enqueue_verification(case, actor)
    # The items just written (the case's whole list, as it stands at the end of the application): the API
    # answers with them instead of reading them back. Not Django's prefetch cache, which later steps on
    # the same case object (the standard path) would see stale.
    case.submitted_items = [o.case_item for o in outcomes]
    return case


# On PostgreSQL the application's writes go in two round trips instead of six (data-modifying CTEs: the
# case, its signatures and items; the members covered and the timeline), with the columns and values that
# create / bulk_create / save(update_fields=…) would send (tests compare both paths).
COMBINED_WRITES = True


def _insert_statement(model, objs, *, returning: bool = False, with_pk: bool = False) -> tuple[str, tuple]:
    """The one INSERT statement of ``objs`` (objects without pk, or ``with_pk`` given) with the columns and
    values ``bulk_create`` would send, from SQL built once per process (``core.sql.insert_sql``)."""
    from dajiuzhu.core import sql

    statement, params = sql.insert_sql(model, objs, returning=returning, with_pk=with_pk)
    return statement, tuple(params)


def _insert_with(objs, *, before: list[tuple[str, tuple]], returning: bool = True) -> None:
    """Insert ``objs`` (one model) after the ``before`` statements, in one statement (data-modifying CTEs);
    with ``returning``, the new primary keys are set on the objects as bulk_create sets them."""
    model = type(objs[0])
    sql, params = _insert_statement(model, objs, returning=returning)
    if before:
        sql = "WITH " + ", ".join(f"w{i} AS ({s})" for i, (s, _p) in enumerate(before)) + " " + sql
        params = tuple(p for _s, ps in before for p in ps) + params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall() if returning else []
    returning_fields = model._meta.db_returning_fields
    if returning and len(rows) != len(objs):
        raise RuntimeError(f"{len(rows)} rows returned for {len(objs)} {model.__name__} inserted")
    for index, obj in enumerate(objs):
        if returning:
            for value, field in zip(rows[index], returning_fields, strict=True):
                setattr(obj, field.attname, value)
        obj._state.adding = False
        obj._state.db = connection.alias


def _checked_amount(item, amount, *, refuse: bool) -> Decimal | None:
    """A benefit must be a non-negative sum within the item's household ceiling (None: a service)."""
    if amount is None:
        return None
    amount = money(amount)
    problem = ""
    if amount < 0:
        problem = _("the benefit of “%(item)s” computes negative (%(amount)s yuan); check the declared facts")
    ceiling = getattr(item, "household_ceiling", None)
    if not problem and ceiling is not None and ceiling > 0 and amount > ceiling:
        problem = _("the benefit of “%(item)s” computes %(amount)s yuan, over the household ceiling of "
                    "%(ceiling)s yuan")
    if problem:
        if refuse:
            raise DomainError(problem % {"item": _item_name(item), "amount": amount, "ceiling": ceiling},
                              code=ErrorCode.RULE, field="items")
        return None
    return amount


def _approve(ci: CaseItem, *, on: dt.date, irregular: bool, now, actor=None) -> None:
    ci.status = ItemStatus.APPROVED
    ci.effective_from = next_cycle(on)
    if ci.periodic:
        ci.effective_to = None
        ci.review_due = review_due_for(ci.effective_from, irregular)
    else:
        ci.effective_to = month_end(ci.effective_from)
        ci.review_due = None
    ci.decided_at = now
    ci.decided_by = _user(actor)


# The standard path, reviews, revocations, appeals, public notices (re-exported: one import for callers).
from .notices import notice_publish, objection_lodge  # noqa: E402,F401
from .reviews import (  # noqa: E402,F401
    appeal_decide,
    appeal_lodge,
    case_item_adjust,
    case_item_end,
    case_item_review_confirm,
    case_item_revoke,
    overpayment_months,
)

_STANDARD_PATH = ("case_decide", "case_transition", "handled_by")


def __getattr__(name: str):
    if name in _STANDARD_PATH:  # imported lazily: the standard path builds on the helpers above
        from . import standard_path

        return getattr(standard_path, name)
    raise AttributeError(name)
