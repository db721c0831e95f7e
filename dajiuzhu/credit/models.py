"""The credit record (信用): dishonesty records, appeals, notices and review streaks.

"One breach, restricted everywhere" (一处失信、处处受限): an active ``DishonestyRecord`` of a
person, or of a member of their household, puts every application of that household on the
check-first path (see ``credit.selectors.household_restriction``).

The evidence (a ``checks.VerificationReport``) and the case are referred to by id: ``checks``
and ``cases`` sit on either side of ``credit`` in the dependency order, and a record must
survive whatever happens to them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordSource(models.TextChoices):
    CASE = "case", _("assistance case (false declaration)")
    DEPARTMENT_LIST = "department_list", _("department list")


class RecordReason(models.TextChoices):
    CONCEALMENT = "concealment", _("concealed income or assets")
    FORGERY = "forgery", _("forged or false documents")
    DISHONEST_DEBTOR = "dishonest_debtor", _("court dishonest-debtor list (失信被执行人)")
    OTHER = "other", _("other breach of the credit promise")


class RecordStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed: the family is heard first")
    ACTIVE = "active", _("active")
    WITHDRAWN = "withdrawn", _("withdrawn after the hearing")
    LIFTED = "lifted", _("lifted early")
    EXPIRED = "expired", _("expired")


# The allowed transitions of a record (告知与申辩 first, then listing, then its end); services only.
TRANSITIONS: dict[str, frozenset[str]] = {
    RecordStatus.PROPOSED: frozenset({RecordStatus.ACTIVE, RecordStatus.WITHDRAWN}),
    RecordStatus.ACTIVE: frozenset({RecordStatus.LIFTED, RecordStatus.EXPIRED}),
    RecordStatus.WITHDRAWN: frozenset(),
    RecordStatus.LIFTED: frozenset(),
    RecordStatus.EXPIRED: frozenset(),
}


class DishonestyRecord(models.Model):
    """失信记录: a person on the dishonesty list, with why, on what evidence, and until when."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="dishonesty_records",
                               verbose_name=_("person"))
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="dishonesty_records", verbose_name=_("household"))
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    reason = models.CharField(_("reason"), max_length=24, choices=RecordReason.choices)
    details = models.TextField(_("details"), blank=True)
    source = models.CharField(_("source"), max_length=24, choices=RecordSource.choices)
    source_reference = models.CharField(_("source reference"), max_length=80, blank=True,
                                        help_text=_("case number, court case number or delivery number"))
    case_id = models.BigIntegerField(_("case"), null=True, blank=True)
    case_item_id = models.BigIntegerField(_("case item"), null=True, blank=True)
    evidence_report_id = models.BigIntegerField(_("verification report"), null=True, blank=True)
    department_record_id = models.BigIntegerField(_("department record"), null=True, blank=True)
    start = models.DateField(_("start"))
    expiry = models.DateField(_("expiry"))
    status = models.CharField(_("status"), max_length=16, choices=RecordStatus.choices, default=RecordStatus.ACTIVE)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    # The hearing (告知与申辩): notice of the intended listing, the family's answer, its consideration.
    proposed_on = models.DateField(_("notice of intended listing issued on"), null=True, blank=True)
    answer_due = models.DateField(_("answer due by"), null=True, blank=True)
    answer = models.TextField(_("the family's statement (陈述申辩)"), blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    consideration = models.TextField(_("consideration of the answer"), blank=True)
    considered_on = models.DateField(_("considered on"), null=True, blank=True)
    intended_months = models.PositiveSmallIntegerField(_("intended listing, months"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("dishonesty record")
        verbose_name_plural = _("dishonesty records")
        constraints = [
            models.CheckConstraint(condition=models.Q(expiry__gt=models.F("start")), name="credit_expiry_after_start"),
            # One active record per person and source reference (a re-delivered court list adds nothing).
            models.UniqueConstraint(fields=["person", "source", "source_reference"],
                                    condition=models.Q(status="active"), name="credit_one_active_per_reference"),
        ]
        indexes = [models.Index(fields=["status", "expiry"], name="credit_status_expiry")]

    def __str__(self) -> str:
        return f"{self.person} {self.get_reason_display()}"

    def is_in_force(self, on) -> bool:
        return self.status == RecordStatus.ACTIVE and self.start <= on < self.expiry


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    UPHELD = "upheld", _("upheld (record lifted)")
    REJECTED = "rejected", _("rejected")


class Appeal(models.Model):
    """申诉: the listed person disputes the record."""

    record = models.ForeignKey(DishonestyRecord, on_delete=models.CASCADE, related_name="appeals")
    region_code = models.CharField(max_length=12, db_index=True)
    filed_on = models.DateField(_("filed on"))
    grounds = models.TextField(_("grounds"))
    status = models.CharField(_("status"), max_length=16, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-filed_on", "-id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.UniqueConstraint(fields=["record"], condition=models.Q(status="pending"),
                                    name="credit_one_pending_appeal"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} {self.filed_on} {self.status}"


class NoticeKind(models.TextChoices):
    HEARING = "hearing", _("notice of intended listing (告知书)")
    WITHDRAWN = "withdrawn", _("notice of withdrawal")
    LISTED = "listed", _("notice of listing")
    LIFTED = "lifted", _("notice of lifting")
    APPEAL_REJECTED = "appeal_rejected", _("appeal decision")
    EXPIRED = "expired", _("notice of expiry")


class CreditNotice(models.Model):
    """告知书: what the person was told, and when (printable as a letter)."""

    record = models.ForeignKey(DishonestyRecord, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    issued_on = models.DateField(_("issued on"))
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["issued_on", "id"]
        verbose_name = _("credit notice")
        verbose_name_plural = _("credit notices")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.issued_on}"


class ReviewStreak(models.Model):
    """Consecutive consistent verifications of a household (the honesty incentive)."""

    household = models.OneToOneField("registry.Household", on_delete=models.CASCADE, related_name="review_streak")
    consistent_cycles = models.PositiveIntegerField(default=0)
    last_outcome_on = models.DateField(null=True, blank=True)
    last_report_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("review streak")
        verbose_name_plural = _("review streaks")

    def __str__(self) -> str:
        return f"{self.household_id}: {self.consistent_cycles}"


class JointParty(models.Model):
    """A department that takes part in the joint restriction (联合惩戒): it fetches the records in force
    through the department data channel and applies its own restriction (what it restricts is recorded)."""

    department = models.OneToOneField("accounts.Department", on_delete=models.CASCADE, related_name="joint_party",
                                      verbose_name=_("department"))
    restricts = models.CharField(_("what the department restricts"), max_length=200)
    since = models.DateField(_("takes part since"))

    class Meta:
        ordering = ["department__code"]
        verbose_name = _("joint-restriction department")
        verbose_name_plural = _("joint-restriction departments")

    def __str__(self) -> str:
        return f"{self.department}: {self.restricts}"
