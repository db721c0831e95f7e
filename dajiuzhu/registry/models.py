"""The registration database of assistance subjects (社会救助对象信息登记库).

A ``Person`` is identified by the blind index of their ID number and is in at most one
``Household`` at a time (the unique ``id_hash`` and the single ``household`` link make this
a database invariant); ``Membership`` keeps the history of who was in which household when.
Facts that change are dated observations: ``HouseholdFacts`` (income, assets, rigid
spending, housing; one row per household and date) and ``MemberFacts`` (health, disability,
self-care, labour, employment; one row per person and date). The state on any day is the
latest observation on or before it (``registry.facts``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.fields import EncryptedTextField
from dajiuzhu.core.money import MoneyField


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Relation(models.TextChoices):
    HEAD = "head", _("head of household")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")
    GRANDCHILD = "grandchild", _("grandchild")
    GRANDPARENT = "grandparent", _("grandparent")
    SIBLING = "sibling", _("sibling")
    CHILD_IN_LAW = "child_in_law", _("son- or daughter-in-law")
    OTHER = "other", _("other relative")


class MaritalStatus(models.TextChoices):
    UNMARRIED = "unmarried", _("unmarried")
    MARRIED = "married", _("married")
    DIVORCED = "divorced", _("divorced")
    WIDOWED = "widowed", _("widowed")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("healthy")
    CHRONIC = "chronic", _("chronic illness")
    SERIOUS = "serious", _("serious illness")


class DisabilityCategory(models.TextChoices):
    VISUAL = "visual", _("visual")
    HEARING = "hearing", _("hearing")
    SPEECH = "speech", _("speech")
    PHYSICAL = "physical", _("physical")
    INTELLECTUAL = "intellectual", _("intellectual")
    MENTAL = "mental", _("mental")
    MULTIPLE = "multiple", _("multiple")


class SelfCare(models.TextChoices):
    """By the six daily-living items: all done = self-care; fails ≤ 3 = partial; ≥ 4 = full loss."""

    FULL = "full", _("able to care for self")
    PARTIAL = "partial", _("partly unable to care for self")
    NONE = "none", _("fully unable to care for self")


class LabourCapacity(models.TextChoices):
    FULL = "full", _("full labour capacity")
    PARTIAL = "partial", _("partial labour capacity")
    NONE = "none", _("no labour capacity")


class Employment(models.TextChoices):
    EMPLOYED = "employed", _("employed")
    SELF_EMPLOYED = "self_employed", _("self-employed")
    FARMING = "farming", _("farming")
    UNEMPLOYED = "unemployed", _("unemployed")
    STUDENT = "student", _("student")
    RETIRED = "retired", _("retired")
    PRESCHOOL = "preschool", _("pre-school child")
    NOT_WORKING = "not_working", _("not working")


class Education(models.TextChoices):
    NONE = "none", _("no schooling")
    PRIMARY = "primary", _("primary school")
    JUNIOR = "junior", _("junior secondary")
    SENIOR = "senior", _("senior secondary or vocational")
    COLLEGE = "college", _("college or above")


class Housing(models.TextChoices):
    SAFE = "safe", _("safe")
    C_CLASS = "c_class", _("C-class dangerous house")
    D_CLASS = "d_class", _("D-class dangerous house")
    NONE = "none", _("no house of own")


class FactSource(models.TextChoices):
    DECLARED = "declared", _("declared by the household")
    VERIFIED = "verified", _("verified by a worker")
    DEPARTMENT = "department", _("department data")
    IMPORT = "import", _("imported file")


class Household(models.Model):
    """户: a household in the registry, located by its residence (居住地) village."""

    number = models.CharField(_("household number"), max_length=32, unique=True)
    region_code = models.CharField(_("residence region"), max_length=12, db_index=True)
    hukou_region_code = models.CharField(_("registration region"), max_length=12, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_urban = models.BooleanField(_("urban"), default=False)
    head = models.OneToOneField("Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.number


class Person(models.Model):
    """成员: a person, identified by ID number, in at most one household at a time."""

    name = models.CharField(_("name"), max_length=60)
    id_number = EncryptedTextField(_("ID number"))
    # Blind indexes are only ever compared whole (=, IN, ANY): a unique constraint and a plain index,
    # not ``unique=True`` / ``db_index=True``, which on PostgreSQL add a second, pattern-matching (LIKE)
    # index that no query uses and every insert pays for.
    id_hash = models.CharField(max_length=64)
    id_masked = models.CharField(_("ID number"), max_length=18)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True, default="汉族")
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True)
    phone_masked = models.CharField(_("phone"), max_length=16, blank=True)
    hukou_region_code = models.CharField(_("registration region"), max_length=12, blank=True)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    relation = models.CharField(_("relation to head"), max_length=16, choices=Relation.choices, blank=True)
    # Residence region, copied from the household so that people can be scoped without a join.
    region_code = models.CharField(_("residence region"), max_length=12, blank=True)  # indexed in Meta
    marital_status = models.CharField(_("marital status"), max_length=16, choices=MaritalStatus.choices, blank=True)
    education = models.CharField(_("education"), max_length=16, choices=Education.choices, blank=True)
    deceased_on = models.DateField(_("date of death"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["name"], name="person_name_idx"),
            models.Index(fields=["phone_hash"], name="person_phone_hash_idx"),
            # One index serves both the scoping prefix (LIKE '3714%') and equality: the plain btree Django
            # would add beside it was a second index to maintain on every insert (docs/scaling.md, 5).
            models.Index(fields=["region_code"], name="person_region_prefix", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(sex__in=["M", "F"]), name="person_sex_valid"),
            models.UniqueConstraint(fields=["id_hash"], name="person_id_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_masked})"


class Membership(models.Model):
    """Who was in which household, from when to when (the history of moves)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships")
    relation = models.CharField(max_length=16, choices=Relation.choices)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=models.Q(end__isnull=True), name="one_open_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.household_id} from {self.start}" + (f" to {self.end}" if self.end else "")


class HouseholdFacts(models.Model):
    """A dated observation of a household's economic situation.

    Incomes are yuan per month (average over the last 12 months); expenses are yuan over the
    last 12 months; assets are values on the date.
    """

    # No separate index: the unique (household, as_of) constraint serves lookups by household.
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="facts", db_index=False)
    region_code = models.CharField(max_length=12)  # indexed in Meta (prefix and equality)
    as_of = models.DateField(_("as of"))
    source = models.CharField(_("source"), max_length=16, choices=FactSource.choices, default=FactSource.DECLARED)
    monthly_wages = MoneyField(_("wages per month"), default=0)
    monthly_business_income = MoneyField(_("net business income per month"), default=0)
    monthly_property_income = MoneyField(_("net property income per month"), default=0)
    monthly_transfer_income = MoneyField(_("net transfer income per month"), default=0)
    monthly_excluded_income = MoneyField(_("excluded income per month"), default=0)
    deposits = MoneyField(_("deposits"), default=0)
    securities = MoneyField(_("securities"), default=0)
    commercial_insurance = MoneyField(_("commercial insurance"), default=0)
    vehicles = models.PositiveSmallIntegerField(_("vehicles"), default=0)
    vehicles_for_disability = models.PositiveSmallIntegerField(_("vehicles used for a disability"), default=0)
    extra_houses = models.PositiveSmallIntegerField(_("houses beyond the one lived in"), default=0)
    annual_medical_expense = MoneyField(_("self-paid medical costs, 12 months"), default=0)
    annual_education_expense = MoneyField(_("education costs, 12 months"), default=0)
    annual_rehabilitation_expense = MoneyField(_("disability rehabilitation costs, 12 months"), default=0)
    annual_basic_living_expense = MoneyField(_("other basic living costs, 12 months"), default=0)
    housing = models.CharField(_("housing condition"), max_length=16, choices=Housing.choices, default=Housing.SAFE)
    safe_water = models.BooleanField(_("safe drinking water"), default=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    # Not indexed: never looked up by recorder, and a user is deactivated, not deleted.
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)

    class Meta:
        ordering = ["household", "as_of"]
        verbose_name = _("household facts")
        verbose_name_plural = _("household facts")
        indexes = [models.Index(fields=["region_code"], name="hfacts_region_prefix", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.UniqueConstraint(fields=["household", "as_of"], name="household_facts_one_per_day"),
            models.CheckConstraint(condition=models.Q(vehicles_for_disability__lte=models.F("vehicles")),
                                   name="disability_vehicles_within_vehicles"),
        ]

    INCOME_FIELDS = ("monthly_wages", "monthly_business_income", "monthly_property_income", "monthly_transfer_income")
    RIGID_FIELDS = ("annual_medical_expense", "annual_education_expense", "annual_rehabilitation_expense",
                    "annual_basic_living_expense")

    def __str__(self) -> str:
        return f"{self.household_id} on {self.as_of}"

    @property
    def monthly_income(self):
        """Household income for the rules: wages + business + property + transfers − exclusions."""
        return sum((getattr(self, f) for f in self.INCOME_FIELDS), start=0) - self.monthly_excluded_income

    @property
    def financial_assets(self):
        return self.deposits + self.securities + self.commercial_insurance

    @property
    def annual_rigid_expense(self):
        return sum((getattr(self, f) for f in self.RIGID_FIELDS), start=0)


class MemberFacts(models.Model):
    """A dated observation of a member's health, disability, self-care, labour and work."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="facts", db_index=False)
    region_code = models.CharField(max_length=12)  # indexed in Meta (prefix and equality)
    as_of = models.DateField(_("as of"))
    source = models.CharField(_("source"), max_length=16, choices=FactSource.choices, default=FactSource.DECLARED)
    health = models.CharField(_("health"), max_length=16, choices=Health.choices, default=Health.HEALTHY)
    illness = models.CharField(_("illness"), max_length=100, blank=True)
    disability_category = models.CharField(_("disability category"), max_length=16,
                                           choices=DisabilityCategory.choices, blank=True)
    disability_grade = models.PositiveSmallIntegerField(_("disability grade"), null=True, blank=True)
    disability_certificate = models.CharField(_("disability certificate"), max_length=40, blank=True)
    adl_failed = models.PositiveSmallIntegerField(_("daily-living items not managed (of 6)"), default=0)
    labour = models.CharField(_("labour capacity"), max_length=16, choices=LabourCapacity.choices,
                              default=LabourCapacity.FULL)
    employment = models.CharField(_("employment"), max_length=16, choices=Employment.choices,
                                  default=Employment.NOT_WORKING)
    recorded_at = models.DateTimeField(auto_now_add=True)
    # Not indexed: never looked up by recorder, and a user is deactivated, not deleted.
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)

    class Meta:
        ordering = ["person", "as_of"]
        verbose_name = _("member facts")
        verbose_name_plural = _("member facts")
        indexes = [models.Index(fields=["region_code"], name="mfacts_region_prefix", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.UniqueConstraint(fields=["person", "as_of"], name="member_facts_one_per_day"),
            models.CheckConstraint(condition=models.Q(adl_failed__lte=6), name="adl_failed_at_most_6"),
            models.CheckConstraint(
                condition=models.Q(disability_grade__isnull=True)
                | models.Q(disability_grade__gte=1, disability_grade__lte=4),
                name="disability_grade_1_to_4",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} on {self.as_of}"

    @property
    def self_care(self) -> str:
        return self_care_level(self.adl_failed)


def self_care_level(adl_failed: int) -> str:
    """All six daily-living items managed = self-care; fails ≤ 3 = partial; ≥ 4 = full loss."""
    if adl_failed <= 0:
        return SelfCare.FULL
    if adl_failed <= 3:
        return SelfCare.PARTIAL
    return SelfCare.NONE


class SupportRelation(models.TextChoices):
    """What the supporter is to the supported person."""

    PARENT = "parent", _("parent")
    CHILD = "child", _("child")
    SPOUSE = "spouse", _("spouse")
    GRANDCHILD = "grandchild", _("grandchild")
    GRANDPARENT = "grandparent", _("grandparent")
    SIBLING = "sibling", _("brother or sister")


class Supporter(models.Model):
    """法定赡养、抚养、扶养义务人: a legal supporter of a person, and what is known of their capacity.

    A supporter in the registry is linked (``supporter_person``); their age, disability, study and
    household income are then read from the registry on the day of an evaluation, and the values
    recorded here only stand in where the registry has none. Whether they are *able* is decided by
    the rules (``programs.supporters``) against the county's standards, never stored.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="supporters",
                               verbose_name=_("supported person"))
    region_code = models.CharField(max_length=12, db_index=True)  # the supported person's residence
    relation = models.CharField(_("relation"), max_length=16, choices=SupportRelation.choices)
    supporter_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                         verbose_name=_("supporter in the registry"))
    name = models.CharField(_("name"), max_length=60)
    id_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    id_hash = models.CharField(max_length=64, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    residence_region_code = models.CharField(_("lives in"), max_length=12, blank=True)
    full_time_student = models.BooleanField(_("in full-time study"), default=False)
    receives_assistance = models.BooleanField(_("receives 低保 or 特困 support"), default=False)
    disability_grade = models.PositiveSmallIntegerField(_("disability grade"), null=True, blank=True)
    per_capita_income = models.DecimalField(_("household per-capita monthly income"), max_digits=12,
                                            decimal_places=2, null=True, blank=True)
    recorded_on = models.DateField(_("recorded on"))
    ended_on = models.DateField(_("no longer a supporter from"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["person", "id"]
        verbose_name = _("legal supporter")
        verbose_name_plural = _("legal supporters")
        constraints = [
            models.CheckConstraint(condition=~models.Q(supporter_person=models.F("person")),
                                   name="supporter_not_the_person"),
            models.CheckConstraint(condition=models.Q(disability_grade__isnull=True)
                                   | models.Q(disability_grade__gte=1, disability_grade__lte=4),
                                   name="supporter_disability_grade_1_4"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relation_display()})"


class EventKind(models.TextChoices):
    FIRE = "fire", _("fire")
    TRAFFIC = "traffic", _("traffic accident")
    ILLNESS = "illness", _("sudden serious illness")
    DISASTER = "disaster", _("natural disaster")
    OTHER = "other", _("other emergency")


class HouseLoss(models.TextChoices):
    NONE = "none", _("house not affected")
    DAMAGED = "damaged", _("house damaged")
    LOST = "lost", _("house lost or uninhabitable")


HOUSE_LOSS_CODES = {HouseLoss.NONE: 0, HouseLoss.DAMAGED: 1, HouseLoss.LOST: 2}


class HouseholdEvent(models.Model):
    """A sudden event that struck the household (急难): a dated household fact the rules read
    (``has_event``, ``event_days``, ``event_loss``, ``event_house``, ``event_injured``, ``event_deaths``)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="events")
    region_code = models.CharField(max_length=12, db_index=True)
    kind = models.CharField(_("kind of event"), max_length=16, choices=EventKind.choices)
    occurred_on = models.DateField(_("date of the event"))
    place = models.CharField(_("place"), max_length=200)
    loss = models.DecimalField(_("loss in yuan"), max_digits=14, decimal_places=2, default=0)
    house = models.CharField(_("house"), max_length=8, choices=HouseLoss.choices, default=HouseLoss.NONE)
    injured = models.PositiveSmallIntegerField(_("people injured (hospitalised)"), default=0)
    deaths = models.PositiveSmallIntegerField(_("people who died"), default=0)
    description = models.TextField(_("what happened"), blank=True)
    case_id = models.BigIntegerField(_("application"), null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("emergency event")
        verbose_name_plural = _("emergency events")
        constraints = [models.CheckConstraint(condition=models.Q(loss__gte=0), name="event_loss_not_negative")]
        indexes = [models.Index(fields=["household", "occurred_on"], name="event_household_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"
