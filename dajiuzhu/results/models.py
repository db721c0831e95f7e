"""The assistance results database (救助成果库) and the monthly payment batches.

``AssistanceRecord``: one row per assistance given (凡救助必入库) — who received it, what,
from whom, material (cash, or goods with quantity and value) or service (kind, hours,
provider), for which period, from which case or payment. ``dedupe_key`` makes every source
idempotent: a signal or a delivery row that arrives twice creates one record.

``PaymentBatch`` / ``PaymentLine``: the monthly payment of periodic items, generated from
the active cases, checked, approved by a second person, exported as a bank file and
reconciled from the bank's return file (``docs/payments.md``).

``Recovery``: an overpayment to recover (recorded by cases on a revocation), deducted from
the household's next payments until the balance is nil.

``DeliveryRow``: a department's or organisation's delivered row that could not become a
record (nobody in the registry with that ID number, bad values): reported and kept aside.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.money import MoneyField


class Category(models.TextChoices):
    """The ten kinds of assistance (10+1+3) and social forces' participation."""

    LIVING = "living", _("basic living")
    MEDICAL = "medical", _("medical")
    EDUCATION = "education", _("education")
    HOUSING = "housing", _("housing")
    EMPLOYMENT = "employment", _("employment")
    TEMPORARY = "temporary", _("temporary")
    DISASTER = "disaster", _("disaster victims")
    DISABILITY = "disability", _("disability")
    CHILDREN = "children", _("children in difficulty")
    JUDICIAL = "judicial", _("judicial")
    SOCIAL = "social", _("social forces")
    OTHER = "other", _("other")


class Kind(models.TextChoices):
    CASH = "cash", _("cash")
    GOODS = "goods", _("goods")
    SERVICE = "service", _("service")


MATERIAL_KINDS = (Kind.CASH, Kind.GOODS)


class Source(models.TextChoices):
    CASE = "case", _("case decision")
    PAYMENT = "payment", _("payment batch")
    DEPARTMENT = "department", _("department delivery")
    SOCIAL_ORG = "social_org", _("social organisation")
    MANUAL = "manual", _("entered by a worker")


class RecordStatus(models.TextChoices):
    GIVEN = "given", _("given")
    CANCELLED = "cancelled", _("cancelled")


class AssistanceRecord(models.Model):
    """One assistance given to a household (and member)."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="assistance_records",
                                  verbose_name=_("household"))
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="assistance_records", verbose_name=_("member"))
    # The household's residence village when the assistance was given (aggregation key).
    region_code = models.CharField(_("region"), max_length=12)
    is_urban = models.BooleanField(_("urban"), default=False)
    item_code = models.CharField(_("item code"), max_length=60)
    item_name = models.CharField(_("item"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.OTHER)
    tier = models.CharField(_("tier"), max_length=20, blank=True)
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("department"))
    organisation = models.CharField(_("organisation"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CASH)
    amount = MoneyField(_("amount (yuan)"), default=0)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    goods = models.CharField(_("goods"), max_length=120, blank=True)
    service_kind = models.CharField(_("service kind"), max_length=60, blank=True)
    service_hours = models.DecimalField(_("service hours"), max_digits=8, decimal_places=2, null=True, blank=True)
    provider = models.CharField(_("provider"), max_length=120, blank=True)
    persons = models.PositiveSmallIntegerField(_("persons covered"), default=1)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    given_on = models.DateField(_("date given"))
    case_id_ref = models.BigIntegerField(_("case"), null=True, blank=True)
    case_item_ref = models.BigIntegerField(_("case item"), null=True, blank=True)
    payment_line = models.OneToOneField("PaymentLine", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="record")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    external_ref = models.CharField(_("reference"), max_length=80, blank=True)
    dedupe_key = models.CharField(max_length=120)  # unique: see Meta.constraints (no LIKE index)
    status = models.CharField(_("status"), max_length=12, choices=RecordStatus.choices, default=RecordStatus.GIVEN)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("assistance record")
        verbose_name_plural = _("assistance records")
        indexes = [
            models.Index(fields=["region_code"], name="record_region_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["given_on"], name="record_given_on"),
            models.Index(fields=["household", "given_on"], name="record_household_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="record_amount_not_negative"),
            models.CheckConstraint(condition=~models.Q(kind="service") | ~models.Q(service_kind=""),
                                   name="service_record_has_kind"),
            # Compared whole only; unique=True would add a second, pattern-matching index on PostgreSQL.
            models.UniqueConstraint(fields=["dedupe_key"], name="record_dedupe_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item_name} · {self.given_on}"

    @property
    def is_material(self) -> bool:
        return self.kind in MATERIAL_KINDS


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("generated")
    CHECKED = "checked", _("checked")
    APPROVED = "approved", _("approved")
    EXPORTED = "exported", _("exported to the bank")
    RECONCILED = "reconciled", _("reconciled")
    CANCELLED = "cancelled", _("cancelled")


# Allowed transitions (workflow state as data; only services change it).
BATCH_TRANSITIONS: dict[str, set[str]] = {
    BatchStatus.DRAFT: {BatchStatus.CHECKED, BatchStatus.CANCELLED},
    BatchStatus.CHECKED: {BatchStatus.CHECKED, BatchStatus.APPROVED, BatchStatus.CANCELLED},
    BatchStatus.APPROVED: {BatchStatus.EXPORTED, BatchStatus.CANCELLED},
    BatchStatus.EXPORTED: {BatchStatus.EXPORTED, BatchStatus.RECONCILED},
    BatchStatus.RECONCILED: set(),
    BatchStatus.CANCELLED: set(),
}


class PaymentBatch(models.Model):
    """发放批次: one month's payment of periodic items in a region (a county or a township)."""

    number = models.CharField(_("batch number"), max_length=40, unique=True)
    month = models.DateField(_("month"))  # the first day of the month paid
    region_code = models.CharField(_("region"), max_length=12)
    status = models.CharField(_("status"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    total_amount = MoneyField(_("total"), default=0)
    check_report = models.JSONField(_("check report"), default=dict, blank=True)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("generated by"))
    generated_at = models.DateTimeField(_("generated"), auto_now_add=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)
    export_encoding = models.CharField(_("file encoding"), max_length=8, blank=True)
    export_sha256 = models.CharField(max_length=64, blank=True)
    reconciled_at = models.DateTimeField(_("reconciled"), null=True, blank=True)
    paid_count = models.PositiveIntegerField(_("paid"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)

    class Meta:
        ordering = ["-month", "-id"]
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")
        constraints = [
            models.UniqueConstraint(fields=["month", "region_code"], condition=~models.Q(status="cancelled"),
                                    name="one_live_batch_per_month_and_region"),
            models.CheckConstraint(condition=models.Q(approved_by__isnull=True)
                                   | ~models.Q(approved_by=models.F("generated_by")),
                                   name="batch_approved_by_second_person"),
        ]

    def __str__(self) -> str:
        return self.number


class LineStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    EXCLUDED = "excluded", _("excluded")
    PAID = "paid", _("paid")
    FAILED = "failed", _("failed")


class PaymentLine(models.Model):
    """One payee's payment of one periodic item in a batch."""

    batch = models.ForeignKey(PaymentBatch, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField(_("line"))
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    payee = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payee_name = models.CharField(_("payee"), max_length=60)
    region_code = models.CharField(_("region"), max_length=12)
    is_urban = models.BooleanField(default=False)
    item_code = models.CharField(_("item code"), max_length=60)
    item_name = models.CharField(_("item"), max_length=120)
    category = models.CharField(_("category"), max_length=20, default=Category.LIVING)
    tier = models.CharField(_("tier"), max_length=20, blank=True)
    persons = models.PositiveSmallIntegerField(_("persons covered"), default=1)
    case_id_ref = models.BigIntegerField(null=True, blank=True)
    case_item_ref = models.BigIntegerField(null=True, blank=True)
    case_status = models.CharField(max_length=16, blank=True)
    gross_amount = MoneyField(_("amount due"))
    deduction = MoneyField(_("recovery deducted"), default=0)
    amount = MoneyField(_("amount paid"))
    recovery = models.ForeignKey("Recovery", null=True, blank=True, on_delete=models.PROTECT, related_name="lines")
    status = models.CharField(_("status"), max_length=10, choices=LineStatus.choices, default=LineStatus.PENDING)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)

    class Meta:
        ordering = ["batch", "line_no"]
        verbose_name = _("payment line")
        verbose_name_plural = _("payment lines")
        constraints = [
            models.UniqueConstraint(fields=["batch", "line_no"], name="payment_line_number_unique"),
            # Within half a fen rather than "=": SQLite compares these NUMERIC columns as floating point
            # (261.65 != 523.31 - 261.66 there); with 2-place amounts the two are the same rule.
            models.CheckConstraint(
                condition=models.Q(amount__gte=models.F("gross_amount") - models.F("deduction") - Decimal("0.005"),
                                   amount__lte=models.F("gross_amount") - models.F("deduction") + Decimal("0.005")),
                name="payment_line_net_is_gross_minus_deduction"),
            models.CheckConstraint(condition=models.Q(amount__gte=0) & models.Q(deduction__gte=0),
                                   name="payment_line_amounts_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.line_no}"


class RecoveryStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("recovered")
    WAIVED = "waived", _("waived")


class Recovery(models.Model):
    """An overpayment to recover from a household (追缴), with the balance still owed."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("household"))
    region_code = models.CharField(_("region"), max_length=12)
    case_item_ref = models.BigIntegerField(null=True, blank=True)
    item_code = models.CharField(_("item code"), max_length=60, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    amount = MoneyField(_("overpaid"))
    recovered = MoneyField(_("recovered"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=RecoveryStatus.choices, default=RecoveryStatus.OPEN)
    dedupe_key = models.CharField(max_length=120)  # unique: see Meta.constraints (no LIKE index)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("overpayment recovery")
        verbose_name_plural = _("overpayment recoveries")
        constraints = [
            models.CheckConstraint(condition=models.Q(recovered__lte=models.F("amount")) & models.Q(recovered__gte=0),
                                   name="recovery_within_amount"),
            models.UniqueConstraint(fields=["dedupe_key"], name="recovery_dedupe_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.amount}"

    @property
    def balance(self):
        return self.amount - self.recovered


class Delivery(models.Model):
    """One delivered file (or API call) of assistance records from a department or organisation."""

    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    organisation = models.CharField(max_length=120, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    filename = models.CharField(_("file"), max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("records created"), default=0)
    duplicates = models.PositiveIntegerField(_("already recorded"), default=0)
    kept_aside = models.PositiveIntegerField(_("kept aside"), default=0)
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    delivered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-delivered_at"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.filename or self.pk} ({self.delivered_at:%Y-%m-%d})"


class DeliveryRow(models.Model):
    """A delivered row kept aside (not in the registry, or invalid), with the reason."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="kept_rows")
    line = models.PositiveIntegerField(_("line"))
    id_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    name = models.CharField(_("name"), max_length=60, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    data = models.JSONField(default=dict)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery", "line"]
        verbose_name = _("row kept aside")
        verbose_name_plural = _("rows kept aside")

    def __str__(self) -> str:
        return f"{self.delivery_id}:{self.line} {self.reason}"
