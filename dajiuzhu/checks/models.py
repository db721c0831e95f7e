"""Department data and verification reports (家庭经济状况核对).

A ``Delivery`` is one file or API call of one department for one data type; its
``DepartmentRecord`` rows each describe one person (matched by the blind index of the ID
number, or kept aside until that person is registered) or one area, on one date. A
re-delivered record (same data type, subject and date) updates the row in place, so
delivering the same data twice never duplicates it.

A ``VerificationReport`` is the result of one verification of one household on a reference
date: every ``VerificationItem`` with its source, date, value found, value declared and
difference, and whether re-running the items' rules on the verified facts changes
eligibility or amount.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    UPLOAD = "upload", _("file upload")
    API = "api", _("API")
    DEMO = "demo", _("demo data")


class Delivery(models.Model):
    """One delivery of department data (a file or an API call) for one data type."""

    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="deliveries",
                                   verbose_name=_("department"))
    data_type = models.CharField(_("data type"), max_length=32)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    digest = models.CharField(_("digest"), max_length=64)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("submitted by"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    described_from = models.DateField(_("describes from"), null=True, blank=True)
    described_to = models.DateField(_("describes to"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("new records"), default=0)
    updated = models.PositiveIntegerField(_("corrected records"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged records"), default=0)
    matched = models.PositiveIntegerField(_("people matched"), default=0)
    unmatched = models.PositiveIntegerField(_("people not in the registry"), default=0)
    invalid = models.PositiveIntegerField(_("rows refused"), default=0)
    errors = models.JSONField(_("error report"), default=list, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["department", "data_type", "digest"], name="checks_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.department.code}/{self.data_type} #{self.pk}"


class DepartmentRecord(models.Model):
    """One person's (or one area's) value of one data type on one date, as a department delivered it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="records")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    data_type = models.CharField(max_length=32)
    # The blind index of the ID number (person data) or the division code (area data).
    subject_key = models.CharField(max_length=64)
    id_masked = models.CharField(max_length=18, blank=True)
    name = models.CharField(max_length=60, blank=True)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="department_records")
    region_code = models.CharField(max_length=12, blank=True, db_index=True)
    as_of = models.DateField(_("date described"))
    received_at = models.DateTimeField(_("received"))
    values = models.JSONField(default=dict)
    amount = models.BigIntegerField(null=True, blank=True)  # fen
    quantity = models.IntegerField(null=True, blank=True)
    quantity2 = models.IntegerField(null=True, blank=True)
    event_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["data_type", "as_of", "id"]
        constraints = [
            models.UniqueConstraint(fields=["data_type", "subject_key", "as_of"], name="checks_record_once"),
        ]
        indexes = [
            models.Index(fields=["person", "data_type", "as_of"], name="checks_record_person"),
            models.Index(fields=["subject_key"], condition=models.Q(person__isnull=True),
                         name="checks_record_unmatched"),
        ]

    def __str__(self) -> str:
        return f"{self.data_type} {self.id_masked or self.subject_key} {self.as_of}"


class ReportKind(models.TextChoices):
    APPLICATION = "application", _("application")
    REVIEW = "review", _("periodic review")
    BATCH = "batch", _("county-wide review")


class ReportOutcome(models.TextChoices):
    CONSISTENT = "consistent", _("consistent with the declaration")
    INCONSISTENT = "inconsistent", _("inconsistent with the declaration")


class ReportStatus(models.TextChoices):
    CLOSED = "closed", _("closed")
    AWAITING_DECISION = "awaiting_decision", _("awaiting the approver's decision")
    DECIDED = "decided", _("decided")


class Decision(models.TextChoices):
    CONFIRM = "confirm", _("confirmed as it is")
    ADJUST = "adjust", _("amount adjusted")
    REVOKE = "revoke", _("revoked")


class VerificationReport(models.Model):
    """核对报告: one verification of one household on a reference date."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="verification_reports",
                                  verbose_name=_("household"))
    case_id = models.BigIntegerField(_("case"), null=True, blank=True, db_index=True)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ReportKind.choices)
    as_of = models.DateField(_("reference date"))
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("run by"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=ReportOutcome.choices)
    status = models.CharField(_("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.CLOSED)
    discrepancies = models.PositiveSmallIntegerField(_("discrepancies"), default=0)
    changes_eligibility = models.BooleanField(_("changes eligibility"), default=False)
    changes_amount = models.BooleanField(_("changes the amount"), default=False)
    evaluated = models.BooleanField(_("rules re-run"), default=False)
    declared_facts = models.JSONField(default=dict, blank=True)
    verified_facts = models.JSONField(default=dict, blank=True)
    evaluations = models.JSONField(default=list, blank=True)
    # The household-level lines of a report written in bulk (a consistent household in the batch):
    # the same fields as ``VerificationItem``, kept on the report instead of one row per line.
    lines = models.JSONField(default=list, blank=True)
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    decision_details = models.JSONField(default=dict, blank=True)
    dishonesty_record_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("verification report")
        verbose_name_plural = _("verification reports")
        indexes = [models.Index(fields=["job", "outcome"], name="checks_report_job")]

    def __str__(self) -> str:
        return f"{self.household} {self.as_of} {self.outcome}"

    def all_lines(self) -> list:
        """Every line of the report: the item rows, or the compact lines kept on the report."""
        rows = list(self.items.select_related("person"))
        if rows or not self.lines:
            return rows
        from django.utils.translation import gettext as _

        from .compare import CHECK_BY_CODE
        from .services import _sources

        out = []
        for code, found, declared, difference, described in self.lines:
            check = CHECK_BY_CODE.get(code)
            out.append(VerificationItem(
                report=self, check_code=code, source=_sources(check.data_types) if check else "",
                described_on=_date_or_none(described), value_found=found or _("no record"), value_declared=declared,
                difference=difference))
        return out


def _date_or_none(value):
    import datetime as dt

    return dt.date.fromisoformat(value) if value else None


class Affects(models.TextChoices):
    NOTHING = "", _("neither")
    AMOUNT = "amount", _("the amount")
    ELIGIBILITY = "eligibility", _("eligibility")
    UNKNOWN = "unknown", _("not evaluated")


class VerificationItem(models.Model):
    """One line of a report: a check of one item against one department's data."""

    report = models.ForeignKey(VerificationReport, on_delete=models.CASCADE, related_name="items")
    check_code = models.CharField(_("item"), max_length=32)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    person_name = models.CharField(_("member"), max_length=60, blank=True)
    source = models.CharField(_("source"), max_length=40)
    described_on = models.DateField(_("date"), null=True, blank=True)
    value_found = models.CharField(_("value found"), max_length=200, blank=True)
    value_declared = models.CharField(_("value declared"), max_length=200, blank=True)
    difference = models.CharField(_("difference"), max_length=200, blank=True)
    discrepancy = models.BooleanField(_("discrepancy"), default=False)
    affects = models.CharField(_("changes"), max_length=16, choices=Affects.choices, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("verification item")
        verbose_name_plural = _("verification items")

    def __str__(self) -> str:
        return f"{self.check_code}: {self.value_found} / {self.value_declared}"
