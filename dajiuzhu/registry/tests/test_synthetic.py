"""The synthetic county: deterministic, valid by the registry's own validation, loaded as the services would."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command

from dajiuzhu.core import crypto
from dajiuzhu.core.audit import audit_verify
from dajiuzhu.core.ids import age_on, make_id_number, parse_id_number
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.registry.facts import household_facts, household_frame
from dajiuzhu.registry.models import Household, HouseholdFacts, MemberFacts, Membership, Person
from dajiuzhu.registry.synthetic import SyntheticCounty, bulk_load, facts_row, load_county, template_rows
from dajiuzhu.registry.validation import MemberInput, parse_household_facts, parse_member

TODAY = dt.date(2026, 11, 15)


def drafts(people=400, seed=7):
    return list(SyntheticCounty(people=people, seed=seed, today=TODAY).households())


def test_same_seed_gives_the_same_county_and_another_seed_another():
    assert list(template_rows(drafts())) == list(template_rows(drafts()))
    assert list(template_rows(drafts(seed=8))) != list(template_rows(drafts()))


def test_exactly_the_requested_number_of_people_with_one_head_per_household():
    county = drafts(people=1003)
    assert sum(len(d.members) for d in county) == 1003
    for draft in county:
        assert [m.relation for m in draft.members].count("head") == 1
        assert draft.members[0].relation == "head"
        assert len(draft.facts) == len(draft.months) == 12


def test_every_row_passes_the_registry_validation_and_ids_match_ages():
    rows = list(template_rows(drafts(people=600)))
    numbers = set()
    for row in rows:
        member = parse_member(row, today=TODAY)
        numbers.add(member.id_number)
        assert member.birth_date.isoformat() == row["birth_date"]
        if "monthly_wages" in row:
            parse_household_facts(row)
    assert len(numbers) == len(rows)  # unique ID numbers


def test_composition_is_plausible():
    county = drafts(people=6000)
    sizes = Counter(len(d.members) for d in county)
    assert 2.0 < 6000 / len(county) < 3.5
    assert sizes[1] > 0 and sizes[5] > 0
    members = [m for d in county for m in d.members]
    assert any(m.disability_grade in (1, 2) for m in members)
    assert any(m.health == "serious" for m in members)
    assert any(m.employment == "student" for m in members)
    assert any(m.relation == "grandchild" for m in members)
    assert any(d.is_urban for d in county) and any(not d.is_urban for d in county)
    ages = [age_on(m.birth_date, TODAY) for d in county for m in d.members if len(d.members) == 1]
    assert sum(a >= 60 for a in ages) > len(ages) / 3  # many elderly live alone
    addresses = Counter(parse_id_number(m.id_number, today=TODAY).address_code for m in members)
    assert addresses.most_common(1)[0][0] == "371424" and len(addresses) > 3  # some registered elsewhere


def test_planted_cases_change_in_the_last_month_only():
    county = drafts(people=3000)
    kinds = Counter(d.planted for d in county)
    assert all(kinds[k] >= 1 for k in ("illness", "death", "job_loss", "stable"))
    for draft in county:
        last = draft.months[-1]
        if draft.planted == "stable":
            assert all(f == draft.facts[0] for f in draft.facts) and not draft.member_changes
        elif draft.planted == "illness":
            change = [c for c in draft.member_changes if c[1] == last]
            assert change and change[0][2]["health"] == "serious"
            assert draft.facts[-1]["annual_medical_expense"] > draft.facts[-2]["annual_medical_expense"] + 3_000_000
        elif draft.planted == "death":
            assert draft.deaths and last <= draft.deaths[0][1] <= TODAY
        elif draft.planted == "job_loss":
            change = [c for c in draft.member_changes if c[1] == last]
            assert change and change[0][2]["employment"] == "unemployed"
            assert draft.facts[-1]["monthly_wages"] < draft.facts[-2]["monthly_wages"]
        else:
            assert all(on < last for _i, on, _s in draft.member_changes)


@pytest.mark.django_db(transaction=True)
def test_bulk_load_writes_what_the_services_write():
    from dajiuzhu.core.testing import make_household

    county = drafts(people=300)
    result = bulk_load(county, batch_size=40)
    assert result.people == Person.objects.count() == 300
    assert result.households == Household.objects.count() == len(county)
    assert result.batches == AuditEvent.objects.filter(action="registry.bulk_load").count() == -(-len(county) // 40)
    assert HouseholdFacts.objects.count() == 12 * len(county)
    assert Membership.objects.filter(end__isnull=True).count() == 300
    assert MemberFacts.objects.count() == 300 + sum(len(d.member_changes) for d in county)
    assert audit_verify().ok

    draft = county[0]
    loaded = Household.objects.get(pk=result.first_household_id)
    # Register the same household through the service, with its members shifted to fresh ID numbers.
    members = [MemberInput(**{**m.row(), "birth_date": m.birth_date, "disability_grade": m.disability_grade,
                              "adl_failed": m.adl_failed}) for m in draft.members]
    for index, member in enumerate(members):
        sequence = 100 + 2 * index + (1 if member.sex == "M" else 0)
        member.id_number = make_id_number(member.id_number[:6], member.birth_date, sequence)

    reference = make_household(draft.region_code, members=members, as_of=draft.months[-1],
                               facts=parse_household_facts(facts_row(draft.facts[-1])))
    assert loaded.region_code == reference.region_code and loaded.is_urban == reference.is_urban
    assert loaded.number.startswith(draft.region_code + "-")
    assert loaded.head.relation == "head" and loaded.head.name == draft.members[0].name
    head = loaded.head
    assert head.id_number == draft.members[0].id_number
    assert head.id_hash == crypto.blind_index(head.id_number)
    assert head.id_masked == head.id_number[:4] + "*" * 10 + head.id_number[-4:]
    assert head.phone == draft.members[0].phone
    person_fields = ["sex", "birth_date", "ethnicity", "hukou_region_code", "relation", "region_code",
                     "marital_status", "education"]
    for ours, theirs in zip(loaded.members.order_by("id"), reference.members.order_by("id"), strict=True):
        assert {f: getattr(ours, f) for f in person_fields} == {f: getattr(theirs, f) for f in person_fields}
    facts_fields = [f.name for f in HouseholdFacts._meta.fields
                    if f.name not in {"id", "household", "recorded_at", "recorded_by", "as_of"}]
    ours = HouseholdFacts.objects.get(household=loaded, as_of=draft.months[-1])
    theirs = HouseholdFacts.objects.get(household=reference)
    assert {f: getattr(ours, f) for f in facts_fields} == {f: getattr(theirs, f) for f in facts_fields}
    # The bulk frame and the one-household path read the loaded rows alike.
    frame = household_frame(on=TODAY, household_ids=[loaded.pk])
    assert household_facts(loaded.pk, on=TODAY)["household_size"] == frame.columns["household_size"][0]


@pytest.mark.django_db(transaction=True)
def test_load_county_reports_planted_households_and_a_disaster_township():
    result = load_county(people=1200, seed=3, today=TODAY)
    assert len(result.planted["disaster"]) == 1 and result.planted["disaster"][0].startswith("371424")
    dead = Person.objects.filter(deceased_on__isnull=False)
    assert set(dead.values_list("household_id", flat=True)) == set(result.planted["death"])
    stable = result.planted["stable"][0]
    values = HouseholdFacts.objects.filter(household_id=stable).values_list("monthly_wages", "deposits")
    assert len(set(values)) == 1


@pytest.mark.django_db(transaction=True)
def test_seed_demo_builds_a_small_county_once(capsys):
    from dajiuzhu.accounts.models import User

    call_command("seed_demo", people=300, seed=5)
    assert Person.objects.count() == 300
    residents = User.objects.filter(role="resident")
    assert residents.exists()
    for user in residents:
        assert Person.objects.filter(id_hash=user.person_id_hash).exists()
    call_command("seed_demo", people=300, seed=5, if_empty=True)
    assert Person.objects.count() == 300
    assert "nothing to do" in capsys.readouterr().out
