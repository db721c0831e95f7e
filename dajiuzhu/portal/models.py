"""The portal's own records: one-time codes, the inbox, uploaded documents, requests for documents,
changes of circumstances and the village service rooms' proxied applications (代办).

The application itself is the cases app's ``Case`` (channel "online" or "proxy"): the portal keeps only
what the cases app has no place for.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OneTimeCode(models.Model):
    """一次性验证码: sent by SMS, kept only as a keyed hash, single use, short-lived."""

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", _("sign in")
        SIGN = "sign", _("sign the promise and the authorisation")

    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    phone_hash = models.CharField(max_length=64, db_index=True)
    id_hash = models.CharField(max_length=64, blank=True)
    address_hash = models.CharField(max_length=64, db_index=True, blank=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class Message(models.Model):
    """One message of a family's inbox; where the family has a phone, also sent by SMS (recorded here)."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("application received")
        DECISION = "decision", _("decision")
        NOTICE = "notice", _("public notice")
        DOCUMENTS = "documents", _("documents asked for")
        PAYMENT = "payment", _("payment")
        FOLLOW_UP = "follow_up", _("follow-up visit")
        CHANGE = "change", _("change of circumstances")
        PROXY = "proxy", _("village service room")

    class Sms(models.TextChoices):
        NONE = "", _("not sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        NO_PHONE = "no_phone", _("no phone on record")

    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12, db_index=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    sms = models.CharField(max_length=10, choices=Sms.choices, default=Sms.NONE, blank=True)
    sms_backend = models.CharField(max_length=20, blank=True)
    sms_reference = models.CharField(max_length=80, blank=True)
    sms_error = models.CharField(max_length=200, blank=True)
    sms_at = models.DateTimeField(null=True, blank=True)
    # What made the message, so one event makes one message (e.g. "decided:<case item id>").
    event_key = models.CharField(max_length=80)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["household", "event_key"], name="portal_one_message_per_event")]
        indexes = [models.Index(fields=["household", "-created_at"], name="portal_inbox")]

    def __str__(self) -> str:
        return self.title


class Document(models.Model):
    """A photo of a document, a signature drawn on a phone or a photo of a signed paper form, stored sealed
    (encrypted) outside the web root; read only by staff of the household's jurisdiction and the family."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("photo of a document")
        SIGNATURE = "signature", _("signature drawn on the phone")
        SIGNED_FORM = "signed_form", _("photo of the signed paper form")

    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12, db_index=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    proxy = models.ForeignKey("ProxyApplication", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="documents")
    request = models.ForeignKey("DocumentRequest", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="documents")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PHOTO)
    label = models.CharField(_("document"), max_length=100)
    stored_name = models.CharField(max_length=80, unique=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.label


class DocumentRequest(models.Model):
    """补充材料: staff ask the family for a document by a date; the family uploads it from the phone."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12, db_index=True)
    what = models.CharField(_("document asked for"), max_length=100)
    due = models.DateField(_("by"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return f"{self.what} by {self.due}"


class ChangeReport(models.Model):
    """A change of circumstances the family reports (a job lost, an illness, a birth, a death)."""

    class Kind(models.TextChoices):
        JOB_LOST = "job_lost", _("a job lost")
        ILLNESS = "illness", _("a serious illness")
        BIRTH = "birth", _("a birth")
        DEATH = "death", _("a death")

    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12, db_index=True)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("what changed"), max_length=16, choices=Kind.choices)
    happened_on = models.DateField(_("when"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_in_registry = models.BooleanField(default=False)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.happened_on}"


class ProxyApplication(models.Model):
    """代办: an application a village worker takes for a resident. It waits in the township window's
    acceptance queue; the township accepts it (and the trust-first decision is made then) or returns it."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting for the township")
        ACCEPTED = "accepted", _("accepted by the township")
        RETURNED = "returned", _("returned to the village")

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=12, db_index=True)
    item_codes = models.JSONField(default=list)
    facts = models.JSONField(default=dict)
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.WAITING)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "region_code"], name="portal_proxy_queue")]

    def __str__(self) -> str:
        return f"proxy {self.pk} ({self.status})"
