"""Reads of the credit record: restrictions, incentives, the list."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core import crypto
from dajiuzhu.core.ids import normalise_id_number
from dajiuzhu.core.scoping import get_scoped, scope

from . import conf
from .models import DishonestyRecord, JointParty, RecordStatus, ReviewStreak


def _in_force(on: dt.date) -> Q:
    return Q(status=RecordStatus.ACTIVE, start__lte=on, expiry__gt=on)


def household_restriction(household, *, on: dt.date | None = None) -> DishonestyRecord | None:
    """The record that restricts this household: one of a current member, or of the household itself.

    Joint restriction (一处失信、处处受限): the application of any member of the household of a
    listed person goes the check-first path with every item verified first.
    """
    if household is None or household.pk is None:
        return None
    on = on or timezone.localdate()
    # Read by every instant decision: the SQL of ``DishonestyRecord.objects.filter(_in_force(on)).filter(
    # Q(person__household_id=…) | Q(household_id=…)).select_related("person").order_by("-start", "-id")
    # .first()``, written once (``core.sql``: no ORM compilation per call; a test compares both).
    from dajiuzhu.core import sql
    from dajiuzhu.registry.models import Person

    r, p = sql.columns(DishonestyRecord, "r"), sql.columns(Person, "p")
    return sql.fetch_joined(
        f"SELECT {r.sql}, {p.sql} FROM credit_dishonestyrecord r JOIN registry_person p ON p.id = r.person_id"
        " WHERE r.status = %s AND r.start <= %s AND r.expiry > %s AND (p.household_id = %s OR r.household_id = %s)"
        " ORDER BY r.start DESC, r.id DESC LIMIT 1",
        [RecordStatus.ACTIVE, on, on, household.pk, household.pk], r, p, "person")


def household_restriction_orm(household, *, on: dt.date | None = None) -> DishonestyRecord | None:
    """``household_restriction`` through the ORM (the reference its precompiled SQL is tested against)."""
    on = on or timezone.localdate()
    return (
        DishonestyRecord.objects.filter(_in_force(on))
        .filter(Q(person__household_id=household.pk) | Q(household_id=household.pk))
        .select_related("person").order_by("-start", "-id").first()
    )


def restriction_reason(household) -> str | None:
    """The hook registered in ``cases.hooks.RESTRICTION_CHECKS``: a reason in words, or None."""
    record = household_restriction(household)
    if record is None:
        return None
    return _("%(name)s is on the dishonesty list until %(expiry)s (%(reason)s): every item is verified first") % {
        "name": record.person.name, "expiry": record.expiry, "reason": record.get_reason_display()}


def person_restriction(person, *, on: dt.date | None = None) -> DishonestyRecord | None:
    on = on or timezone.localdate()
    record = DishonestyRecord.objects.filter(_in_force(on), person=person).first()
    if record is None and person.household_id:
        record = household_restriction(person.household, on=on)
    return record


def household_simplified_review(household) -> bool:
    """Incentive: consistent for ``CREDIT_SIMPLIFIED_REVIEW_CYCLES`` verifications in a row, and not restricted.

    Cases and reviews read this to offer a simplified periodic review (e.g. a declaration
    instead of a home visit, or a longer review interval).
    """
    streak = ReviewStreak.objects.filter(household_id=household.pk).values_list("consistent_cycles", flat=True).first()
    return bool(streak and streak >= conf.simplified_review_cycles()) and household_restriction(household) is None


def record_list(*, actor, q: str = "", status: str = "") -> QuerySet[DishonestyRecord]:
    qs = scope(DishonestyRecord.objects.select_related("person", "household"), actor, perm="credit.view")
    if status:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        number = normalise_id_number(q)
        if len(number) == 18:
            qs = qs.filter(person__id_hash=crypto.blind_index(number))
        else:
            qs = qs.filter(Q(person__name__startswith=q) | Q(source_reference__icontains=q)
                           | Q(household__number__startswith=q))
    return qs.order_by("-start", "-id")


def record_get(*, actor, pk: int) -> DishonestyRecord:
    """404 outside the actor's jurisdiction."""
    return get_scoped(DishonestyRecord.objects.select_related("person", "household"), actor, perm="credit.view",
                      pk=pk)


LISTED_STATUSES = (RecordStatus.ACTIVE, RecordStatus.LIFTED, RecordStatus.EXPIRED)


def joint_party(*, actor) -> JointParty | None:
    """The joint-restriction participation of the actor's department (None: it does not take part)."""
    department_id = getattr(actor, "department_id", None)
    if department_id is None:
        return None
    return JointParty.objects.filter(department_id=department_id).select_related("department").first()


def joint_restrictions(*, actor, since: dt.datetime | None = None) -> QuerySet[DishonestyRecord]:
    """联合惩戒 through the department data channel: the records a participating department applies — those
    that took effect (in force, lifted or expired; never a proposal still being heard or one withdrawn) —
    changed since ``since`` (all when None), in the department's region, oldest change first."""
    if joint_party(actor=actor) is None:
        return DishonestyRecord.objects.none()
    qs = scope(DishonestyRecord.objects.select_related("person"), actor, perm="checks.deliver")
    qs = qs.filter(status__in=LISTED_STATUSES)
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    return qs.order_by("updated_at", "id")
