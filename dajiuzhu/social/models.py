"""Social forces (社会力量参与): the organisations the county buys services from, the purchased-service
projects (政府购买服务) with their price list, the service orders (派单) and visits that become service
records in the results database, call-backs and monthly settlement, volunteers and charity wishes (微心愿).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.fields import EncryptedTextField
from dajiuzhu.core.money import MoneyField


class ServiceKind(models.TextChoices):
    """What a unit of service is (the price list's units)."""

    VISIT = "visit", _("home visit")
    CARE_HOUR = "care_hour", _("hour of care")
    COUNSELLING = "counselling", _("counselling session")
    TRAINING_DAY = "training_day", _("training day")


class OrgStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    REVOKED = "revoked", _("removed from the register")


class Organisation(models.Model):
    """A social organisation, social-work agency, care provider or charity on the county's register."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    authority = models.CharField(_("registration authority"), max_length=120)
    kind = models.CharField(_("kind of organisation"), max_length=60, blank=True)
    services = models.JSONField(_("services offered"), default=list)  # ServiceKind values
    region_code = models.CharField(_("registered in"), max_length=12)  # the county that keeps the register
    contact_name = models.CharField(_("contact person"), max_length=60)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True, default="")
    contact_phone_masked = models.CharField(_("contact phone"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=OrgStatus.choices, default=OrgStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("social organisation")
        verbose_name_plural = _("social organisations")

    def __str__(self) -> str:
        return self.name


class ServiceArea(models.Model):
    """A region (its code prefix) where the organisation may serve."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="areas")
    region_code = models.CharField(_("region"), max_length=12)
    prefix = models.CharField(max_length=12)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "region_code"], name="service_area_once")]

    def __str__(self) -> str:
        return self.region_code


class Qualification(models.Model):
    """A qualification document (licence, registration certificate) with its expiry."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="qualifications")
    name = models.CharField(_("document"), max_length=120)
    number = models.CharField(_("number"), max_length=60, blank=True)
    issued_by = models.CharField(_("issued by"), max_length=120, blank=True)
    expires_on = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["expires_on"]

    def __str__(self) -> str:
        return self.name


class OrganisationUser(models.Model):
    """Links a ``social_org`` account to its organisation; a coordinator accepts and assigns orders."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="social_link")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="users")
    is_coordinator = models.BooleanField(_("coordinator"), default=False)

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class Project(models.Model):
    """政府购买服务: a purchased-service project with a budget, a period and its contracted organisations."""

    name = models.CharField(_("project"), max_length=120)
    region_code = models.CharField(_("region"), max_length=12)  # the buying county (or township)
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("buying department"))
    budget = MoneyField(_("budget"))
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    organisations = models.ManyToManyField(Organisation, related_name="projects", verbose_name=_("contracted"))
    target_groups = models.CharField(_("target groups"), max_length=300, blank=True)
    visits_per_person_month = models.PositiveSmallIntegerField(_("visits per person per month"), default=1)
    satisfaction_target = models.DecimalField(_("satisfaction target (of 5)"), max_digits=3, decimal_places=2,
                                              default=4)
    # Item codes of the catalogue whose approval orders this project's care (e.g. "tekun").
    case_item_codes = models.JSONField(_("case items served"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start", "name"]
        verbose_name = _("purchased-service project")
        verbose_name_plural = _("purchased-service projects")
        constraints = [models.CheckConstraint(condition=models.Q(end__gte=models.F("start")),
                                              name="project_period_ordered"),
                       models.CheckConstraint(condition=models.Q(budget__gte=0), name="project_budget_not_negative")]

    def __str__(self) -> str:
        return self.name


class Price(models.Model):
    """One line of the project's service catalogue: a kind of service and its unit price."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="prices")
    kind = models.CharField(_("service"), max_length=16, choices=ServiceKind.choices)
    unit_price = MoneyField(_("unit price"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "kind"], name="one_price_per_kind"),
                       models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="price_not_negative")]

    def __str__(self) -> str:
        return f"{self.kind} {self.unit_price}"


class RosterRule(models.Model):
    """A standing rule that orders a service every month for every household it selects (rules as data).

    ``conditions``: ``[[fact, op, value], ...]`` over ``registry.facts.FACTS`` (op one of < <= == >= >),
    ``tiers``: benefits in force required (any of, e.g. ``["dibao"]``)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="rules")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("rule"), max_length=120)
    kind = models.CharField(_("service"), max_length=16, choices=ServiceKind.choices, default=ServiceKind.VISIT)
    quantity = models.DecimalField(_("units per order"), max_digits=6, decimal_places=2, default=1)
    conditions = models.JSONField(_("conditions"), default=list)
    tiers = models.JSONField(_("benefits required"), default=list, blank=True)
    due_day = models.PositiveSmallIntegerField(_("due on day of month"), default=25)
    active = models.BooleanField(_("active"), default=True)

    def __str__(self) -> str:
        return self.name


class OrderSource(models.TextChoices):
    CASE = "case", _("case decision")
    ALERT = "alert", _("early-warning follow-up")
    ROSTER = "roster", _("roster rule")
    MANUAL = "manual", _("by hand")


class OrderStatus(models.TextChoices):
    ASSIGNED = "assigned", _("sent to the organisation")
    ACCEPTED = "accepted", _("accepted")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


OPEN_ORDER_STATUSES = (OrderStatus.ASSIGNED, OrderStatus.ACCEPTED)


class Order(models.Model):
    """派单: a service to give to a household (and member), sent to an organisation."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="orders")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="orders")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("village"), max_length=12)
    kind = models.CharField(_("service"), max_length=16, choices=ServiceKind.choices)
    quantity = models.DecimalField(_("units"), max_digits=6, decimal_places=2, default=1)
    needs = models.CharField(_("needs"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=OrderSource.choices)
    source_ref = models.CharField(max_length=40, blank=True)
    month = models.DateField(_("month"))  # first day of the month the service belongs to
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.ASSIGNED)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("worker"))
    dedupe_key = models.CharField(max_length=80)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        indexes = [models.Index(fields=["region_code"], name="order_region_like", opclasses=["varchar_pattern_ops"]),
                   models.Index(fields=["organisation", "status", "due_on"], name="order_org_status_due"),
                   models.Index(fields=["month", "source", "source_ref"], name="order_month_source")]
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="order_dedupe_key_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class VisitStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed by the resident")
    VERIFIED = "verified", _("verified by call-back")
    DISPUTED = "disputed", _("disputed at call-back")


COUNTED_VISIT_STATUSES = (VisitStatus.CONFIRMED, VisitStatus.VERIFIED)


class Visit(models.Model):
    """One service given on an order, recorded on the worker's phone; becomes a service record in results."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="visits")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")  # denormalised: settlement
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("village"), max_length=12)
    kind = models.CharField(_("service"), max_length=16, choices=ServiceKind.choices)
    quantity = models.DecimalField(_("units"), max_digits=6, decimal_places=2)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"))
    month = models.DateField(_("month"))
    done = models.TextField(_("what was done"))
    confirmed_by = models.CharField(_("confirmed by"), max_length=60)
    status = models.CharField(_("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.CONFIRMED)
    rating = models.PositiveSmallIntegerField(_("rating (1–5)"), null=True, blank=True)
    rating_via = models.CharField(_("rated through"), max_length=16, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=300, blank=True)
    record_id = models.BigIntegerField(_("service record"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["project", "month", "status"], name="visit_settlement"),
                   models.Index(fields=["worker", "started_at"], name="visit_worker_time")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ended_at__gt=models.F("started_at")), name="visit_ends_after_start"),
            models.CheckConstraint(condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                                   name="visit_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M}"


class VisitPhoto(models.Model):
    """A photo of a visit, stored sealed (encrypted at rest, ``core.intake.sealed``)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    path = models.CharField(max_length=300)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.sha256[:12]


class CallBack(models.Model):
    """A county call-back (回访) to a resident about one visit, drawn at random (reproducibly)."""

    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="callback")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    seed = models.CharField(max_length=40)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    reached = models.BooleanField(null=True)
    service_confirmed = models.BooleanField(null=True)
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)
    complaint = models.CharField(_("complaint"), max_length=300, blank=True)

    def __str__(self) -> str:
        return f"call-back of visit {self.visit_id}"


class Settlement(models.Model):
    """结算: a project's statement for one month, from the counted visits × unit prices and the evaluation."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="settlements")
    month = models.DateField(_("month"))
    lines = models.JSONField(default=list)  # per organisation and kind: units, unit price, amount
    evaluation = models.JSONField(default=dict)  # per organisation: the monthly evaluation and pay share
    gross = MoneyField(_("services at unit prices"))
    total = MoneyField(_("amount settled"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["project", "month"], name="one_settlement_per_month")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.month:%Y-%m}"


class Volunteer(models.Model):
    """A registered volunteer (志愿者)."""

    name = models.CharField(_("name"), max_length=60)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_masked = models.CharField(_("phone"), max_length=16, blank=True)
    region_code = models.CharField(_("region"), max_length=12)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="volunteers")
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    registered_on = models.DateField(_("registered"))

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VolunteerHours(models.Model):
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="hours")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="volunteer_hours")
    region_code = models.CharField(max_length=12)
    on = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(hours__gt=0, hours__lte=24), name="hours_in_a_day")]

    def __str__(self) -> str:
        return f"{self.volunteer_id} {self.on} {self.hours} h"


class WishStatus(models.TextChoices):
    PUBLISHED = "published", _("published")
    CLAIMED = "claimed", _("claimed")
    DELIVERED = "delivered", _("delivered")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Wish(models.Model):
    """微心愿: a small need published for donors without saying who the family is (village at most)."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("village"), max_length=12)
    title = models.CharField(_("wish"), max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True)
    value = MoneyField(_("estimated value"))
    status = models.CharField(_("status"), max_length=10, choices=WishStatus.choices, default=WishStatus.PUBLISHED)
    donor = models.CharField(_("donor"), max_length=120, blank=True)
    donor_is_company = models.BooleanField(_("company"), default=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_on = models.DateField(_("delivered"), null=True, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(value__gt=0), name="wish_value_positive")]

    def __str__(self) -> str:
        return self.title
