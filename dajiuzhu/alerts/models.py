"""Early warning (返贫预警): rule sets, disasters, alerts with their signals, follow-up visits.

``RuleSet``: the warning thresholds as versioned configuration (one draft, one active).
``DisasterEvent``: a disaster the county enters for an area (used while the checks app has no
应急管理 disaster data). ``Alert``: one per household and scan date, with a level, the signals
that raised it, the risk types, the assignee and a due date. ``AlertSignal``: one row per
household, signal and key — the unique key makes the scan idempotent and stops the same signal
raising a second alert. ``FollowUp``: the worker's home visit and its outcome (主动发现).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    YELLOW = "yellow", _("yellow")


LEVEL_RANK = {Level.RED: 3, Level.ORANGE: 2, Level.YELLOW: 1}


class RuleSet(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ACTIVE = "active", _("active")
        RETIRED = "retired", _("retired")

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    config = models.JSONField(_("configuration"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("warning rule set")
        verbose_name_plural = _("warning rule sets")
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="active"), name="one_active_ruleset"),
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="draft"), name="one_draft_ruleset"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class DisasterEvent(models.Model):
    """受灾: a disaster in an area (a township or village code prefix), entered by the county."""

    class Kind(models.TextChoices):
        FLOOD = "flood", _("flood")
        DROUGHT = "drought", _("drought")
        HAIL = "hail", _("hail")
        STORM = "storm", _("storm")
        FIRE = "fire", _("fire")
        EARTHQUAKE = "earthquake", _("earthquake")
        OTHER = "other", _("other")

    region_code = models.CharField(_("area"), max_length=12, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    occurred_on = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    # When set, only these households are affected; otherwise the rule set decides (vulnerable_only).
    households = models.ManyToManyField("registry.Household", blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("disaster")
        verbose_name_plural = _("disasters")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region_code} {self.occurred_on}"

    @property
    def prefix(self) -> str:
        from dajiuzhu.core.regioncodes import prefix_of

        return prefix_of(self.region_code)


class Alert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    class Stage(models.TextChoices):
        VILLAGE = "village", _("village")
        TOWNSHIP = "township", _("township")
        COUNTY = "county", _("county")

    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="alerts")
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    on = models.DateField(_("scan date"))
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    signals = models.JSONField(_("signals"), default=list)  # [{"code", "key", "level", "params"}]
    risk_types = models.CharField(_("risk types"), max_length=200, blank=True)  # comma-separated codes
    ruleset = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="alerts")
    stage = models.CharField(_("handled at"), max_length=8, choices=Stage.choices, default=Stage.VILLAGE)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="assigned_alerts", verbose_name=_("assigned to"))
    due_on = models.DateField(_("due"))
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "due_on", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        # One open alert per household and scan date (a same-day signal after a visit opens a new one);
        # the scan's idempotence rests on ``AlertSignal`` (one row per household, signal and key).
        constraints = [models.UniqueConstraint(fields=["household", "on"], condition=models.Q(status="open"),
                                               name="one_open_alert_per_household_scan")]
        indexes = [models.Index(fields=["status", "due_on"], name="alert_status_due")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.household_id} {self.on}"


class AlertSignal(models.Model):
    """A signal raised once for a household (``key`` names its occurrence, e.g. the person or month)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="signal_rows")
    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=40)
    key = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["household", "code", "key"], name="signal_once_per_key")]

    def __str__(self) -> str:
        return f"{self.code} {self.key}"


class FollowUp(models.Model):
    """The home visit (入户核实) and its outcome."""

    class Outcome(models.TextChoices):
        ASSISTED = "assisted", _("assistance started")
        REFERRED = "referred", _("referred to a department or social organisation")
        NO_NEED = "no_need", _("no need")

    alert = models.OneToOneField(Alert, on_delete=models.CASCADE, related_name="follow_up")
    visited_on = models.DateField(_("visit date"))
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    # The application it led to (申请).
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("application"))
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("department"))
    organisation = models.CharField(_("social organisation"), max_length=120, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.CheckConstraint(condition=~models.Q(outcome="no_need") | ~models.Q(reason=""),
                                   name="no_need_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.visited_on}"
