from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core import regioncodes


class Region(models.Model):
    """An administrative division (province, city, county, township, village)."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        CITY = 2, _("city")
        COUNTY = 3, _("county")
        TOWNSHIP = 4, _("township")
        VILLAGE = 5, _("village")

    code = models.CharField(_("division code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    prefix = models.CharField(_("code prefix"), max_length=12, db_index=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="region_level_range"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def short_name(self) -> str:
        """张法古村村民委员会 → 张法古村; 临邑县 stays."""
        for suffix in ("村民委员会", "居民委员会", "社区居委会", "居委会"):
            if self.name.endswith(suffix) and len(self.name) > len(suffix):
                return self.name[: -len(suffix)]
        return self.name

    @property
    def is_urban(self) -> bool:
        return regioncodes.is_urban_village(self.code)
