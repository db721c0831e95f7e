"""The warning scan over a factory-built scenario of the demo's planted kinds."""

import datetime as dt

import pytest

from dajiuzhu.alerts.models import Alert, AlertSignal, FollowUp, RuleSet
from dajiuzhu.alerts.rules import default_rules, signal_words
from dajiuzhu.alerts.scan import alerts_scan
from dajiuzhu.alerts.services import alerts_escalate, followup_record, ruleset_activate, ruleset_draft_save
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, LINYI_VILLAGE, XINGLONG_TOWN, make_user
from dajiuzhu.indices.models import RosterEntry

from . import scenario as sc

pytestmark = pytest.mark.django_db


def codes(household):
    alert = Alert.objects.get(household=household)
    return {s["code"] for s in alert.signals}


def test_scan_raises_alerts_for_the_planted_kinds_and_none_for_stable_households():
    s = sc.build()
    sc.flood(s)
    counts = alerts_scan(on=s.today, region_prefix="371424")
    assert counts["alerts"] == 4
    assert {"medical_costs"} <= codes(s.illness)
    assert "member_death" in codes(s.death)
    assert {"main_earner_unemployed", "income_drop"} <= codes(s.job_loss)
    assert codes(s.disaster) == {"disaster"}
    assert not Alert.objects.filter(household__in=s.stable).exists()
    illness = Alert.objects.get(household=s.illness)
    assert illness.level == "red" and "illness" in illness.risk_types.split(",")
    assert all(signal_words(x) for x in illness.signals)
    assert "60,800" in signal_words(next(x for x in illness.signals if x["code"] == "medical_costs")).replace("60800", "60,800")


def test_rescanning_the_same_date_changes_nothing():
    s = sc.build()
    alerts_scan(on=s.today, region_prefix="371424")
    before = (list(Alert.objects.values()), AlertSignal.objects.count(), AuditEvent.objects.count())
    again = alerts_scan(on=s.today, region_prefix="371424")
    assert again["alerts"] == 0 and again["signals"] == 0
    assert (list(Alert.objects.values()), AlertSignal.objects.count(), AuditEvent.objects.count()) == before


def test_the_same_signal_does_not_raise_a_second_alert_next_day():
    s = sc.build()
    # Two days of one month (month-keyed signals are a new occurrence in a new month, by design).
    first_day = s.today - dt.timedelta(days=1) if s.today.day > 1 else s.today
    alerts_scan(on=first_day, region_prefix="371424")
    first = Alert.objects.count()
    assert first
    alerts_scan(on=first_day + dt.timedelta(days=1), region_prefix="371424")
    assert Alert.objects.count() == first


def test_a_household_on_dibao_is_not_alerted_for_income_under_the_line_but_still_for_a_job_loss():
    from decimal import Decimal

    from dajiuzhu.core.testing import _system_admin
    from dajiuzhu.registry.services import household_facts_record

    s = sc.build()
    for household in (s.job_loss, s.stable[0]):
        household_facts_record(actor=_system_admin(household.region_code), household=household, as_of=s.changed,
                               values={"monthly_wages": Decimal("0")})
    RosterEntry.objects.create(household=s.job_loss, region_code=s.job_loss.region_code, tier="dibao",
                               since=s.changed)
    alerts_scan(on=s.today, region_prefix="371424")
    assert "income_below_line" in codes(s.stable[0])
    assert "income_below_line" not in codes(s.job_loss)
    assert "main_earner_unemployed" in codes(s.job_loss)


def test_a_signal_closed_as_assisted_is_not_raised_again_within_a_year():
    worker = make_user("village_worker", LINYI_VILLAGE)
    s = sc.build()
    alerts_scan(on=s.today - dt.timedelta(days=1), region_prefix="371424")
    alert = Alert.objects.get(household=s.illness)
    followup_record(actor=worker, alert=alert, visited_on=s.today, outcome="assisted",
                    case_id=sc.make_case(s.illness))
    AlertSignal.objects.filter(household=s.illness).delete()  # as if the costs rose again in another month
    alerts_scan(on=s.today, region_prefix="371424")
    assert Alert.objects.filter(household=s.illness).count() == 1


def test_alerts_go_to_the_village_worker_else_the_township_with_due_date_by_level():
    worker = make_user("village_worker", LINYI_VILLAGE)
    handler = make_user("township_handler", XINGLONG_TOWN)
    s = sc.build()
    sc.flood(s)
    alerts_scan(on=s.today, region_prefix="371424")
    illness = Alert.objects.get(household=s.illness)
    assert illness.assigned_to == worker and illness.stage == "village"
    assert illness.due_on == s.today + dt.timedelta(days=3)
    flooded = Alert.objects.get(household=s.disaster)
    assert flooded.assigned_to == handler and flooded.stage == "township"


def test_a_worker_closes_an_alert_with_a_visit_that_led_to_an_application():
    worker = make_user("village_worker", LINYI_VILLAGE)
    s = sc.build()
    alerts_scan(on=s.today, region_prefix="371424")
    alert = Alert.objects.get(household=s.illness)
    with pytest.raises(DomainError):  # an application of another household is refused
        followup_record(actor=worker, alert=alert, visited_on=s.today, outcome="assisted",
                        case_id=sc.make_case(s.death))
    case_id = sc.make_case(s.illness)
    follow_up = followup_record(actor=worker, alert=alert, visited_on=s.today, outcome="assisted", case_id=case_id)
    alert.refresh_from_db()
    assert alert.status == "closed" and follow_up.case_id == case_id
    assert AuditEvent.objects.filter(action="alerts.followup", object_id=str(alert.pk)).exists()
    with pytest.raises(DomainError):
        followup_record(actor=worker, alert=alert, visited_on=s.today, outcome="no_need", reason="x")


@pytest.mark.parametrize(("outcome", "extra", "field"), [
    ("assisted", {}, "case_id"), ("referred", {}, "department"), ("no_need", {}, "reason"),
])
def test_follow_up_refuses_an_outcome_without_its_detail(outcome, extra, field):
    worker = make_user("village_worker", LINYI_VILLAGE)
    s = sc.build()
    alerts_scan(on=s.today, region_prefix="371424")
    alert = Alert.objects.get(household=s.illness)
    with pytest.raises(DomainError) as error:
        followup_record(actor=worker, alert=alert, visited_on=s.today, outcome=outcome, **extra)
    assert error.value.field == field
    assert not FollowUp.objects.exists()


def test_a_worker_of_another_village_may_not_follow_up():
    other = make_user("village_worker", "371424100204")
    s = sc.build()
    alerts_scan(on=s.today, region_prefix="371424")
    alert = Alert.objects.get(household=s.illness)
    with pytest.raises(DomainError):
        followup_record(actor=other, alert=alert, visited_on=s.today, outcome="no_need", reason="ok")
    alert.refresh_from_db()
    assert alert.status == "open"


def test_overdue_alerts_escalate_to_the_township_then_the_county():
    make_user("village_worker", LINYI_VILLAGE)
    handler = make_user("township_handler", LINYI_TOWN)
    admin = make_user("county_admin", LINYI_COUNTY)
    s = sc.build()
    alerts_scan(on=s.today, region_prefix="371424")
    alert = Alert.objects.get(household=s.illness)
    alerts_escalate(today=alert.due_on + dt.timedelta(days=1))
    alert.refresh_from_db()
    assert alert.stage == "township" and alert.assigned_to == handler
    alerts_escalate(today=alert.due_on + dt.timedelta(days=1))
    alert.refresh_from_db()
    assert alert.stage == "county" and alert.assigned_to == admin


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda c: c["signals"].update(astrology={"enabled": True}), "unknown signal"),
    (lambda c: c["signals"]["income_drop"].update(percent=-5), "income_drop.percent"),
    (lambda c: c["signals"]["disaster"].update(level="purple"), "level"),
])
def test_a_rule_set_with_an_unknown_signal_or_bad_threshold_is_refused(mutate, message):
    admin = make_user("county_admin", LINYI_COUNTY)
    config = default_rules()
    mutate(config)
    draft = ruleset_draft_save(actor=admin, config=config)
    with pytest.raises(DomainError, match=message):
        ruleset_activate(actor=admin, ruleset=draft)
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert not RuleSet.objects.filter(status="active").exclude(note="default").exists()


def test_thresholds_are_configurable():
    admin = make_user("county_admin", LINYI_COUNTY)
    s = sc.build()
    config = default_rules()
    config["signals"]["medical_costs"]["monthly_threshold"] = 100000
    ruleset_activate(actor=admin, ruleset=ruleset_draft_save(actor=admin, config=config))
    alerts_scan(on=s.today, region_prefix="371424")
    assert not Alert.objects.filter(household=s.illness).exists() or "medical_costs" not in codes(s.illness)


def test_a_new_signal_the_same_day_after_a_visit_opens_a_new_alert():
    worker = make_user("village_worker", LINYI_VILLAGE)
    s = sc.build()
    alerts_scan(on=s.today, region_prefix="371424")
    alert = Alert.objects.get(household=s.illness)
    followup_record(actor=worker, alert=alert, visited_on=s.today, outcome="no_need", reason="已有医保报销")
    from dajiuzhu.alerts.services import disaster_record

    event = disaster_record(actor=None, region_code=LINYI_TOWN, kind="hail", occurred_on=s.today)
    event.households.set([s.illness])
    alerts_scan(on=s.today, region_prefix="371424")
    alerts = list(Alert.objects.filter(household=s.illness).order_by("id"))
    assert [a.status for a in alerts] == ["closed", "open"]
    assert [x["code"] for x in alerts[1].signals] == ["disaster"]
