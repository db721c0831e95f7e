"""What the exchange listens to: deaths (registry), dishonesty records (credit) and roster changes
(indices' ``RosterEvent`` rows, read by id from a cursor, because the roster is written in bulk)."""

from __future__ import annotations

from django.db import transaction

from dajiuzhu.credit import hooks as credit_hooks
from dajiuzhu.credit.models import RecordStatus
from dajiuzhu.indices.models import RosterEvent, Tier
from dajiuzhu.registry import signals as registry_signals

from .events import event_publish
from .models import Cursor, EventType


def on_person_died(sender, person, on, **kwargs) -> None:
    with transaction.atomic():
        event_publish(event_type=EventType.DEATH, person_id=person.pk, region_code=person.region_code,
                      occurred_on=on)


def on_record_took_effect(sender, record, **kwargs) -> None:
    with transaction.atomic():
        event_publish(event_type=EventType.DISHONESTY_EFFECTIVE, person_id=record.person_id,
                      region_code=record.region_code, occurred_on=record.start,
                      details={"reason": record.reason, "expiry": record.expiry.isoformat()})


def on_record_ended(sender, record, **kwargs) -> None:
    how = "expired" if record.status == RecordStatus.EXPIRED else "lifted"
    with transaction.atomic():
        event_publish(event_type=EventType.DISHONESTY_LIFTED, person_id=record.person_id,
                      region_code=record.region_code, occurred_on=record.ended_on or record.expiry,
                      details={"how": how})


def connect() -> None:
    registry_signals.person_died.connect(on_person_died, dispatch_uid="exchange.person_died")
    credit_hooks.record_in_force.connect(on_record_took_effect, dispatch_uid="exchange.record_in_force")
    credit_hooks.record_ended.connect(on_record_ended, dispatch_uid="exchange.record_ended")


ROSTER_EVENTS = {
    (Tier.DIBAO, RosterEvent.Kind.ENTER): EventType.DIBAO_ENTER, (Tier.DIBAO, RosterEvent.Kind.LEAVE): EventType.DIBAO_LEAVE,
    (Tier.TEKUN, RosterEvent.Kind.ENTER): EventType.TEKUN_ENTER, (Tier.TEKUN, RosterEvent.Kind.LEAVE): EventType.TEKUN_LEAVE,
}


@transaction.atomic
def roster_events_collect(*, limit: int = 5000) -> int:
    """Publish roster changes since the cursor: 低保/特困 enter and leave, and entering or leaving the
    low-income roster as a whole (any other tier)."""
    cursor, _created = Cursor.objects.select_for_update().get_or_create(name="roster_events")
    rows = list(RosterEvent.objects.filter(pk__gt=cursor.position).order_by("pk")
                .values_list("pk", "household_id", "region_code", "tier", "kind", "on")[:limit])
    for pk, household_id, region_code, tier, kind, on in rows:
        event_type = ROSTER_EVENTS.get((tier, kind)) or (
            EventType.ROSTER_ENTER if kind == RosterEvent.Kind.ENTER else EventType.ROSTER_LEAVE)
        event_publish(event_type=event_type, household_id=household_id, region_code=region_code, occurred_on=on,
                      details={"tier": tier})
        cursor.position = pk
    if rows:
        cursor.save(update_fields=["position"])
    return len(rows)
