"""Clients of the open registry API, their tokens, identifiers, transactions, subscriptions and callbacks.

Vocabulary of the SPDCI Social Registry API v1.0.0 (docs/exchange.md): a *client* is a consuming
system (a department's integrator); a *transaction* is one request of a client (its header's
``message_id`` is unique per client, so a replay is refused); a *subscription* asks for ``notify``
pushes of registry events; a *callback* is one message this platform POSTs to a client's
``sender_uri`` (``on-search``, ``on-subscribe``, ``on-unsubscribe``, ``notify``), retried with
back-off until acknowledged, then dead-lettered.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dajiuzhu.accounts.models import User


class Scope(models.TextChoices):
    SEARCH = "registry.search", _("search the registry")
    SUBSCRIBE = "registry.subscribe", _("subscribe to registry events")
    PUSH = "registry.push", _("push department events")


class IdentifierType(models.Model):
    """An identifier type a client may search by: the built-in ones and any the county registers
    (e.g. a department's own member number), whose values are kept in ``PersonIdentifier``."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    builtin = models.BooleanField(_("built in"), default=False)
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("department"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("identifier type")
        verbose_name_plural = _("identifier types")
        constraints = [models.CheckConstraint(condition=models.Q(code__regex=r"^[A-Z][A-Z0-9_]{1,31}$"),
                                              name="exchange_idtype_code_format")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PersonIdentifier(models.Model):
    """A person's value of a registered identifier type (a department's member number)."""

    type = models.ForeignKey(IdentifierType, on_delete=models.PROTECT, related_name="values")
    value = models.CharField(_("value"), max_length=64)
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("person identifier")
        verbose_name_plural = _("person identifiers")
        constraints = [models.UniqueConstraint(fields=["type", "value"], name="exchange_identifier_unique"),
                       models.UniqueConstraint(fields=["type", "person"], name="exchange_identifier_one_per_person")]

    def __str__(self) -> str:
        return f"{self.type.code}:{self.value}"


class Client(models.Model):
    """A consuming system: OAuth2 client credentials, a jurisdiction, a purpose, a field set."""

    client_id = models.CharField(_("client id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    secret_hash = models.CharField(max_length=128)
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("department"))
    # The service account the client's requests act as (no password: it never logs in).
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exchange_client")
    region_prefix = models.CharField(_("jurisdiction (region code prefix)"), max_length=12)
    purpose = models.CharField(_("purpose"), max_length=200)
    scopes = models.JSONField(_("scopes"), default=list)
    fields = models.JSONField(_("field set"), default=list)
    public_key = models.TextField(_("signing public key (PEM)"), blank=True)
    require_signature = models.BooleanField(_("signature required"), default=False)
    rate_limit = models.PositiveIntegerField(_("requests per minute"), default=600)
    is_active = models.BooleanField(_("active"), default=True)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)
    suspended_reason = models.CharField(_("reason for suspension"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        constraints = [models.CheckConstraint(condition=models.Q(region_prefix__regex=r"^[0-9]{2,12}$"),
                                              name="exchange_client_region_prefix")]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    @property
    def region_code(self) -> str:
        return self.region_prefix


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccessToken(models.Model):
    """An OAuth2 bearer token (client credentials grant); only its hash is stored."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"token of {self.client_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class TxnKind(models.TextChoices):
    SEARCH = "search", _("search")
    SUBSCRIBE = "subscribe", _("subscribe")
    UNSUBSCRIBE = "unsubscribe", _("unsubscribe")
    TXN_STATUS = "txn-status", _("status request")
    PUSH = "push", _("department event push")


class Status(models.TextChoices):
    """The standard's request status codes."""

    RCVD = "rcvd", _("received")
    PDNG = "pdng", _("pending")
    SUCC = "succ", _("successful")
    RJCT = "rjct", _("rejected")


class Transaction(models.Model):
    """One message a client sent (``header.message_id`` unique per client: a replay is refused)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="transactions")
    message_id = models.CharField(max_length=99)
    transaction_id = models.CharField(max_length=99, db_index=True)
    correlation_id = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=16, choices=TxnKind.choices)
    synchronous = models.BooleanField(default=True)
    status = models.CharField(max_length=4, choices=Status.choices, default=Status.RCVD)
    reference_ids = models.JSONField(default=list)
    request = models.JSONField(default=dict)  # the message (never the signature)
    response = models.JSONField(null=True, blank=True)  # the message answered or sent back
    sender_uri = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["client", "message_id"], name="exchange_message_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id} ({self.status})"


class EventType(models.TextChoices):
    """Registry events a client may subscribe to (``reg_event_type``)."""

    DIBAO_ENTER = "dibao_enter", _("enters 低保")
    DIBAO_LEAVE = "dibao_leave", _("leaves 低保")
    TEKUN_ENTER = "tekun_enter", _("enters 特困")
    TEKUN_LEAVE = "tekun_leave", _("leaves 特困")
    ROSTER_ENTER = "roster_enter", _("enters the low-income roster")
    ROSTER_LEAVE = "roster_leave", _("leaves the low-income roster")
    DEATH = "death", _("death")
    DISHONESTY_EFFECTIVE = "dishonesty_effective", _("a dishonesty record takes effect")
    DISHONESTY_LIFTED = "dishonesty_lifted", _("a dishonesty record is lifted or ends")


class Subscription(models.Model):
    """A client's standing request for ``notify`` pushes of one event type in its jurisdiction."""

    code = models.CharField(max_length=40, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="subscriptions")
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="+")
    reference_id = models.CharField(max_length=99)
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    region_prefix = models.CharField(max_length=12)
    notify_uri = models.CharField(max_length=500)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["client", "event_type", "region_prefix"],
                                               condition=models.Q(active=True), name="exchange_subscription_once")]
        indexes = [models.Index(fields=["event_type", "active"], name="exchange_sub_event")]

    def __str__(self) -> str:
        return f"{self.code} {self.event_type} {self.region_prefix}"


class CallbackStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be delivered")
    DELIVERED = "delivered", _("delivered")
    DEAD = "dead", _("given up (dead letter)")


class Callback(models.Model):
    """One message POSTed to a client's callback address, retried with back-off until acknowledged."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="callbacks")
    action = models.CharField(max_length=20)  # on-search, on-subscribe, on-unsubscribe, notify
    url = models.CharField(max_length=500)
    body = models.JSONField()
    message_id = models.CharField(max_length=40, unique=True)
    region_code = models.CharField(max_length=12, blank=True)
    status = models.CharField(max_length=12, choices=CallbackStatus.choices, default=CallbackStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="exchange_callback_due")]

    def __str__(self) -> str:
        return f"{self.action} to {self.client_id} ({self.status}, {self.attempts} attempts)"


class PushKind(models.TextChoices):
    """Events departments push (``POST /api/dci/registry/events``)."""

    DEATH = "death", _("death")
    HOSPITAL_ADMISSION = "hospital_admission", _("hospital admission")
    DISABILITY_CERTIFICATE = "disability_certificate", _("disability certificate")
    UNEMPLOYMENT = "unemployment", _("unemployment registration")


class PushStatus(models.TextChoices):
    APPLIED = "applied", _("written to the registry")
    UNMATCHED = "unmatched", _("kept aside: person not in the registry")


class DepartmentEvent(models.Model):
    """An event a department pushed: applied to the registry as a dated fact, or kept aside until the
    person is registered (``pushes_match_pending``)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="pushed_events")
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="+")
    reference_id = models.CharField(max_length=99)
    kind = models.CharField(_("event"), max_length=32, choices=PushKind.choices)
    subject_key = models.CharField(max_length=64, db_index=True)  # blind index of the ID number
    id_masked = models.CharField(max_length=18)
    name = models.CharField(max_length=60, blank=True)
    occurred_on = models.DateField(_("date"))
    details = models.JSONField(default=dict, blank=True)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    region_code = models.CharField(max_length=12, blank=True, db_index=True)
    status = models.CharField(max_length=12, choices=PushStatus.choices)
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("department event")
        verbose_name_plural = _("department events")

    def __str__(self) -> str:
        return f"{self.kind} {self.id_masked} {self.occurred_on} ({self.status})"


class Cursor(models.Model):
    """How far the event collector has read a source (e.g. roster events by id)."""

    name = models.CharField(max_length=40, unique=True)
    position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"


class ClientUser(User):
    """The service account of a client, as the actor of its requests.

    Services of other apps check rights with ``has_perm_code`` and the jurisdiction prefix and record
    the actor in their audit events: a client acts with the rights its scopes give (search: read the
    registry; push: write dated facts) inside its own region prefix, and is named in every event."""

    class Meta:
        proxy = True

    _client: Client | None = None

    @property
    def jurisdiction_prefix(self) -> str | None:
        client = self.client
        return client.region_prefix if client is not None and client.is_active else None

    @property
    def permission_codes(self) -> frozenset[str]:
        client = self.client
        if client is None or not client.is_active:
            return frozenset()
        codes = set()
        if Scope.SEARCH in client.scopes or Scope.SUBSCRIBE in client.scopes:
            codes.add("registry.view")
        if Scope.PUSH in client.scopes:
            codes.add("registry.edit")
        return frozenset(codes)

    def has_perm_code(self, code: str) -> bool:
        return self.is_active and code in self.permission_codes

    @property
    def client(self) -> Client | None:
        if self._client is None:
            self._client = Client.objects.filter(user_id=self.pk).first()
        return self._client
