"""Writes of the alerts app: rule sets, disasters, follow-up visits, escalation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.accounts.models import Department, User
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.regioncodes import LEVEL_COUNTY, LEVEL_TOWNSHIP, ancestor, is_code
from dajiuzhu.core.scoping import region_in_scope
from dajiuzhu.regions.models import Region

from . import signals
from .models import Alert, DisasterEvent, FollowUp, RuleSet
from .rules import default_rules, rule_problems


def _require(actor, perm: str) -> None:
    if actor is not None and not (getattr(actor, "is_authenticated", False) and actor.has_perm_code(perm)):
        raise Forbidden(_("you may not do this"))


# ---------------------------------------------------------------------------------- rule sets

@transaction.atomic
def ruleset_bootstrap() -> RuleSet:
    ruleset = RuleSet.objects.filter(status=RuleSet.Status.ACTIVE).first()
    if ruleset is None:
        version = (RuleSet.objects.order_by("-version").values_list("version", flat=True).first() or 0) + 1
        ruleset = RuleSet.objects.create(version=version, status=RuleSet.Status.ACTIVE, config=default_rules(),
                                         note="default", activated_at=timezone.now())
        audit_record(actor=None, action="alerts.rules.activate", obj=ruleset, new={"version": version, "default": True})
    return ruleset


def active_ruleset() -> RuleSet:
    return RuleSet.objects.filter(status=RuleSet.Status.ACTIVE).first() or ruleset_bootstrap()


@transaction.atomic
def ruleset_draft_save(*, actor, config: dict, note: str = "") -> RuleSet:
    _require(actor, "alerts.manage")
    if not isinstance(config, dict):
        raise DomainError(_("the rule set must be a JSON object"), field="config")
    draft = RuleSet.objects.select_for_update().filter(status=RuleSet.Status.DRAFT).first()
    user = actor if getattr(actor, "is_authenticated", False) else None
    old = None
    if draft is None:
        version = (RuleSet.objects.order_by("-version").values_list("version", flat=True).first() or 0) + 1
        draft = RuleSet.objects.create(version=version, config=config, note=note, created_by=user)
    else:
        old = {"config": draft.config}
        draft.config, draft.note = config, note
        draft.save(update_fields=["config", "note"])
    audit_record(actor=actor, action="alerts.rules.draft", obj=draft, old=old, new={"config": config})
    return draft


@transaction.atomic
def ruleset_activate(*, actor, ruleset: RuleSet) -> RuleSet:
    """Refuses (changing nothing) a rule set with an unknown signal or a bad threshold."""
    _require(actor, "alerts.manage")
    ruleset = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
    if ruleset.status != RuleSet.Status.DRAFT:
        raise InvalidTransition(_("only a draft can be activated"))
    problems = rule_problems(ruleset.config)
    if problems:
        raise DomainError("; ".join(problems), field="config", details={"problems": problems})
    previous = RuleSet.objects.select_for_update().filter(status=RuleSet.Status.ACTIVE).first()
    if previous:
        previous.status = RuleSet.Status.RETIRED
        previous.save(update_fields=["status"])
    ruleset.status, ruleset.activated_at = RuleSet.Status.ACTIVE, timezone.now()
    ruleset.save(update_fields=["status", "activated_at"])
    audit_record(actor=actor, action="alerts.rules.activate", obj=ruleset,
                 old={"version": previous.version if previous else None}, new={"version": ruleset.version})
    return ruleset


# ---------------------------------------------------------------------------------- disasters

@transaction.atomic
def disaster_record(*, actor, region_code: str, kind: str, occurred_on: dt.date, description: str = "",
                    households=()) -> DisasterEvent:
    """受灾: the county records a disaster in an area (township or village)."""
    _require(actor, "alerts.manage")
    if not is_code(region_code) or not Region.objects.filter(code=region_code).exists():
        raise DomainError(_("unknown division code %(code)s") % {"code": region_code}, field="region_code")
    if actor is not None and not region_in_scope(actor, region_code, perm="alerts.manage"):
        raise Forbidden(_("the area is outside your jurisdiction"), field="region_code")
    if kind not in DisasterEvent.Kind.values:
        raise DomainError(_("unknown kind of disaster"), field="kind")
    if occurred_on > timezone.localdate():
        raise DomainError(_("a disaster cannot be in the future"), field="occurred_on")
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = DisasterEvent.objects.create(region_code=region_code, kind=kind, occurred_on=occurred_on,
                                         description=description, created_by=user)
    if households:
        event.households.set(households)
    audit_record(actor=actor, action="alerts.disaster", obj=event,
                 new={"kind": kind, "occurred_on": occurred_on, "households": len(households)})
    return event


# ----------------------------------------------------------------------------- assignment

def due_date(config: dict, level: str, start: dt.date) -> dt.date:
    days = config.get("due_days", {}).get(level) or default_rules()["due_days"][level]
    return start + dt.timedelta(days=int(days))


def assignees_for(region_codes: set[str]) -> Callable[[str], tuple[User | None, str]]:
    """A function: village code → (the village worker, "village"), else (the township handler, "township")."""
    villages = set(region_codes)
    towns = {ancestor(code, LEVEL_TOWNSHIP) for code in region_codes}
    workers: dict[str, User] = {}
    for user in User.objects.filter(is_active=True, role="village_worker", region_id__in=villages).order_by("id"):
        workers.setdefault(user.region_id, user)
    handlers: dict[str, User] = {}
    for user in User.objects.filter(is_active=True, role="township_handler", region_id__in=towns).order_by("id"):
        handlers.setdefault(user.region_id, user)

    def pick(code: str) -> tuple[User | None, str]:
        if code in workers:
            return workers[code], Alert.Stage.VILLAGE
        return handlers.get(ancestor(code, LEVEL_TOWNSHIP)), Alert.Stage.TOWNSHIP

    return pick


def _county_user(code: str) -> User | None:
    return User.objects.filter(is_active=True, role="county_admin", region_id=ancestor(code, LEVEL_COUNTY)) \
        .order_by("id").first()


@transaction.atomic
def alerts_escalate(*, today: dt.date | None = None, region_prefix: str = "", actor=None) -> dict:
    """Overdue open alerts go up one stage: village → township → county, with a new due date."""
    today = today or timezone.localdate()
    config = active_ruleset().config
    counts = {"township": 0, "county": 0}
    overdue = Alert.objects.select_for_update().filter(status=Alert.Status.OPEN, due_on__lt=today,
                                                       region_code__startswith=region_prefix) \
        .exclude(stage=Alert.Stage.COUNTY)
    alerts = list(overdue)
    towns = {ancestor(a.region_code, LEVEL_TOWNSHIP) for a in alerts}
    handlers: dict[str, User] = {}
    for user in User.objects.filter(is_active=True, role="township_handler", region_id__in=towns).order_by("id"):
        handlers.setdefault(user.region_id, user)
    for alert in alerts:
        if alert.stage == Alert.Stage.VILLAGE:
            alert.stage = Alert.Stage.TOWNSHIP
            alert.assigned_to = handlers.get(ancestor(alert.region_code, LEVEL_TOWNSHIP))
        else:
            alert.stage = Alert.Stage.COUNTY
            alert.assigned_to = _county_user(alert.region_code)
        alert.due_on = due_date(config, alert.level, today)
        alert.escalated_at = timezone.now()
        counts[alert.stage] += 1
    Alert.objects.bulk_update(alerts, ["stage", "assigned_to", "due_on", "escalated_at"], batch_size=2000)
    if alerts:
        audit_record(actor=actor, action="alerts.escalate", object_type="alerts.alert", object_id=today.isoformat(),
                     region_code=region_prefix, new={"on": today, **counts, "alerts": [a.pk for a in alerts][:500]})
    return counts


# ------------------------------------------------------------------------------- follow-up

def _case_exists(case_id: int, household_id: int) -> bool:
    from dajiuzhu.cases.models import Case

    return Case.objects.filter(pk=case_id, household_id=household_id).exists()


@transaction.atomic
def followup_record(*, actor, alert: Alert, visited_on: dt.date, outcome: str, case_id: int | None = None,
                    department: Department | None = None, organisation: str = "", reason: str = "",
                    notes: str = "") -> FollowUp:
    """The home visit and its outcome; closes the alert.

    ``assisted`` needs the application it led to (``case_id``, of this household); ``referred``
    a department or a social organisation; ``no_need`` a reason.
    """
    _require(actor, "alerts.followup")
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if not region_in_scope(actor, alert.region_code, perm="alerts.followup"):
        raise Forbidden(_("the household is outside your jurisdiction"))
    if alert.status != Alert.Status.OPEN:
        raise InvalidTransition(_("this alert is already closed"))
    if visited_on > timezone.localdate():
        raise DomainError(_("the visit cannot be in the future"), field="visited_on")
    if visited_on < alert.on:
        raise DomainError(_("the visit cannot be before the alert"), field="visited_on")
    if outcome not in FollowUp.Outcome.values:
        raise DomainError(_("unknown outcome"), field="outcome")
    organisation, reason = organisation.strip(), reason.strip()
    if outcome == FollowUp.Outcome.ASSISTED:
        if not case_id:
            raise DomainError(_("name the application the visit led to"), field="case_id")
        if not _case_exists(case_id, alert.household_id):
            raise DomainError(_("no application %(id)s of this household") % {"id": case_id}, field="case_id")
    elif outcome == FollowUp.Outcome.REFERRED:
        if department is None and not organisation:
            raise DomainError(_("name the department or the social organisation"), field="department")
    elif not reason:
        raise DomainError(_("say why there is no need"), field="reason")
    follow_up = FollowUp.objects.create(
        alert=alert, visited_on=visited_on, visited_by=actor, outcome=outcome,
        case_id=case_id if outcome == FollowUp.Outcome.ASSISTED else None,
        department=department if outcome == FollowUp.Outcome.REFERRED else None,
        organisation=organisation if outcome == FollowUp.Outcome.REFERRED else "",
        reason=reason, notes=notes)
    alert.status, alert.closed_at = Alert.Status.CLOSED, timezone.now()
    alert.save(update_fields=["status", "closed_at"])
    transaction.on_commit(lambda: signals.followup_recorded.send(sender=FollowUp, follow_up=follow_up))
    audit_record(actor=actor, action="alerts.followup", obj=alert, old={"status": "open"},
                 new={"status": "closed", "outcome": outcome, "visited_on": visited_on, "case_id": follow_up.case_id,
                      "department": department.code if department else "", "organisation": follow_up.organisation,
                      "reason": reason})
    return follow_up
