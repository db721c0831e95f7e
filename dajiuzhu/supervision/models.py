"""Flat management (扁平化管理) of the county's handlers.

- ``Holiday``: the working calendar the county edits (official holidays and make-up working days).
- ``StepLimit``: the time limit (时限) of one step of one assistance item, as data.
- ``OverdueStep``: one open step past its limit, found by the scan (idempotent key: case, step, start).
- ``FormulaVersion``: the weights of the handler ranking, versioned; ``ToleranceRecord``: 容错免责.
- ``Rating``: a resident's satisfaction with a case (call-back or resident page).
- ``SpotCheckDraw`` / ``SpotCheck`` / ``SpotCheckPhoto``: the monthly random sample (抽查).
- ``Course`` / ``TrainingSession`` / ``Attendance`` / ``Exam`` / ``Question`` / ``ExamAttempt`` / ``Certificate``.
- ``Complaint``: complaints and tips (投诉、举报), numbered, assigned, answered and closed.
- ``CountySetting``: the county's settings (sample share and strata, certificates, complaint limit).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.fields import EncryptedTextField


class Step(models.TextChoices):
    """Steps of a procedure whose start and end the cases' timeline records."""

    TOWNSHIP_REVIEW = "township_review", _("township investigation and review")
    PUBLIC_NOTICE = "public_notice", _("public notice")
    DECISION = "decision", _("decision")
    DECISION_NOTICE = "decision_notice", _("decision notice")
    WHOLE = "whole", _("whole procedure (acceptance to decision)")


class Unit(models.TextChoices):
    WORKING = "working", _("working days")
    CALENDAR = "calendar", _("calendar days")


class LimitKind(models.TextChoices):
    MAXIMUM = "maximum", _("at most")
    MINIMUM = "minimum", _("at least")


class CountySetting(models.Model):
    county_code = models.CharField(_("county"), max_length=6, unique=True)
    spot_share = models.DecimalField(_("share of decided cases drawn each month"), max_digits=5, decimal_places=4,
                                     default=Decimal("0.05"))
    spot_minimum = models.PositiveSmallIntegerField(_("at least this many per stratum"), default=1)
    spot_strata = models.CharField(_("strata"), max_length=20, default="township_item",
                                   choices=[("township", _("by township")), ("township_item", _("by township and item"))])
    certificate_required = models.BooleanField(_("a valid certificate is required to decide"), default=False)
    certificate_months = models.PositiveSmallIntegerField(_("certificate valid for (months)"), default=24)
    complaint_days = models.PositiveSmallIntegerField(_("complaint answer time limit (working days)"), default=10)

    class Meta:
        verbose_name = _("county setting")

    def __str__(self) -> str:
        return self.county_code


class Holiday(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("holiday (休)")
        WORKDAY = "workday", _("make-up working day (调休上班)")

    county_code = models.CharField(_("county"), max_length=6, db_index=True)
    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))

    class Meta:
        ordering = ["county_code", "starts_on"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                              name="holiday_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.name} {self.starts_on}–{self.ends_on}"


class StepLimit(models.Model):
    county_code = models.CharField(_("county"), max_length=6)
    item = models.ForeignKey("programs.AssistanceItem", on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("assistance item"))
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    days = models.PositiveSmallIntegerField(_("days"))
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.WORKING)
    kind = models.CharField(_("limit"), max_length=10, choices=LimitKind.choices, default=LimitKind.MAXIMUM)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["county_code", "item", "step"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "item", "step"], name="one_limit_per_item_step"),
            models.CheckConstraint(condition=models.Q(days__gt=0), name="step_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.step} {self.days}"


class OverdueStep(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    case_number = models.CharField(max_length=32)
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    region_code = models.CharField(max_length=12, db_index=True)
    township_code = models.CharField(max_length=12, db_index=True)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    started_at = models.DateTimeField()
    due_on = models.DateField(_("due"))
    days = models.PositiveSmallIntegerField()
    found_on = models.DateField(default=timezone.localdate)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The warning goes to the level above the handler's (the county for a township step).
    warned_prefix = models.CharField(max_length=12, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "step", "started_at"], name="one_overdue_per_step")]
        indexes = [models.Index(fields=["closed_at", "township_code"], name="overdue_open_township")]

    def __str__(self) -> str:
        return f"{self.case_number} {self.step} due {self.due_on}"


class FormulaVersion(models.Model):
    county_code = models.CharField(max_length=6)
    version = models.PositiveIntegerField()
    weights = models.JSONField(_("weights"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["county_code", "-version"]
        constraints = [models.UniqueConstraint(fields=["county_code", "version"], name="one_formula_version")]

    def __str__(self) -> str:
        return f"{self.county_code} v{self.version}"


class ToleranceRecord(models.Model):
    """容错免责: a revocation that is not the handler's error (e.g. a department's late data)."""

    revocation = models.OneToOneField("cases.Revocation", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12, db_index=True)
    reason = models.CharField(_("reason"), max_length=20, choices=[
        ("late_data", _("a department's data arrived late")), ("false_declaration", _("the family concealed facts")),
        ("policy_change", _("the policy changed"))])
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    note = models.TextField(_("note"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"revocation {self.revocation_id}: {self.reason}"


class Rating(models.Model):
    class Source(models.TextChoices):
        CALLBACK = "callback", _("call-back")
        RESIDENT = "resident", _("resident pages")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12, db_index=True)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    score = models.PositiveSmallIntegerField(_("satisfaction (1–5)"))
    source = models.CharField(max_length=10, choices=Source.choices)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_1_to_5")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.score}/5 ({self.source})"


class SpotCheckDraw(models.Model):
    county_code = models.CharField(max_length=6)
    month = models.DateField(_("month"))
    seed = models.BigIntegerField(_("seed"))
    share = models.DecimalField(max_digits=5, decimal_places=4)
    strata = models.CharField(max_length=20)
    population = models.PositiveIntegerField()
    sample_size = models.PositiveIntegerField()
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    drawn_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["county_code", "month"], name="one_draw_per_county_month")]

    def __str__(self) -> str:
        return f"{self.county_code} {self.month:%Y-%m} seed {self.seed}"


class SpotCheck(models.Model):
    class Status(models.TextChoices):
        DRAWN = "drawn", _("drawn")
        ASSIGNED = "assigned", _("assigned")
        RECORDED = "recorded", _("recorded")

    class Outcome(models.TextChoices):
        AGREES = "agrees", _("agrees with the decision")
        DIFFERS = "differs", _("differs from the decision")

    draw = models.ForeignKey(SpotCheckDraw, on_delete=models.CASCADE, related_name="checks")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    case_number = models.CharField(max_length=32)
    region_code = models.CharField(max_length=12, db_index=True)
    stratum = models.CharField(max_length=80)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    checker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAWN)
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    findings = models.JSONField(_("facts found"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    difference = models.TextField(_("difference"), blank=True)
    review_item_ids = models.JSONField(default=list, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["draw", "id"]
        constraints = [models.UniqueConstraint(fields=["draw", "case"], name="one_check_per_case_draw")]

    def __str__(self) -> str:
        return f"{self.case_number} ({self.status})"


class SpotCheckPhoto(models.Model):
    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="photos")
    name = models.CharField(max_length=120)
    path = models.CharField(max_length=300)  # sealed (encrypted) file under MEDIA_ROOT
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    class Kind(models.TextChoices):
        POLICY = "policy", _("policy")
        SYSTEMS = "systems", _("systems")
        ETHICS = "ethics", _("ethics")

    county_code = models.CharField(max_length=6, db_index=True)
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)

    def __str__(self) -> str:
        return self.title


class TrainingSession(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    place = models.CharField(_("place"), max_length=120)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.course_id} {self.starts_at:%Y-%m-%d}"


class Attendance(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12, db_index=True)
    hours = models.DecimalField(max_digits=5, decimal_places=1)
    on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="one_attendance_per_session")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.session_id}"


class Exam(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="exams")
    title = models.CharField(_("title"), max_length=120)
    questions_per_attempt = models.PositiveSmallIntegerField(default=5)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"), default=80)
    minutes = models.PositiveSmallIntegerField(_("time allowed (minutes)"), default=30)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(pass_mark__gte=1, pass_mark__lte=100),
                                              name="exam_pass_mark_range")]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField()
    choices = models.JSONField()
    answer = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return self.text[:40]


class ExamAttempt(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    question_ids = models.JSONField(default=list)
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True)

    def __str__(self) -> str:
        return f"{self.exam_id} by {self.user_id} ({self.score})"


class Certificate(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12, db_index=True)
    number = models.CharField(max_length=32, unique=True)
    attempt = models.OneToOneField(ExamAttempt, null=True, on_delete=models.SET_NULL, related_name="certificate")
    issued_on = models.DateField()
    expires_on = models.DateField()

    class Meta:
        ordering = ["-expires_on"]

    def __str__(self) -> str:
        return self.number


class Complaint(models.Model):
    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("complaint (投诉)")
        TIP = "tip", _("tip about a recipient (举报)")

    class Channel(models.TextChoices):
        PUBLIC = "public", _("public notice page")
        PORTAL = "portal", _("resident pages")
        STAFF = "staff", _("recorded by staff (phone, letter, visit)")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ANSWERED = "answered", _("answered")
        CLOSED = "closed", _("closed")

    number = models.CharField(_("number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    region_code = models.CharField(max_length=12, db_index=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    subject_handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", verbose_name=_("about the handler"))
    text = models.TextField(_("what happened"))
    anonymous = models.BooleanField(_("anonymous"), default=True)
    contact = EncryptedTextField(_("contact"), blank=True, default="")
    lodged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    lodged_at = models.DateTimeField(default=timezone.now)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("handled by"))
    due_on = models.DateField(_("answer due"))
    group_key = models.CharField(max_length=40, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    verification_report_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-lodged_at", "-id"]

    def __str__(self) -> str:
        return self.number
