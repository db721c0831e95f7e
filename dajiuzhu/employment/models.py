"""Public-welfare jobs (公益性岗位) and training courses (就业技能培训).

A placement puts a member of a household in hardship into a post; its monthly wage is income of the
household (``registry.services.household_income_adjust``), so rules and indices see it; its start sets
the member's employment status in the registry's member facts. A training enrolment ends in completion
(or not) and a follow-up six months later: employed or not.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.money import MoneyField


class Job(models.Model):
    """公益性岗位: a post (village cleaner, road keeper, elderly carer) funded by a department."""

    title = models.CharField(_("post"), max_length=60)
    region_code = models.CharField(_("place"), max_length=12)  # the village (or township) of the post
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("funding department"))
    hours_per_month = models.PositiveSmallIntegerField(_("hours per month"))
    monthly_pay = MoneyField(_("pay per month"))
    positions = models.PositiveSmallIntegerField(_("positions"), default=1)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_code", "title"]
        constraints = [models.CheckConstraint(condition=models.Q(monthly_pay__gt=0), name="job_pay_positive"),
                       models.CheckConstraint(condition=models.Q(positions__gte=1), name="job_positions_at_least_one")]

    def __str__(self) -> str:
        return self.title


class Placement(models.Model):
    """A person in a post, with the contract; ended by an exit."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("in post")
        ENDED = "ended", _("left")

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="placements")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=12)  # the household's village
    contract_number = models.CharField(_("contract number"), max_length=40)
    start = models.DateField(_("from"))
    contract_end = models.DateField(_("contract until"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    ended_on = models.DateField(_("left on"), null=True, blank=True)
    exit_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)
    income_counted = MoneyField(_("wage counted in household income"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=models.Q(status="active"),
                                    name="one_active_placement_per_person"),
            models.CheckConstraint(condition=models.Q(contract_end__gte=models.F("start")),
                                   name="placement_contract_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.person_id} from {self.start}"


class Wage(models.Model):
    """One month's attendance and wage of a placement."""

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="wages")
    month = models.DateField(_("month"))
    days_worked = models.PositiveSmallIntegerField(_("days worked"))
    amount = MoneyField(_("wage"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["month"]
        constraints = [models.UniqueConstraint(fields=["placement", "month"], name="one_wage_per_month"),
                       models.CheckConstraint(condition=models.Q(amount__gte=0), name="wage_not_negative"),
                       models.CheckConstraint(condition=models.Q(days_worked__lte=31), name="days_in_a_month")]

    def __str__(self) -> str:
        return f"{self.placement_id} {self.month:%Y-%m}"


class Course(models.Model):
    """A training course (就业技能培训)."""

    name = models.CharField(_("course"), max_length=120)
    provider = models.CharField(_("provider"), max_length=120)
    region_code = models.CharField(_("place"), max_length=12)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    days = models.PositiveSmallIntegerField(_("training days"))
    capacity = models.PositiveSmallIntegerField(_("places"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start"]
        constraints = [models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="course_ordered"),
                       models.CheckConstraint(condition=models.Q(days__gte=1), name="course_days_positive")]

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=12)
    days_attended = models.PositiveSmallIntegerField(_("days attended"), default=0)
    completed_on = models.DateField(_("completed"), null=True, blank=True)
    certificate = models.CharField(_("certificate"), max_length=60, blank=True)
    follow_up_due = models.DateField(_("follow-up due"), null=True, blank=True)
    followed_up_on = models.DateField(_("followed up"), null=True, blank=True)
    employed = models.BooleanField(_("employed six months on"), null=True)
    follow_up_note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "person"], name="enrol_once")]

    def __str__(self) -> str:
        return f"{self.course_id}/{self.person_id}"
