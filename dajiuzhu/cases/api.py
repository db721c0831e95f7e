"""REST API of the cases app (mounted at /api/v1/cases/): HTTP schema and routing only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from dajiuzhu.core.context import source
from dajiuzhu.core.errors import DomainError, ErrorCode, Forbidden, NotFound
from dajiuzhu.core.ids import refuse_id_number_in_url
from dajiuzhu.core.net import client_address
from dajiuzhu.core.scoping import get_scoped
from dajiuzhu.programs.models import AssistanceItem

from . import selectors, services
from .emergency import (
    emergency_apply,
    reserve_remaining,
    reserve_set,
    urgent_grant,
    urgent_grants_awaiting,
    urgent_paperwork_complete,
)
from .models import Appeal, Case, CaseItem, Channel, PublicNotice, UrgentGrant, WorklistEntry
from .notices import objection_allowed
from .window import NewHousehold, household_lookup, window_submit
from .worklist import finding_text, worklist_allow, worklist_apply, worklist_end

router = Router(tags=["cases"])


class StrictSchema(Schema):
    """Input: an unknown field is a 422, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class CaseItemOut(Schema):
    id: int
    item_code: str = Field(..., alias="item.code")
    item_name: str = Field(..., alias="item.name")
    tier: str = Field(..., alias="item.tier")
    requested: bool
    path: str
    status: str
    amount: Decimal | None
    effective_from: dt.date | None
    effective_to: dt.date | None
    review_due: dt.date | None
    reasons: list[str]
    rule_version_id: int | None


class CaseOut(Schema):
    id: int
    number: str
    household_id: int
    household_number: str = Field(..., alias="household.number")
    region_code: str
    accepted_region_code: str
    channel: str
    status: str
    restriction: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    items: list[CaseItemOut]

    @staticmethod
    def resolve_items(obj):
        # The instant decision hands back its case with the items it has just written (``submitted_items``,
        # each with its catalogue item): no second read of what this request wrote.
        written = getattr(obj, "submitted_items", None)
        if written is not None:
            return sorted(written, key=lambda ci: ci.pk)
        return list(obj.items.select_related("item").order_by("id"))


class CaseSummaryOut(Schema):
    id: int
    number: str
    household_id: int
    region_code: str
    accepted_region_code: str
    channel: str
    status: str
    created_at: dt.datetime


class CaseEventOut(Schema):
    id: int
    action: str
    case_item_id: int | None
    from_status: str
    to_status: str
    actor_name: str
    opinion: str
    at: dt.datetime


class CaseMemberIn(StrictSchema):
    name: str
    id_number: str
    relation: str
    sex: str = ""
    birth_date: str = ""
    phone: str = ""
    health: str = ""
    illness: str = ""
    disability_category: str = ""
    disability_grade: str = ""
    adl_failed: str = ""
    labour: str = ""
    employment: str = ""


class CaseNewHouseholdIn(StrictSchema):
    region_code: str
    address: str = ""
    hukou_region_code: str = ""
    members: list[CaseMemberIn]


class CaseApplicationIn(StrictSchema):
    items: list[str]
    facts: dict[str, str | int | float | bool | None] = {}
    promise_signed: bool = False
    authorisation_signed: bool = False
    id_number: str = ""
    household_id: int | None = None
    new_household: CaseNewHouseholdIn | None = None
    channel: str = Channel.WINDOW
    note: str = ""


class CaseLookupIn(StrictSchema):
    id_number: str


class CaseLookupOut(Schema):
    found: bool
    household_id: int | None = None
    household_number: str = ""
    region_code: str = ""
    head_name: str = ""


class CaseTransitionIn(StrictSchema):
    step: str
    opinion: str = ""


class CaseDecisionIn(StrictSchema):
    outcome: str
    opinion: str
    outcomes: dict[int, str] = {}
    amounts: dict[int, Decimal] = {}


class CaseReviewIn(StrictSchema):
    action: str  # confirm | adjust | end
    amount: Decimal | None = None
    reason: str = ""
    on: dt.date | None = None


class CaseRevokeIn(StrictSchema):
    reason: str
    not_due_from: dt.date
    dishonest: bool = False


class CaseRevocationOut(Schema):
    id: int
    case_item_id: int
    reason: str
    not_due_from: dt.date
    revoked_on: dt.date
    monthly_amount: Decimal
    months_overpaid: int
    overpayment: Decimal
    dishonest: bool


class CaseAppealIn(StrictSchema):
    grounds: str


class CaseAppealDecisionIn(StrictSchema):
    uphold: bool
    note: str
    amount: Decimal | None = None


class CaseAppealOut(Schema):
    id: int
    case_item_id: int
    contested_status: str
    grounds: str
    status: str
    decided_at: dt.datetime | None
    decision_note: str


class PublicNoticeOut(Schema):
    id: int
    case_id: int
    head_name_masked: str
    members_covered: int
    lines: list[dict]
    starts_on: dt.date
    ends_on: dt.date


class CaseObjectionIn(StrictSchema):
    text: str
    contact: str = ""


class CaseObjectionOut(Schema):
    id: int
    case_id: int
    lodged_at: dt.datetime


class CaseCheckIn(StrictSchema):
    on: dt.date | None = None


class CaseJobOut(Schema):
    id: str
    kind: str
    status: str


class CaseWorklistOut(Schema):
    id: int
    township_code: str
    region_code: str
    kind: str
    household_id: int
    person_id: int | None
    item_codes: list[str]
    detail: str
    text: str = Field("", description="the finding in words: the items by name and the rule")
    actions: list[str] = Field(default_factory=list, description="apply (missed), end and allow (overlap, duplicate)")

    @staticmethod
    def resolve_actions(obj) -> list[str]:
        return ["apply", "allow"] if obj.kind == "missed" else ["end", "allow"]


def _case(request, pk: int) -> Case:
    return selectors.case_get(actor=request.auth, pk=pk)


@router.post("/lookup", response=CaseLookupOut, operation_id="cases_household_lookup")
def lookup(request, payload: CaseLookupIn):
    """Find the household of a full ID number (apply anywhere: any township of the county)."""
    household = household_lookup(actor=request.auth, id_number=payload.id_number)
    if household is None:
        return {"found": False}
    from dajiuzhu.core.ids import mask_name

    return {"found": True, "household_id": household.pk, "household_number": household.number,
            "region_code": household.region_code, "head_name": mask_name(household.head.name if household.head else "")}


@router.post("/applications", response={201: CaseOut}, operation_id="cases_application_submit")
def application_submit(request, payload: CaseApplicationIn):
    """Submit an application: lookup or register, declared facts, items, signatures → instant decision."""
    new = None
    if payload.new_household is not None:
        new = NewHousehold(region_code=payload.new_household.region_code, address=payload.new_household.address,
                           hukou_region_code=payload.new_household.hukou_region_code,
                           members=[m.dict() for m in payload.new_household.members])
    with source("api"):
        case = window_submit(
            actor=request.auth, item_codes=payload.items, facts=payload.facts, promise_signed=payload.promise_signed,
            authorisation_signed=payload.authorisation_signed, id_number=payload.id_number,
            household_id=payload.household_id, new_household=new, channel=payload.channel, note=payload.note,
        )
    return 201, case


@router.get("/cases", response=list[CaseSummaryOut], operation_id="cases_list")
def case_list(request, status: str = "", mine: bool = False, q: str = "", limit: int = 50, offset: int = 0):
    refuse_id_number_in_url(q)  # q is a case number; an ID number typed here must not stay in URLs and logs
    qs = selectors.case_list(actor=request.auth, filters=selectors.CaseFilters(status=status, mine=mine, q=q))
    limit = max(1, min(limit, 200))
    return list(qs[offset:offset + limit])


@router.get("/cases/{case_id}", response=CaseOut, operation_id="cases_get")
def case_get(request, case_id: int):
    return _case(request, case_id)


@router.get("/cases/{case_id}/timeline", response=list[CaseEventOut], operation_id="cases_timeline")
def case_timeline(request, case_id: int):
    return list(selectors.case_timeline(case=_case(request, case_id)))


@router.post("/cases/{case_id}/transitions", response=CaseOut, operation_id="cases_transition")
def case_transition(request, case_id: int, payload: CaseTransitionIn):
    case = _case(request, case_id)
    with source("api"):
        services.case_transition(actor=request.auth, case=case, step=payload.step, opinion=payload.opinion)
    return _case(request, case_id)


@router.post("/cases/{case_id}/decision", response=CaseOut, operation_id="cases_decide")
def case_decide(request, case_id: int, payload: CaseDecisionIn):
    case = _case(request, case_id)
    with source("api"):
        services.case_decide(actor=request.auth, case=case, outcome=payload.outcome, opinion=payload.opinion,
                             outcomes=payload.outcomes, amounts=payload.amounts)
    return _case(request, case_id)


@router.get("/approvals", response=list[CaseSummaryOut], operation_id="cases_approver_queue")
def approver_queue(request):
    return list(selectors.approver_queue(actor=request.auth)[:200])


@router.get("/reviews/due", response=list[CaseItemOut], operation_id="cases_due_reviews")
def due_reviews(request, within_days: int = 30):
    return list(selectors.due_reviews(actor=request.auth, within_days=max(0, min(within_days, 366)))[:500])


def _item(request, pk: int) -> CaseItem:
    return selectors.case_item_get(actor=request.auth, pk=pk)


@router.post("/items/{item_id}/review", response=CaseItemOut, operation_id="cases_item_review")
def item_review(request, item_id: int, payload: CaseReviewIn):
    """A review: confirm, change the amount, or end the benefit (revoke has its own endpoint)."""
    ci = _item(request, item_id)
    with source("api"):
        if payload.action == "confirm":
            ci = services.case_item_review_confirm(actor=request.auth, case_item=ci, note=payload.reason)
        elif payload.action == "adjust":
            if payload.amount is None:
                raise DomainError(_("give the new amount"), field="amount")
            ci = services.case_item_adjust(actor=request.auth, case_item=ci, amount=payload.amount,
                                           reason=payload.reason)
        elif payload.action == "end":
            ci = services.case_item_end(actor=request.auth, case_item=ci, on=payload.on or timezone.localdate(),
                                        reason=payload.reason)
        else:
            raise DomainError(_("the action must be confirm, adjust or end"), field="action")
    return CaseItem.objects.select_related("item").get(pk=ci.pk)


@router.post("/items/{item_id}/revoke", response=CaseRevocationOut, operation_id="cases_item_revoke")
def item_revoke(request, item_id: int, payload: CaseRevokeIn):
    ci = _item(request, item_id)
    with source("api"):
        return services.case_item_revoke(actor=request.auth, case_item=ci, reason=payload.reason,
                                         not_due_from=payload.not_due_from, dishonest=payload.dishonest)


@router.post("/items/{item_id}/appeals", response={201: CaseAppealOut}, operation_id="cases_appeal_lodge")
def appeal_lodge(request, item_id: int, payload: CaseAppealIn):
    if getattr(request.auth, "role", None) == "resident":
        ci = get_object_or_404(CaseItem, pk=item_id)
    else:
        ci = _item(request, item_id)
    with source("api"):
        return 201, services.appeal_lodge(actor=request.auth, case_item=ci, grounds=payload.grounds)


@router.post("/appeals/{appeal_id}/decision", response=CaseAppealOut, operation_id="cases_appeal_decide")
def appeal_decide(request, appeal_id: int, payload: CaseAppealDecisionIn):
    appeal = get_object_or_404(Appeal, pk=appeal_id)
    with source("api"):
        return services.appeal_decide(actor=request.auth, appeal=appeal, uphold=payload.uphold, note=payload.note,
                                      amount=payload.amount)


@router.get("/notices/{village_code}", response=list[PublicNoticeOut], auth=None, operation_id="cases_notices_public")
def notices(request, village_code: str):
    """The public notices (公示) of a village in force today — public, no login, no ID numbers."""
    return list(selectors.notices_in_force(village_code=village_code))


@router.post("/notices/{notice_id}/objections", response={201: CaseObjectionOut}, auth=None,
             operation_id="cases_objection_lodge")
def objection_lodge(request, notice_id: int, payload: CaseObjectionIn):
    """Lodge an objection to a notice in force (public, rate-limited)."""
    if not objection_allowed(client_address(request)):
        raise DomainError(_("too many objections from this address; try again later"), code=ErrorCode.CONFLICT)
    notice = PublicNotice.objects.filter(pk=notice_id).first()
    if notice is None:
        raise Http404
    with source("public"):
        return 201, services.objection_lodge(notice=notice, text=payload.text, contact=payload.contact)


@router.post("/checks", response={202: CaseJobOut}, operation_id="cases_overlap_check_start")
def overlap_check_start(request, payload: CaseCheckIn):
    """Start the duplicate / overlap / missed check for the actor's jurisdiction (a background job)."""
    from django.db import transaction

    from dajiuzhu.core.jobs import job_enqueue
    from dajiuzhu.core.scoping import actor_prefix

    prefix = actor_prefix(request.auth, "cases.handle")
    if prefix is None:
        from dajiuzhu.core.errors import Forbidden

        raise Forbidden(_("you may not run the check"))
    with transaction.atomic():
        job = job_enqueue(kind="cases.overlap_check", actor=request.auth, region_code=prefix.ljust(12, "0"),
                          params={"region_prefix": prefix, "on": (payload.on or timezone.localdate()).isoformat()})
    return 202, {"id": str(job.pk), "kind": job.kind, "status": job.status}


@router.get("/worklist", response=list[CaseWorklistOut], operation_id="cases_worklist")
def worklist(request, kind: str = "", limit: int = 200, offset: int = 0):
    qs = selectors.worklist(actor=request.auth)
    if kind:
        qs = qs.filter(kind=kind)
    limit = max(1, min(limit, 1000))
    entries = list(qs[offset:offset + limit])
    codes = {c for e in entries for c in e.item_codes}
    names = dict(AssistanceItem.objects.filter(code__in=codes).values_list("code", "name"))
    for entry in entries:
        entry.text = finding_text(entry, names)
    return entries


class WorklistAllowIn(Schema):
    reason: str


class WorklistEndIn(Schema):
    case_item_id: int
    reason: str


class WorklistApplyIn(Schema):
    item_code: str
    promise_signed: bool
    authorisation_signed: bool


class WorklistAllowanceOut(Schema):
    id: int
    household_id: int
    kind: str
    items_key: str
    reason: str
    allowed_at: dt.datetime


def _entry(request, entry_id: int) -> WorklistEntry:
    return get_scoped(WorklistEntry.objects.all(), request.auth, perm="cases.view", pk=entry_id)


@router.post("/worklist/{entry_id}/allow", response=WorklistAllowanceOut, operation_id="cases_worklist_allow")
def worklist_allow_endpoint(request, entry_id: int, payload: WorklistAllowIn):
    """Mark a finding allowed with a reason: kept, audited, not raised again until the household's facts change.
    低保 and 特困 together cannot be allowed."""
    entry = _entry(request, entry_id)
    with source("api"):
        return worklist_allow(actor=request.auth, entry=entry, reason=payload.reason)


@router.post("/worklist/{entry_id}/end", response=CaseItemOut, operation_id="cases_worklist_end")
def worklist_end_endpoint(request, entry_id: int, payload: WorklistEndIn):
    """End the overlapping or duplicated item the finding names (from today)."""
    entry = _entry(request, entry_id)
    case_item = selectors.case_item_get(actor=request.auth, pk=payload.case_item_id, perm="cases.handle")
    with source("api"):
        return worklist_end(actor=request.auth, entry=entry, case_item=case_item, reason=payload.reason)


@router.post("/worklist/{entry_id}/apply", response={201: CaseOut}, operation_id="cases_worklist_apply")
def worklist_apply_endpoint(request, entry_id: int, payload: WorklistApplyIn):
    """Open an application for a missed item (the family signs the promise and the authorisation)."""
    entry = _entry(request, entry_id)
    with source("api"):
        return 201, worklist_apply(actor=request.auth, entry=entry, **payload.dict())


# ---------------------------------------------------------------- emergencies and urgent sums (急难, 先行救助)


class EmergencyEventIn(Schema):
    kind: str = Field(description="fire, traffic, illness, disaster or other")
    occurred_on: dt.date
    place: str
    loss: Decimal = Field(Decimal("0"), description="loss in yuan")
    house: str = Field("none", description="none, damaged or lost")
    injured: int = 0
    deaths: int = 0
    description: str = ""


class EmergencyApplicationIn(Schema):
    id_number: str = Field(description="a member's full ID number (in the body, never the URL)")
    event: EmergencyEventIn
    promise_signed: bool
    authorisation_signed: bool
    facts: dict[str, Any] = Field({}, description="declared facts, as for an application")
    urgent_amount: Decimal | None = Field(None, description="an urgent sum the township pays at once (先行救助)")
    note: str = ""


class UrgentGrantOut(Schema):
    id: int
    case_id: int
    township_code: str
    amount: Decimal
    granted_on: dt.date
    paperwork_due: dt.date
    status: str
    explanation: str
    completed_on: dt.date | None


class EmergencyApplicationOut(Schema):
    case: CaseOut
    event_id: int
    urgent_grant: UrgentGrantOut | None


class UrgentGrantIn(Schema):
    amount: Decimal


class UrgentPaperworkIn(Schema):
    explanation: str


class ReserveIn(Schema):
    township_code: str
    year: int
    amount: Decimal


class ReserveOut(Schema):
    township_code: str
    year: int
    amount: Decimal
    remaining: Decimal


@router.post("/emergencies", response={201: EmergencyApplicationOut}, operation_id="cases_emergency_apply")
def emergency_apply_endpoint(request, payload: EmergencyApplicationIn):
    """An emergency application (急难型临时救助): the event is recorded as a dated household fact and the application
    decided at once by the item's grades; with ``urgent_amount`` the township pays that sum now from its reserve."""
    if not request.auth.has_perm_code("cases.create"):
        raise Forbidden(_("your role may not do this"))
    household = household_lookup(actor=request.auth, id_number=payload.id_number)
    if household is None:
        raise NotFound(_("no household of this ID number that you may serve"))
    with source("api"):
        case, event, grant = emergency_apply(
            actor=request.auth, household=household, id_number=payload.id_number, event=payload.event.dict(), promise_signed=payload.promise_signed,
            authorisation_signed=payload.authorisation_signed, facts=payload.facts,
            urgent_amount=payload.urgent_amount, note=payload.note)
    return 201, {"case": case, "event_id": event.pk, "urgent_grant": grant}


@router.post("/cases/{case_id}/urgent-grants", response={201: UrgentGrantOut}, operation_id="cases_urgent_grant")
def urgent_grant_endpoint(request, case_id: int, payload: UrgentGrantIn):
    """先行救助: the township that took the application pays a small sum at once from its reserve."""
    case = selectors.case_get(actor=request.auth, pk=case_id, perm="cases.handle")
    with source("api"):
        return 201, urgent_grant(actor=request.auth, case=case, amount=payload.amount)


@router.get("/urgent-grants", response=list[UrgentGrantOut], operation_id="cases_urgent_grants_awaiting")
def urgent_grants_endpoint(request):
    """Urgent sums awaiting their paperwork (补充说明), the earliest due first."""
    return list(urgent_grants_awaiting(actor=request.auth)[:500])


@router.post("/urgent-grants/{grant_id}/paperwork", response=UrgentGrantOut, operation_id="cases_urgent_paperwork")
def urgent_paperwork_endpoint(request, grant_id: int, payload: UrgentPaperworkIn):
    """补充说明: complete the paperwork of an urgent sum."""
    grant = get_scoped(UrgentGrant.objects.all(), request.auth, perm="cases.view", fields=("township_code",),
                       pk=grant_id)
    with source("api"):
        return urgent_paperwork_complete(actor=request.auth, grant=grant, explanation=payload.explanation)


@router.post("/reserves", response=ReserveOut, operation_id="cases_reserve_set")
def reserve_set_endpoint(request, payload: ReserveIn):
    """The county sets a township's reserve for urgent sums of a year."""
    with source("api"):
        reserve = reserve_set(actor=request.auth, township_code=payload.township_code, year=payload.year,
                              amount=payload.amount)
    _r, remaining = reserve_remaining(township_code=reserve.township_code, year=reserve.year)
    return {"township_code": reserve.township_code, "year": reserve.year, "amount": reserve.amount,
            "remaining": remaining}
