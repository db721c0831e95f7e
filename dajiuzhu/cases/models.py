"""Applications (申请), their items, decisions, reviews, revocations, appeals and public notices (公示).

A ``Case`` is one application of one household, accepted at one window (or by a village worker
on the household's behalf, by the resident online, or raised by the platform). It asks for one
or several assistance items; each becomes a ``CaseItem`` with its own status and amount. The
case itself moves along the check-first path (``CaseStatus``, transitions in
``cases.workflow``); a trust-first item is decided at once and never waits for it.

"One open application per household and item" is a partial unique constraint on ``CaseItem``
(pending, or an approved monthly benefit), so two windows submitting the same application at the same moment
cannot both win.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.money import MoneyField


class Channel(models.TextChoices):
    WINDOW = "window", _("township window")
    PROXY = "proxy", _("village worker on the resident's behalf (代办)")
    ONLINE = "online", _("resident online")
    PROACTIVE = "proactive", _("raised by the platform (主动发现)")


class CaseStatus(models.TextChoices):
    """Where the application stands on the standard (check-first) path."""

    ACCEPTED = "accepted", _("accepted")
    INVESTIGATING = "investigating", _("investigation and verification")
    HOME_VISITED = "home_visited", _("home visit recorded")
    DELIBERATED = "deliberated", _("village deliberation recorded")
    TOWNSHIP_REVIEWED = "township_reviewed", _("township opinion given")
    PUBLIC_NOTICE = "public_notice", _("in public notice")
    AWAITING_DECISION = "awaiting_decision", _("awaiting decision")
    DECIDED = "decided", _("decided")
    NOTIFIED = "notified", _("decision notice issued")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_CASE_STATUSES = (
    CaseStatus.ACCEPTED, CaseStatus.INVESTIGATING, CaseStatus.HOME_VISITED, CaseStatus.DELIBERATED,
    CaseStatus.TOWNSHIP_REVIEWED, CaseStatus.PUBLIC_NOTICE, CaseStatus.AWAITING_DECISION,
)


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")
    REVOKED = "revoked", _("revoked")
    ENDED = "ended", _("ended")


OPEN_ITEM_STATUSES = (ItemStatus.PENDING, ItemStatus.APPROVED)


class Path(models.TextChoices):
    TRUST_FIRST = "trust_first", _("trust first (decided at once)")
    CHECK_FIRST = "check_first", _("check first (standard path)")


class Case(models.Model):
    """申请: one application of one household."""

    number = models.CharField(_("case number"), max_length=32, unique=True)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="cases",
                                  verbose_name=_("household"))
    applicant = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="applications",
                                  verbose_name=_("applicant"))
    # The household's residence village (who looks after it) and the accepting window's region.
    region_code = models.CharField(_("residence region"), max_length=12, db_index=True)
    accepted_region_code = models.CharField(_("accepting region"), max_length=12, db_index=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.WINDOW)
    status = models.CharField(_("status"), max_length=24, choices=CaseStatus.choices, default=CaseStatus.ACCEPTED)
    restriction = models.CharField(_("restriction"), max_length=300, blank=True,
                                   help_text=_("why the case goes the check-first path with every item verified"))
    irregular_income = models.BooleanField(_("irregular income"), default=False)
    facts = models.JSONField(_("facts used"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        # No explicit LIKE indexes on the region codes: db_index=True already makes Django create a
        # varchar_pattern_ops ("…_like") index beside the plain one on PostgreSQL.
        indexes = [
            models.Index(fields=["status"], name="case_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES


class CaseItem(models.Model):
    """One assistance item of a case, with its own decision."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="items")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="case_items")
    region_code = models.CharField(max_length=12, db_index=True)
    item = models.ForeignKey("programs.AssistanceItem", on_delete=models.PROTECT, related_name="case_items",
                             verbose_name=_("assistance item"))
    requested = models.BooleanField(_("asked for"), default=True,
                                    help_text=_("false for a tier found by classification (分类认定)"))
    periodic = models.BooleanField(_("monthly"), default=True)  # copied from the item at submission
    path = models.CharField(_("path"), max_length=16, choices=Path.choices, default=Path.TRUST_FIRST)
    status = models.CharField(_("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    amount = MoneyField(_("amount"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    review_due = models.DateField(_("review due"), null=True, blank=True, db_index=True)
    rule_version = models.ForeignKey("programs.RuleVersion", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    reasons = models.JSONField(_("reasons"), default=list, blank=True, encoder=DjangoJSONEncoder)
    facts_used = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    covered = models.ManyToManyField("registry.Person", blank=True, related_name="covered_by",
                                     verbose_name=_("members covered"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("case item")
        verbose_name_plural = _("case items")
        constraints = [
            models.UniqueConstraint(
                # Open = pending, or a monthly benefit in force (one-off items are paid once).
                fields=["household", "item"],
                condition=models.Q(status="pending") | models.Q(status="approved", periodic=True),
                name="one_open_case_item_per_household_item",
            ),
            models.CheckConstraint(condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                                   name="case_item_amount_not_negative"),
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(effective_from__isnull=False),
                name="approved_case_item_has_start",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "item"], name="case_item_status_item"),
            # (region_code has db_index=True: Django's own LIKE index serves prefix lookups on PostgreSQL.)
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.item_id}"


class Signature(models.Model):
    """信用承诺 and 授权书: who signed what, when, and which text version."""

    class Kind(models.TextChoices):
        PROMISE = "promise", _("credit promise (信用承诺)")
        AUTHORISATION = "authorisation", _("data-check authorisation (授权书)")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="signatures")
    kind = models.CharField(_("document"), max_length=16, choices=Kind.choices)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(_("signed by"), max_length=60)
    text_version = models.CharField(_("text version"), max_length=20)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["case", "kind", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "kind", "person"], name="one_signature_per_document")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.signer_name}"


class CaseEvent(models.Model):
    """One step of a case's timeline: every transition and decision, who, when, opinion."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    case_item = models.ForeignKey(CaseItem, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=40)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    opinion = models.TextField(_("opinion"), blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class Review(models.Model):
    """A periodic review (复核) of an approved item: confirm, change the amount, or revoke."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        ADJUSTED = "adjusted", _("amount changed")
        REVOKED = "revoked", _("revoked")

    case_item = models.ForeignKey(CaseItem, on_delete=models.CASCADE, related_name="reviews")
    due = models.DateField(_("due"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    old_amount = MoneyField(null=True, blank=True)
    new_amount = MoneyField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    next_due = models.DateField(_("next review due"), null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_item_id} {self.outcome} {self.due}"


class Revocation(models.Model):
    """停发: the reason, the date from which the benefit was not due, and the overpayment to recover."""

    case_item = models.ForeignKey(CaseItem, on_delete=models.CASCADE, related_name="revocations")
    reason = models.TextField(_("reason"))
    not_due_from = models.DateField(_("not due from"))
    revoked_on = models.DateField(_("revoked on"))
    monthly_amount = MoneyField(_("monthly amount"))
    months_overpaid = models.PositiveIntegerField(_("months overpaid"))
    overpayment = MoneyField(_("overpayment to recover"))
    dishonest = models.BooleanField(_("false declaration"), default=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(overpayment__gte=0), name="overpayment_not_negative"),
            models.UniqueConstraint(fields=["case_item"], condition=models.Q(cancelled_at__isnull=True),
                                    name="one_standing_revocation_per_item"),
        ]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_item_id} revoked {self.revoked_on}: {self.overpayment}"


class Appeal(models.Model):
    """The applicant contests a refusal or a revocation; a different approver decides."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        UPHELD = "upheld", _("upheld (decision changed)")
        DISMISSED = "dismissed", _("dismissed")

    case_item = models.ForeignKey(CaseItem, on_delete=models.CASCADE, related_name="appeals")
    region_code = models.CharField(max_length=12, db_index=True)
    contested_status = models.CharField(max_length=16, choices=ItemStatus.choices)
    grounds = models.TextField(_("grounds"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    lodged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    lodged_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-lodged_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case_item"], condition=models.Q(status="open"),
                                    name="one_open_appeal_per_item"),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} ({self.status})"


class PublicNotice(models.Model):
    """公示: a case on the village noticeboard for at least 7 days — never the ID number."""

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("in force")
        CLOSED = "closed", _("closed")
        WITHDRAWN = "withdrawn", _("withdrawn after an objection")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    region_code = models.CharField(max_length=12, db_index=True)
    head_name_masked = models.CharField(max_length=60)
    members_covered = models.PositiveSmallIntegerField()
    lines = models.JSONField(default=list, encoder=DjangoJSONEncoder)  # [{"item": name, "amount": "…"}]
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_FORCE)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            # The 7-day minimum is checked by the service (date arithmetic differs between databases).
            models.CheckConstraint(condition=models.Q(ends_on__gt=models.F("starts_on")), name="notice_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.head_name_masked} {self.starts_on}–{self.ends_on}"


class Objection(models.Model):
    """An objection lodged against a public notice; it re-opens the investigation."""

    notice = models.ForeignKey(PublicNotice, on_delete=models.CASCADE, related_name="objections")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="objections")
    text = models.TextField(_("objection"))
    contact = models.CharField(_("contact (optional)"), max_length=60, blank=True)
    lodged_at = models.DateTimeField(default=timezone.now)
    handled = models.BooleanField(default=False)

    class Meta:
        ordering = ["-lodged_at", "-id"]

    def __str__(self) -> str:
        return f"objection {self.pk} to notice {self.notice_id}"


class WorklistEntry(models.Model):
    """One finding of the county-wide duplicate / overlap / missed check (重复、交叉、遗漏)."""

    class Kind(models.TextChoices):
        DUPLICATE = "duplicate", _("duplicate (重复)")
        OVERLAP = "overlap", _("overlap (交叉)")
        MISSED = "missed", _("missed (遗漏)")

    job = models.ForeignKey("core.Job", on_delete=models.CASCADE, related_name="+")
    township_code = models.CharField(max_length=12, db_index=True)
    region_code = models.CharField(max_length=12)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    item_codes = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    detail = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["township_code", "kind", "id"]
        indexes = [models.Index(fields=["job", "township_code"], name="worklist_job_township")]

    def __str__(self) -> str:
        return f"{self.kind} {self.household_id} {self.detail}"


class TownshipReserve(models.Model):
    """A township's reserve fund for urgent sums (先行救助备用金) of one year, set by the county."""

    township_code = models.CharField(_("township"), max_length=12)
    year = models.PositiveSmallIntegerField(_("year"))
    amount = MoneyField(_("reserve"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "township_code"]
        verbose_name = _("township reserve")
        verbose_name_plural = _("township reserves")
        constraints = [
            models.UniqueConstraint(fields=["township_code", "year"], name="reserve_one_per_township_year"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="reserve_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.township_code} {self.year}: {self.amount}"


class UrgentGrant(models.Model):
    """先行救助: a small urgent sum a township paid at once from its reserve; the paperwork (补充说明) follows
    within the county's working days, and the case is verified like any trust-first decision."""

    class Status(models.TextChoices):
        AWAITING_PAPERWORK = "awaiting", _("awaiting the paperwork")
        COMPLETED = "completed", _("paperwork completed")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="urgent_grants")
    township_code = models.CharField(_("township"), max_length=12, db_index=True)
    region_code = models.CharField(max_length=12, db_index=True)
    amount = MoneyField(_("amount"))
    granted_on = models.DateField(_("granted on"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    paperwork_due = models.DateField(_("paperwork due by"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.AWAITING_PAPERWORK)
    explanation = models.TextField(_("supplementary explanation (补充说明)"), blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["-granted_on", "-id"]
        verbose_name = _("urgent grant")
        verbose_name_plural = _("urgent grants")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="urgent_amount_positive")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.amount}"


class WorklistAllowance(models.Model):
    """A worklist finding the township found allowed, with the reason: kept, audited, and not raised again
    until the household's facts change (a newer observation of its facts) — ``facts_stamp``."""

    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12, db_index=True)
    kind = models.CharField(max_length=16, choices=WorklistEntry.Kind.choices)
    items_key = models.CharField(max_length=300)
    facts_stamp = models.BigIntegerField(default=0)
    reason = models.TextField(_("reason"))
    allowed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    allowed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-allowed_at", "-id"]
        verbose_name = _("allowed finding")
        verbose_name_plural = _("allowed findings")

    def __str__(self) -> str:
        return f"{self.kind} {self.household_id} {self.items_key}"
