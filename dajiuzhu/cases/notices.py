"""公示: public notices on the village noticeboard and the objections lodged against them."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, InvalidTransition
from dajiuzhu.core.ids import mask_name

from . import signals
from .models import Case, CaseStatus, ItemStatus, Objection, PublicNotice
from .workflow import NOTICE_MIN_DAYS, transition_target

OBJECTIONS_PER_HOUR = 5
OBJECTION_MAX_LENGTH = 2000


def notice_publish(*, actor, case: Case, starts_on: dt.date) -> PublicNotice:
    """Put the case on its village's noticeboard for at least 7 days (called by the publish step).

    Shows the head's name with the given name masked, the members covered, each item and its
    proposed amount, and the dates — never an ID number or other private data.
    """
    from .services import _item_name, living_members

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notice_publish runs inside the publish step's transaction")
    head = case.household.head
    lines = [{"item": _item_name(ci.item), "amount": str(ci.amount) if ci.amount is not None else ""}
             for ci in case.items.select_related("item").filter(status=ItemStatus.PENDING)]
    if not lines:
        raise DomainError(_("the application has no item waiting for a decision"))
    PublicNotice.objects.filter(case=case, status=PublicNotice.Status.IN_FORCE).update(
        status=PublicNotice.Status.WITHDRAWN)
    notice = PublicNotice.objects.create(
        case=case, region_code=case.region_code, head_name_masked=mask_name(head.name if head else ""),
        members_covered=len(living_members(case.household, starts_on)), lines=lines, starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=NOTICE_MIN_DAYS - 1), published_by=actor,
    )
    audit_record(actor=actor, action="notice.publish", obj=notice,
                 new={"case": case.pk, "starts_on": notice.starts_on, "ends_on": notice.ends_on})
    transaction.on_commit(lambda: signals.notice_published.send(sender=PublicNotice, notice=notice))
    return notice


def notice_close(*, case: Case, on: dt.date) -> PublicNotice:
    """End the notice once its 7 days have run (called by the close step)."""
    notice = PublicNotice.objects.select_for_update().filter(case=case, status=PublicNotice.Status.IN_FORCE).first()
    if notice is None:
        raise DomainError(_("the case has no public notice in force"))
    if on <= notice.ends_on:
        raise DomainError(
            _("the public notice runs until %(end)s (at least %(days)d days); it can be closed from %(next)s")
            % {"end": notice.ends_on, "days": NOTICE_MIN_DAYS, "next": notice.ends_on + dt.timedelta(days=1)})
    notice.status = PublicNotice.Status.CLOSED
    notice.save(update_fields=["status"])
    return notice


def objection_allowed(client_address: str) -> bool:
    """At most a few objections per hour from one address (the public page has no login)."""
    key = "cases:objection:" + hashlib.sha256((client_address or "?").encode()).hexdigest()[:32]
    added = cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)
        count = 1
    del added
    return count <= OBJECTIONS_PER_HOUR


@transaction.atomic
def objection_lodge(*, notice: PublicNotice, text: str, contact: str = "", on: dt.date | None = None) -> Objection:
    """Anyone may object to a notice in force; the objection is attached to the case and sends it
    back to investigation (the notice is withdrawn and published again after the re-investigation)."""
    from .services import _event

    text = (text or "").strip()
    if not text:
        raise DomainError(_("write the objection"), field="text")
    if len(text) > OBJECTION_MAX_LENGTH:
        raise DomainError(_("the objection is longer than %(n)d characters") % {"n": OBJECTION_MAX_LENGTH},
                          field="text")
    on = on or timezone.localdate()
    notice = PublicNotice.objects.select_for_update().get(pk=notice.pk)
    case = Case.objects.select_for_update().get(pk=notice.case_id)
    if notice.status != PublicNotice.Status.IN_FORCE or not (notice.starts_on <= on <= notice.ends_on):
        raise InvalidTransition(_("this public notice is no longer in force"))
    before = case.status
    if before != CaseStatus.PUBLIC_NOTICE:
        raise InvalidTransition(_("this public notice is no longer in force"))
    target = transition_target("objection", before)
    objection = Objection.objects.create(notice=notice, case=case, text=text, contact=(contact or "").strip()[:60])
    notice.status = PublicNotice.Status.WITHDRAWN
    notice.save(update_fields=["status"])
    case.status = target
    case.save(update_fields=["status", "updated_at"])
    _event(case, "objection", None, from_status=before, to_status=target, opinion=text,
           data={"objection": objection.pk, "notice": notice.pk})
    audit_record(actor=None, action="case.objection", obj=case, source="public", old={"status": before},
                 new={"status": target, "objection": objection.pk})
    return objection
