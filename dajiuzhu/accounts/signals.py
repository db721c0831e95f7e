"""Logins and failed logins go to the audit log (the username only, never the password)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.net import client_address


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    with transaction.atomic():
        audit_record(actor=user, action="auth.login", obj=user, region_code=user.region_id or "")


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    with transaction.atomic():
        audit_record(actor=None, action="auth.login_failed", object_type="accounts.user",
                     new={"username": str(credentials.get("username", ""))[:150],
                          "address": client_address(request)})
