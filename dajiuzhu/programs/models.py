"""The assistance catalogue (救助事项目录) as data: categories, items, rule versions, standards.

An ``AssistanceItem`` is edited by the county administrator; every change of its rules makes
a new immutable ``RuleVersion`` and the item points at its current one, so a decision can
record exactly the rules it used. ``Standard`` holds the amounts and coefficients the rules
name as ``std.<name>``, per year, county and urban/rural area.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.money import MoneyField


class Category(models.Model):
    """One of the ten kinds of assistance (生活, 医疗, 教育, …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Kind(models.TextChoices):
    MATERIAL = "material", _("material (cash or goods)")
    SERVICE = "service", _("service")


class ApprovalLevel(models.TextChoices):
    TOWNSHIP = "township", _("township (delegated)")
    COUNTY = "county", _("county")


class Acceptance(models.TextChoices):
    TRUST_FIRST = "trust_first", _("trust first: decided at once, reviewed after")
    CHECK_FIRST = "check_first", _("check first: investigated before the decision")


class Tier(models.TextChoices):
    NONE = "", _("none")
    DIBAO = "dibao", _("minimum living allowance (低保)")
    TEKUN = "tekun", _("extreme poverty support (特困)")
    NEAR_POOR = "near_poor", _("near-poor household (低保边缘)")
    RIGID = "rigid", _("rigid-expenditure hardship (刚性支出困难)")


class AssistanceItem(models.Model):
    """救助事项: one assistance item of the catalogue, with its rules."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="items", verbose_name=_("category"))
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="assistance_items",
                                   verbose_name=_("department"))
    kind = models.CharField(_("material or service"), max_length=16, choices=Kind.choices, default=Kind.MATERIAL)
    periodic = models.BooleanField(_("paid monthly"), default=False)
    approval_level = models.CharField(_("approval level"), max_length=16, choices=ApprovalLevel.choices,
                                      default=ApprovalLevel.COUNTY)
    acceptance = models.CharField(_("acceptance"), max_length=16, choices=Acceptance.choices,
                                  default=Acceptance.CHECK_FIRST)
    village_proxy = models.BooleanField(_("a village worker may apply on a resident's behalf"), default=False)
    online_application = models.BooleanField(_("residents may apply online (掌上办)"), default=False)
    documents = models.JSONField(_("required documents"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    eligibility = models.TextField(_("eligibility rule"))
    benefit = models.TextField(_("benefit formula"), blank=True,
                               help_text=_("Yuan per month for a periodic item, once for a one-off item; "
                                           "blank for a service without a cash amount."))
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    reason_eligible = models.CharField(_("reason when eligible"), max_length=300, blank=True)
    reason_ineligible = models.CharField(_("reason when not eligible"), max_length=300, blank=True)
    household_ceiling = MoneyField(_("ceiling per household"), null=True, blank=True)
    cap_at_ceiling = models.BooleanField(
        _("cap at the ceiling"), default=False,
        help_text=_("Pay the ceiling when the formula gives more; otherwise such a benefit is refused."))
    tier = models.CharField(_("roster tier it confers"), max_length=16, choices=Tier.choices, blank=True, default="")
    excludes = models.ManyToManyField("self", symmetrical=True, blank=True, verbose_name=_("not together with"))
    active = models.BooleanField(_("active"), default=True)
    proactive = models.BooleanField(
        _("found by screening"), default=True,
        help_text=_("Screening proposes the item to households its rule finds eligible (主动发现). Switch off for "
                    "items whose decisive condition is not in the data (a disaster, a court case, veteran status)."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    current_version = models.ForeignKey("RuleVersion", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", verbose_name=_("current rule version"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["category__order", "order", "code"]
        verbose_name = _("assistance item")
        verbose_name_plural = _("assistance items")
        constraints = [
            models.CheckConstraint(condition=models.Q(household_ceiling__isnull=True) | models.Q(household_ceiling__gt=0),
                                   name="item_ceiling_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    RULE_FIELDS = ("name", "category", "department", "kind", "periodic", "approval_level", "acceptance",
                   "village_proxy", "documents", "description", "eligibility", "benefit", "parameters",
                   "reason_eligible", "reason_ineligible", "household_ceiling", "cap_at_ceiling", "tier", "active",
                   "proactive", "excludes")


class RuleVersion(models.Model):
    """An immutable snapshot of an item's rules; decisions record the one they used."""

    item = models.ForeignKey(AssistanceItem, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("snapshot"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["item", "-number"]
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="rule_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.item.code} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("a rule version is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("a rule version is immutable")

    @property
    def eligibility(self) -> str:
        return self.snapshot.get("eligibility", "")

    @property
    def benefit(self) -> str:
        return self.snapshot.get("benefit", "")


class Area(models.TextChoices):
    URBAN = "urban", _("urban")
    RURAL = "rural", _("rural")


class Unit(models.TextChoices):
    YUAN_MONTH = "yuan_month", _("yuan per month")
    YUAN_YEAR = "yuan_year", _("yuan per year")
    YUAN = "yuan", _("yuan")
    RATIO = "ratio", _("ratio")
    COUNT = "count", _("number")


class Standard(models.Model):
    """One standard of a year, county and area (``std.dibao`` = 720 for rural 临邑县 in 2026)."""

    year = models.PositiveSmallIntegerField(_("year"))
    county_code = models.CharField(_("county"), max_length=6)
    area = models.CharField(_("area"), max_length=8, choices=Area.choices)
    name = models.SlugField(_("name"), max_length=60)
    label = models.CharField(_("label"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices, default=Unit.YUAN_MONTH)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-year", "county_code", "name", "area"]
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        constraints = [
            models.UniqueConstraint(fields=["year", "county_code", "area", "name"], name="standard_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="standard_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.county_code} {self.area} {self.name} = {self.amount}"

    @property
    def is_money(self) -> bool:
        return self.unit in {Unit.YUAN_MONTH, Unit.YUAN_YEAR, Unit.YUAN}


class ScreeningRun(models.Model):
    """One screening of every household of a region against the catalogue."""

    job_id = models.UUIDField(null=True, blank=True)
    region_prefix = models.CharField(_("region"), max_length=12)
    on = models.DateField(_("date screened"))
    households = models.PositiveIntegerField(_("households"), default=0)
    hits = models.PositiveIntegerField(_("eligible (household, item) pairs"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("screening run")
        verbose_name_plural = _("screening runs")

    def __str__(self) -> str:
        return f"{self.region_prefix} {self.on}"


class ScreeningHit(models.Model):
    """The latest screening found ``household`` eligible for ``item`` (with the amount)."""

    # A derived table that a county-wide screening rewrites (hundreds of thousands of rows), so: few indexes
    # (the unique (household, item) one serves lookups by household, the region one the worklists) and no
    # database-level foreign keys — their per-row checks (and row locks on every household) cost more than the
    # whole screening; Django still cascades deletions of households, items and runs.
    run = models.ForeignKey(ScreeningRun, on_delete=models.CASCADE, related_name="results", db_index=False,
                            db_constraint=False)
    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+", db_index=False,
                                  db_constraint=False)
    region_code = models.CharField(max_length=12)
    item = models.ForeignKey(AssistanceItem, on_delete=models.CASCADE, related_name="+", db_index=False,
                             db_constraint=False)
    amount = MoneyField(_("amount"), null=True, blank=True)
    screened_on = models.DateField(_("date screened"))

    class Meta:
        ordering = ["household_id", "item_id"]
        verbose_name = _("screening result")
        verbose_name_plural = _("screening results")
        constraints = [models.UniqueConstraint(fields=["household", "item"], name="screening_one_per_household_item")]
        indexes = [models.Index(fields=["region_code"], name="screening_region_like", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.item_id}"


class Simulation(models.Model):
    """政策模拟: the effect of a proposed change (a standard, an item's rule) on today's registry, computed
    with the vectorised evaluator before the change is made, and kept with the change it preceded."""

    class Kind(models.TextChoices):
        STANDARD = "standard", _("a standard changes")
        RULE = "rule", _("an item's rule changes")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    county_code = models.CharField(_("county"), max_length=6)
    region_prefix = models.CharField(_("region"), max_length=12)
    on = models.DateField(_("registry of"))
    year = models.PositiveSmallIntegerField(_("year"))
    changes = models.JSONField(_("proposed change"))
    households = models.PositiveIntegerField(_("households"), default=0)
    people = models.PositiveIntegerField(_("people"), default=0)
    summary = models.JSONField(_("effect"), default=dict)
    sample = models.JSONField(_("sample of affected households"), default=list)
    seconds = models.FloatField(_("seconds"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    applied_at = models.DateTimeField(_("change made"), null=True, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("policy simulation")
        verbose_name_plural = _("policy simulations")

    def __str__(self) -> str:
        return f"{self.county_code} {self.year} {self.changes}"


class StandardChange(models.Model):
    """One saved change of a standard, with the simulation that preceded it (the change page links to it)."""

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="changes")
    old_amount = models.DecimalField(_("old amount"), max_digits=16, decimal_places=4, null=True, blank=True)
    new_amount = models.DecimalField(_("new amount"), max_digits=16, decimal_places=4)
    simulation = models.ForeignKey(Simulation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("standard change")
        verbose_name_plural = _("standard changes")

    def __str__(self) -> str:
        return f"{self.standard}: {self.old_amount} → {self.new_amount}"
