"""The standard (check-first) path as data: which step may follow which, and who may take it.

apply → accept (受理通知书) → investigate and verify (核对) → home visit (入户调查) → village
deliberation (民主评议) → township opinion (乡镇审核意见) → public notice ≥ 7 days (公示;
an objection sends the case back to investigation) → decision by the approval level
(township for delegated items, county otherwise) → decision notice (决定通知书).

Services in ``cases.services`` change a case's status only through ``transition_target``.
"""

from __future__ import annotations

import dataclasses

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.errors import Forbidden, InvalidTransition

from .models import OPEN_CASE_STATUSES, CaseStatus, ItemStatus

NOTICE_MIN_DAYS = 7


@dataclasses.dataclass(frozen=True)
class Transition:
    name: str
    label: object
    sources: tuple[str, ...]
    target: str
    perm: str
    opinion_required: bool = False
    township_or_above: bool = False  # a village worker may not take this step


TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    Transition("investigate", _("start investigation and verification"), (CaseStatus.ACCEPTED,),
               CaseStatus.INVESTIGATING, "cases.handle"),
    Transition("record_home_visit", _("record the home visit"), (CaseStatus.INVESTIGATING,),
               CaseStatus.HOME_VISITED, "cases.handle", opinion_required=True),
    Transition("record_deliberation", _("record the village deliberation"), (CaseStatus.HOME_VISITED,),
               CaseStatus.DELIBERATED, "cases.handle", opinion_required=True),
    Transition("township_opinion", _("give the township opinion"), (CaseStatus.DELIBERATED,),
               CaseStatus.TOWNSHIP_REVIEWED, "cases.handle", opinion_required=True, township_or_above=True),
    Transition("publish_notice", _("publish the public notice"), (CaseStatus.TOWNSHIP_REVIEWED,),
               CaseStatus.PUBLIC_NOTICE, "cases.handle", township_or_above=True),
    Transition("objection", _("objection lodged: investigate again"), (CaseStatus.PUBLIC_NOTICE,),
               CaseStatus.INVESTIGATING, ""),
    Transition("close_notice", _("close the public notice"), (CaseStatus.PUBLIC_NOTICE,),
               CaseStatus.AWAITING_DECISION, "cases.handle", township_or_above=True),
    Transition("decide", _("decide"), (CaseStatus.AWAITING_DECISION,), CaseStatus.DECIDED, "cases.approve",
               opinion_required=True, township_or_above=True),
    Transition("issue_decision_notice", _("issue the decision notice"), (CaseStatus.DECIDED,),
               CaseStatus.NOTIFIED, "cases.handle"),
    Transition("withdraw", _("withdraw the application"), tuple(OPEN_CASE_STATUSES), CaseStatus.WITHDRAWN,
               "cases.handle", opinion_required=True),
)}

# Steps a worker takes from the case page (the objection comes from the public page, the
# decision from the approver's form).
WORKER_STEPS = ("investigate", "record_home_visit", "record_deliberation", "township_opinion", "publish_notice",
                "close_notice", "issue_decision_notice", "withdraw")

COUNTY_LEVEL, TOWNSHIP_LEVEL = "county", "township"
LEVEL_LABELS = {COUNTY_LEVEL: _("county"), TOWNSHIP_LEVEL: _("township")}


def transition_target(name: str, status: str) -> str:
    """The status after ``name`` from ``status``; refuses a step the table does not allow."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise InvalidTransition(_("unknown step %(name)s") % {"name": name})
    if status not in transition.sources:
        raise InvalidTransition(
            _("the step “%(step)s” is not allowed while the case is “%(status)s”")
            % {"step": transition.label, "status": CaseStatus(status).label}
        )
    return transition.target


def available_steps(status: str, actor) -> list[Transition]:
    return [t for name in WORKER_STEPS if status in (t := TRANSITIONS[name]).sources and actor.has_perm_code(t.perm)]


def actor_level(actor) -> str | None:
    """The approval level an actor stands at: county (region level 3 or above) or township (level 4)."""
    region = getattr(actor, "region", None)
    if region is None:
        return None
    level = region.level
    if level <= 3:
        return COUNTY_LEVEL
    if level == 4:
        return TOWNSHIP_LEVEL
    return None


def required_level(case) -> str:
    """County if any item still to decide needs the county, else the township (delegated, 下放)."""
    levels = {ci.item.approval_level for ci in case.items.all() if ci.status == ItemStatus.PENDING}
    return COUNTY_LEVEL if COUNTY_LEVEL in levels else TOWNSHIP_LEVEL


def check_level(actor, case) -> None:
    level = actor_level(actor)
    needed = required_level(case)
    if level is None or (needed == COUNTY_LEVEL and level != COUNTY_LEVEL):
        raise Forbidden(_("this application needs a decision at the %(level)s level") % {"level": LEVEL_LABELS[needed]})


def check_township_or_above(actor) -> None:
    if actor_level(actor) is None:
        raise Forbidden(_("this step is taken by the township or the county"))


def required_level_filter(actor) -> Q:
    """Cases this actor's level may decide (for the approver's queue)."""
    from .models import CaseItem

    if actor_level(actor) == COUNTY_LEVEL:
        return Q()
    county_items = CaseItem.objects.filter(case=OuterRef("pk"), status=ItemStatus.PENDING,
                                           item__approval_level=COUNTY_LEVEL)
    return ~Q(Exists(county_items))
