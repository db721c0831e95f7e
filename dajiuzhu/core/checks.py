"""System checks of the deployment's secrets.

In production (``DJANGO_ENV=production``) the settings already refuse weak keys at start-up. Outside
production a running instance with DEBUG off looks like a deployment: warn there about the same keys, so
an installation that forgot ``DJANGO_ENV`` is told before it holds real data.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.checks import register

from .keys import generate_hint, weak_key_reason

KEYS = (("DJANGO_SECRET_KEY", "SECRET_KEY"), ("DAJIUZHU_FIELD_KEY", "FIELD_ENCRYPTION_KEY"),
        ("DAJIUZHU_AUDIT_KEY", "AUDIT_CHECKPOINT_KEY"))


@register("security", deploy=False)
def check_keys(app_configs=None, **kwargs):
    if settings.DEBUG or getattr(settings, "TESTING", False) or getattr(settings, "PRODUCTION", False):
        return []
    found = []
    for variable, name in KEYS:
        reason = weak_key_reason(getattr(settings, name, ""))
        if reason:
            found.append(CheckWarning(
                f"{variable} would be refused in production: {reason}.",
                hint=f"Set DJANGO_ENV=production on a deployment and generate the key with {generate_hint()}",
                id="dajiuzhu.W001"))
    return found


@register("security", deploy=True)
def check_proxy_header(app_configs=None, **kwargs):
    if getattr(settings, "TRUSTED_PROXY_HEADER", ""):
        return []
    return [CheckWarning(
        "DAJIUZHU_TRUSTED_PROXY_HEADER is not set: behind gunicorn's Unix socket the limits per client "
        "address (login, public objections) cannot tell clients apart.",
        hint="Set DAJIUZHU_TRUSTED_PROXY_HEADER=X-Real-IP (nginx sets it; docs/deploy.md section 3).",
        id="dajiuzhu.W002")]
