from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import PERMISSIONS, Role


class Department(models.Model):
    """One of the departments that give assistance or deliver data (民政, 人社, 医保, …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    gives_assistance = models.BooleanField(_("gives assistance"), default=True)
    # Data types this department may deliver (checks app vocabulary, e.g. "vehicle", "wage").
    data_types = models.JSONField(_("data types"), default=list, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A platform user, bound to one region (their jurisdiction) and one role."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="users", verbose_name=_("region"))
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="users",
                                   verbose_name=_("department"))
    organisation = models.CharField(_("organisation"), max_length=120, blank=True)
    # A resident is linked to their person record by the blind index of their ID number.
    person_id_hash = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="department") | models.Q(department__isnull=False),
                name="department_user_has_department",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def jurisdiction_prefix(self) -> str | None:
        """Code prefix of what this user may see; None for residents (portal only)."""
        if self.role == Role.RESIDENT:
            return None
        if self.is_superuser and not self.region_id:
            return ""
        return self.region.prefix

    @property
    def permission_codes(self) -> frozenset[str]:
        return PERMISSIONS.get(self.role, frozenset())

    def has_perm_code(self, code: str) -> bool:
        return self.is_active and code in self.permission_codes


class ApiToken(models.Model):
    """A bearer token for a department's system or a script; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    key_prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    # ``last_used_at`` says when the token was last used, to within this many seconds: a token used on
    # every request (a window's client) is written at most once a minute, not once per request.
    LAST_USED_RESOLUTION = dt.timedelta(seconds=60)

    def note_use(self, now: dt.datetime | None = None) -> bool:
        """Record a use of the token; returns whether ``last_used_at`` was written."""
        now = now or timezone.now()
        if self.last_used_at is not None and now - self.last_used_at < self.LAST_USED_RESOLUTION:
            return False
        ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
        self.last_used_at = now
        return True

    @classmethod
    def issue(cls, *, user: User, name: str) -> tuple[ApiToken, str]:
        key = "djz_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_prefix=key[:10], key_hash=cls.hash_key(key))
        return token, key
