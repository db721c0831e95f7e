"""Index models (versioned configuration), household scores over time, the low-income roster.

``IndexModel``: 困难指数 (hardship, Alkire–Foster) or 发展指数 (development, HDI style); one
draft and one active version per kind; an activated version is never edited again.
``IndexScore``: one row per household and reference date with both indices, the model
versions used and the per-indicator parts (aligned with the model's indicator list).
``RosterEntry`` / ``RosterEvent``: the low-income population database (低收入人群数据库) —
open entries per household and tier, and the dated events of entering and leaving.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IndexKind(models.TextChoices):
    HARDSHIP = "hardship", _("hardship index (困难指数)")
    DEVELOPMENT = "development", _("development index (发展指数)")


class IndexModel(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ACTIVE = "active", _("active")
        RETIRED = "retired", _("retired")

    kind = models.CharField(_("kind"), max_length=16, choices=IndexKind.choices)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    config = models.JSONField(_("configuration"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["kind", "-version"]
        verbose_name = _("index model")
        verbose_name_plural = _("index models")
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="index_model_version_unique"),
            models.UniqueConstraint(fields=["kind"], condition=models.Q(status="active"), name="one_active_index_model"),
            models.UniqueConstraint(fields=["kind"], condition=models.Q(status="draft"), name="one_draft_index_model"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class IndexScore(models.Model):
    """Both indices of one household on one reference date."""

    # Indexes: the unique (household, on) serves lookups by household; the model links are not indexed
    # (a model is never deleted, and every index costs on each of the million rows written a month).
    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="index_scores",
                                  db_index=False)
    region_code = models.CharField(max_length=12)
    on = models.DateField(_("reference date"))
    household_size = models.PositiveSmallIntegerField(default=0)
    hardship_model = models.ForeignKey(IndexModel, on_delete=models.PROTECT, related_name="+", db_index=False)
    hardship = models.FloatField(_("hardship index"), null=True)
    hardship_band = models.CharField(_("hardship band"), max_length=32, blank=True)
    hardship_coverage = models.FloatField(default=0)
    poor = models.BooleanField(_("multidimensionally poor"), default=False)
    hardship_parts = models.JSONField(default=list)
    development_model = models.ForeignKey(IndexModel, on_delete=models.PROTECT, related_name="+", db_index=False)
    development = models.FloatField(_("development index"), null=True)
    development_band = models.CharField(_("development band"), max_length=32, blank=True)
    development_coverage = models.FloatField(default=0)
    development_parts = models.JSONField(default=list)
    # 致贫返贫风险类型 shown by the facts, comma-separated codes (catalogue.RISK_TYPES).
    risk_types = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["household", "on"]
        verbose_name = _("index score")
        verbose_name_plural = _("index scores")
        constraints = [models.UniqueConstraint(fields=["household", "on"], name="index_score_one_per_day")]
        indexes = [
            models.Index(fields=["on", "region_code"], name="index_score_on_region"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.on}"


class Tier(models.TextChoices):
    DIBAO = "dibao", _("低保 minimum living allowance")
    TEKUN = "tekun", _("特困 destitute support")
    NEAR_POOR = "near_poor", _("低保边缘 near-poor")
    RIGID = "rigid", _("刚性支出困难 rigid-expenditure hardship")
    UNSTABLE_ESCAPED = "unstable_escaped", _("脱贫不稳定户 unstable after escaping poverty")
    EDGE_AT_RISK = "edge_at_risk", _("边缘易致贫户 on the edge, at risk of poverty")
    SUDDEN_HARDSHIP = "sudden_hardship", _("突发严重困难户 sudden severe hardship")
    RECENT_LEAVER = "recent_leaver", _("近期退出 recently left 低保/特困")


class RosterEntry(models.Model):
    """A household's membership of one tier, from ``since`` until ``until`` (open: null)."""

    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="roster_entries")
    region_code = models.CharField(max_length=12, db_index=True)
    tier = models.CharField(_("tier"), max_length=24, choices=Tier.choices)
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    reason = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["household", "tier", "since"]
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        constraints = [
            models.UniqueConstraint(fields=["household", "tier"], condition=models.Q(until__isnull=True),
                                    name="one_open_roster_entry"),
        ]
        indexes = [models.Index(fields=["tier", "until"], name="roster_tier_open")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.tier} {self.since}–{self.until or ''}"


class RosterEvent(models.Model):
    """Entering or leaving a tier, dated."""

    class Kind(models.TextChoices):
        ENTER = "enter", _("entered")
        LEAVE = "leave", _("left")

    # The unique (household, tier, kind, on) serves lookups by household: no separate index.
    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="roster_events",
                                  db_index=False)
    region_code = models.CharField(max_length=12, db_index=True)
    tier = models.CharField(_("tier"), max_length=24, choices=Tier.choices)
    kind = models.CharField(_("event"), max_length=8, choices=Kind.choices)
    on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-on", "household", "tier"]
        verbose_name = _("roster event")
        verbose_name_plural = _("roster events")
        constraints = [
            models.UniqueConstraint(fields=["household", "tier", "kind", "on"], name="roster_event_unique"),
        ]
        indexes = [models.Index(fields=["tier", "kind", "on"], name="roster_event_tier_on")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.tier} {self.kind} {self.on}"
