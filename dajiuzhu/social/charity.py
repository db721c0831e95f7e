"""Volunteers (志愿者) with their hours against orders, and charity small wishes (微心愿).

A wish is published with its village only — never a name, an address or a household number — claimed
for a donor (a person or a company), and when its delivery is confirmed it becomes a material
assistance record from a social source in the results database.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.ids import mask_phone
from dajiuzhu.core.money import money
from dajiuzhu.core.normalise import clean_text, parse_phone
from dajiuzhu.core.scoping import region_in_scope
from dajiuzhu.results.models import Category, Kind, Source
from dajiuzhu.results.services import RecordInput, assistance_record_create

from . import policies
from .models import Order, Organisation, Volunteer, VolunteerHours, Wish, WishStatus


@transaction.atomic
def volunteer_register(*, actor, name: str, region_code: str, phone: str = "", skills: str = "",
                       organisation: Organisation | None = None) -> Volunteer:
    if not region_in_scope(actor, region_code, perm="social.dispatch"):
        raise Forbidden(_("you may not do this here"))
    if not clean_text(name):
        raise DomainError(_("the volunteer needs a name"), field="name")
    try:
        number = parse_phone(phone) if clean_text(phone) else ""
    except ValueError as exc:
        raise DomainError(str(exc), field="phone") from None
    volunteer = Volunteer.objects.create(name=clean_text(name)[:60], region_code=region_code, phone=number,
                                         phone_masked=mask_phone(number), skills=clean_text(skills)[:200],
                                         organisation=organisation, registered_on=timezone.localdate())
    audit_record(actor=actor, action="social.volunteer_register", obj=volunteer, new={"name": volunteer.name})
    return volunteer


@transaction.atomic
def volunteer_hours_record(*, actor, volunteer: Volunteer, order: Order, on: dt.date, hours) -> VolunteerHours:
    """Hours a volunteer served on an order (recorded by county or township staff, or the order's organisation)."""
    if not (region_in_scope(actor, order.region_code, perm="social.dispatch") or policies.can_serve(actor, order)):
        raise Forbidden(_("you may not record hours on this order"))
    hours = Decimal(str(hours))
    if not Decimal(0) < hours <= Decimal(24):
        raise DomainError(_("hours in one day are more than nil and at most 24"), field="hours")
    if on > timezone.localdate():
        raise DomainError(_("the date lies in the future"), field="on")
    if on < order.month:
        raise DomainError(_("the date is before the order's month"), field="on")
    entry = VolunteerHours.objects.create(volunteer=volunteer, order=order, region_code=order.region_code, on=on,
                                          hours=hours, recorded_by=actor)
    audit_record(actor=actor, action="social.volunteer_hours", obj=entry,
                 new={"volunteer": volunteer.pk, "order": order.pk, "on": on, "hours": hours})
    return entry


@transaction.atomic
def wish_publish(*, actor, household, title: str, value, description: str = "") -> Wish:
    """Publish a small wish of a household; the public sees the village, the wish and its value only."""
    if not region_in_scope(actor, household.region_code, perm="social.dispatch"):
        raise Forbidden(_("you may not do this here"))
    title = clean_text(title)
    if not title:
        raise DomainError(_("say what the wish is"), field="title")
    value = money(value)
    if value <= 0 or value > 2000:
        raise DomainError(_("a small wish is worth more than nil and at most 2,000 元"), field="value")
    for member in household.members.all():
        if member.name and (member.name in title or member.name in description):
            raise DomainError(_("the wish must not name the family"), field="title")
    wish = Wish.objects.create(household=household, region_code=household.region_code, title=title[:60],
                               description=clean_text(description)[:300], value=value, created_by=actor)
    audit_record(actor=actor, action="social.wish_publish", obj=wish, new={"title": wish.title, "value": value})
    return wish


def _lock_wish(wish: Wish) -> Wish:
    return Wish.objects.select_for_update().get(pk=wish.pk)


@transaction.atomic
def wish_claim(*, actor, wish: Wish, donor: str, is_company: bool = False) -> Wish:
    wish = _lock_wish(wish)
    if not region_in_scope(actor, wish.region_code, perm="social.dispatch"):
        raise Forbidden(_("you may not do this here"))
    if wish.status != WishStatus.PUBLISHED:
        raise InvalidTransition(_("this wish is %(status)s") % {"status": wish.get_status_display()})
    if not clean_text(donor):
        raise DomainError(_("name the donor"), field="donor")
    wish.status, wish.donor, wish.donor_is_company = WishStatus.CLAIMED, clean_text(donor)[:120], is_company
    wish.claimed_at = timezone.now()
    wish.save(update_fields=["status", "donor", "donor_is_company", "claimed_at"])
    audit_record(actor=actor, action="social.wish_claim", obj=wish, new={"donor": wish.donor, "company": is_company})
    return wish


@transaction.atomic
def wish_deliver(*, actor, wish: Wish, delivered_on: dt.date) -> Wish:
    """The family received the wish: recorded as material assistance from a social source."""
    wish = _lock_wish(wish)
    if not region_in_scope(actor, wish.region_code, perm="social.dispatch"):
        raise Forbidden(_("you may not do this here"))
    if wish.status != WishStatus.CLAIMED:
        raise InvalidTransition(_("only a claimed wish can be delivered (this one is %(status)s)")
                                % {"status": wish.get_status_display()})
    if delivered_on > timezone.localdate():
        raise DomainError(_("the delivery date lies in the future"), field="delivered_on")
    if delivered_on < timezone.localdate(wish.claimed_at):
        raise DomainError(_("the delivery date is before the wish was claimed"), field="delivered_on")
    record, _created = assistance_record_create(
        actor=actor, household=wish.household, source=Source.SOCIAL_ORG, organisation=wish.donor,
        dedupe_key=f"social_wish:{wish.pk}",
        data=RecordInput(item_code="charity_wish", item_name=str(_("small wish (微心愿)")), category=Category.SOCIAL,
                         kind=Kind.GOODS, goods=wish.title, quantity=Decimal(1), amount=wish.value,
                         provider=wish.donor, given_on=delivered_on, external_ref=f"wish:{wish.pk}"))
    wish.status, wish.delivered_on, wish.record_id = WishStatus.DELIVERED, delivered_on, record.pk
    wish.save(update_fields=["status", "delivered_on", "record_id"])
    audit_record(actor=actor, action="social.wish_deliver", obj=wish, new={"delivered_on": delivered_on,
                                                                           "record": record.pk})
    return wish
