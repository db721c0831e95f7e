"""What an actor may do in the supervision app, and the hooks it gives the cases app."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.errors import Forbidden
from dajiuzhu.core.scoping import actor_prefix


def county_of(actor, perm: str = "supervision.manage") -> str:
    """The county (6 digits) an actor administers for ``perm``; refuses anyone above or without it."""
    prefix = actor_prefix(actor, perm)
    if prefix is None or len(prefix) < 6:
        raise Forbidden(_("only the county's staff may do this"))
    return prefix[:6]


def is_regional(actor) -> bool:
    """A city or province bureau's account: figures only, no personal data."""
    return bool(getattr(actor, "is_authenticated", False) and actor.has_perm_code("supervision.regional"))


def certificate_refusal(actor, *, on=None) -> str | None:
    """持证上岗: a reason when the county requires a valid certificate and the actor has none."""
    from .models import Certificate, CountySetting

    region = getattr(actor, "region_id", None) or ""
    if len(region) < 6:
        return None
    setting = CountySetting.objects.filter(county_code=region[:6]).only("certificate_required").first()
    if setting is None or not setting.certificate_required:
        return None
    on = on or timezone.localdate()
    if Certificate.objects.filter(user=actor, expires_on__gte=on).exists():
        return None
    return _("the county requires a valid certificate (持证上岗) before you decide: pass the exam first")


def decision_certificate_check(actor) -> str | None:
    return certificate_refusal(actor)


def public_complaint_link(village_code: str):
    return (_("Complain, or report a recipient (投诉举报)"), reverse("supervision:public_complaint",
                                                                   args=[village_code]))
