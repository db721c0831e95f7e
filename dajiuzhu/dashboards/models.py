"""Pre-aggregated dashboard figures, keyed by region prefix + period + metric (+ key).

The refresh job (``dashboards.services.dashboards_refresh``) recomputes every figure from the
raw records in one pass per source and replaces the rows of the refreshed region; pages and
the API read only this table, never the raw records.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Figure(models.Model):
    """One number: ``metric`` for ``region_prefix`` in ``period`` (``YYYY-MM``, or ``""`` = now)."""

    region_prefix = models.CharField(max_length=12)
    # The parent region's prefix, so a region's children are one index range ("drill-down" rows).
    parent_prefix = models.CharField(max_length=12, blank=True, default="")
    period = models.CharField(max_length=7, blank=True)
    metric = models.CharField(max_length=40)
    key = models.CharField(max_length=60, blank=True)
    value = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("dashboard figure")
        verbose_name_plural = _("dashboard figures")
        constraints = [
            models.UniqueConstraint(fields=["region_prefix", "metric", "period", "key"], name="figure_unique"),
        ]
        indexes = [models.Index(fields=["parent_prefix", "metric", "period"], name="figure_children")]

    def __str__(self) -> str:
        return f"{self.region_prefix} {self.period} {self.metric}[{self.key}] = {self.value}"


class Refresh(models.Model):
    """When the figures of a region were last recomputed, and how long it took."""

    region_prefix = models.CharField(max_length=12, unique=True)
    refreshed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)
    figures = models.PositiveIntegerField(default=0)
    sources = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.region_prefix or 'all'} {self.refreshed_at:%Y-%m-%d %H:%M}"
