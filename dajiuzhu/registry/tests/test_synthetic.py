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
    # The synthetic registry is exactly the 300 people asked for (no second county below 10,000 people);
    # the rules demo (cases.demo_rules) registers two hand-made households besides: a widow and her son.
    hand_made = ["刘王氏", "刘建军"]
    assert Person.objects.exclude(name__in=hand_made).count() == 300
    assert Person.objects.count() == 302
    residents = User.objects.filter(role="resident")
    assert residents.exists()
    for user in residents:
        assert Person.objects.filter(id_hash=user.person_id_hash).exists()
    call_command("seed_demo", people=300, seed=5, if_empty=True)
    assert Person.objects.count() == 302
    assert "nothing to do" in capsys.readouterr().out


# --- the fast paths give exactly the county and the rows of the original generator and loader --------------------
# Digests taken with the generator and loader as they were before they were made fast (stdlib
# random.Random draws, psycopg write_row COPY into indexed tables): the same seed must still give
# the same county, and the same rows in the database.
DRAFTS_DIGEST = "f71178b8a316f4a4b3d289eb0793914d599396b1c8f39ea3e40bcb9693f6a7fb"  # 5,000 people, seed 7
ROWS_DIGEST = "9a4de2869a1f8f19ddfb0ad69a60ec4f4f340daf0af864f21902d63a0eb088eb"  # 1,200 people, seed 3
PLAIN_DIGEST = "28f375ffc5f6c14afa01e086b105e3c432597e912b811ed8b29c84e27ce36789"  # their ID numbers and phones


def _drafts_digest(people: int, seed: int) -> str:
    import dataclasses
    import hashlib

    county = SyntheticCounty(people=people, seed=seed, today=TODAY)
    digest = hashlib.sha256()
    for draft in county.households():
        digest.update(repr(dataclasses.asdict(draft)).encode())
    digest.update(county.disaster_township.encode())
    return digest.hexdigest()


def _rows_digest() -> tuple[str, str]:
    """Every loaded row (ids relative to the first; not the random ciphertexts and the load time)."""
    import hashlib

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT MIN(id) FROM registry_person), (SELECT MIN(id) FROM registry_household)")
        p, h = cursor.fetchone()
        digest = hashlib.sha256()
        for table, columns in (
            ("registry_household", f"id-{h}, number, region_code, hukou_region_code, address, is_urban, head_id-{p}"),
            ("registry_person", f"id-{p}, name, id_hash, id_masked, sex, birth_date, ethnicity, phone_hash, "
                                f"phone_masked, hukou_region_code, household_id-{h}, relation, region_code, "
                                "marital_status, education, deceased_on"),
            ("registry_membership", f'person_id-{p}, household_id-{h}, relation, start, "end"'),
            ("registry_memberfacts", f"person_id-{p}, region_code, as_of, source, health, illness, disability_category, "
                                     "disability_grade, disability_certificate, adl_failed, labour, employment, "
                                     "recorded_by_id"),
            ("registry_householdfacts", f"household_id-{h}, region_code, as_of, source, monthly_wages, "
                                        "monthly_business_income, monthly_property_income, monthly_transfer_income, "
                                        "monthly_excluded_income, deposits, securities, commercial_insurance, "
                                        "annual_medical_expense, annual_education_expense, "
                                        "annual_rehabilitation_expense, annual_basic_living_expense, vehicles, "
                                        "vehicles_for_disability, extra_houses, housing, safe_water, recorded_by_id"),
        ):
            cursor.execute(f"SELECT {columns} FROM {table} ORDER BY id")
            for row in cursor.fetchall():
                digest.update(repr(row).encode())
    plain = hashlib.sha256()
    for person in Person.objects.order_by("id"):
        plain.update(f"{person.id_number}|{person.phone}".encode())
    return digest.hexdigest(), plain.hexdigest()


def _schema(tables) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = ANY(%s::regclass[])
            UNION ALL
            SELECT indrelid::regclass::text, indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
            WHERE indrelid = ANY(%s::regclass[])""", [list(tables), list(tables)])
        return sorted(cursor.fetchall())


def test_the_fast_generator_drafts_the_county_of_the_stdlib_generator():
    assert _drafts_digest(5000, 7) == DRAFTS_DIGEST


def test_fast_draws_are_the_stdlib_draws():
    import random

    from dajiuzhu.registry.synthetic import _Random, _Weighted

    ours, theirs = _Random(99), random.Random(99)
    for n in (1, 2, 3, 7, 120, 365, 1000, 999_999_999):
        assert [ours.randint(0, n) for _i in range(50)] == [theirs.randint(0, n) for _i in range(50)]
        assert [ours.choice(range(n)) for _i in range(50)] == [theirs.choice(range(n)) for _i in range(50)]
    weights = (2, 5, 3, 0.4)
    picker = _Weighted(("a", "b", "c", "d"), weights)
    assert [picker.pick(ours) for _i in range(200)] == [theirs.choices("abcd", weights)[0] for _i in range(200)]
    theirs.gauss()  # an odd number of draws: the next one is the cached half of a pair
    ours.gauss()
    assert ours.normals(7) == [theirs.gauss() for _i in range(7)]
    assert ours.normals(4) == [theirs.gauss() for _i in range(4)] and ours.random() == theirs.random()
    with pytest.raises(ValueError):
        ours.randint(3, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("parallel", [False, True], ids=["one-process", "generator-process"])
def test_the_fast_load_writes_the_rows_of_the_original_loader(parallel):
    from django.db import connection

    from dajiuzhu.registry.synthetic import REGISTRY_TABLES

    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    schema = _schema(REGISTRY_TABLES)
    result = load_county(people=1200, seed=3, today=TODAY, batch_size=100, parallel=parallel)
    assert result.parallel is parallel and result.deferred_indexes  # empty tables: indexes rebuilt at the end
    assert result.batches == AuditEvent.objects.filter(action="registry.bulk_load").count()
    assert _rows_digest() == (ROWS_DIGEST, PLAIN_DIGEST)
    assert _schema(REGISTRY_TABLES) == schema  # every index and constraint is back, unchanged
    assert audit_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_fast_load_into_indexed_tables_writes_the_same_rows():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    generator = SyntheticCounty(people=1200, seed=3, today=TODAY)
    result = bulk_load(generator.households(), batch_size=100, defer_indexes=False)
    assert not result.deferred_indexes
    assert _rows_digest() == (ROWS_DIGEST, PLAIN_DIGEST)
    with pytest.raises(ValueError, match="empty registry tables"):
        bulk_load(drafts(people=10, seed=1), defer_indexes=True)


@pytest.mark.django_db(transaction=True)
def test_text_that_copy_would_misread_is_written_as_given():
    county = drafts(people=30)
    county[0].address = "东街\t3号\\甲\n后院"
    county[0].members[0].name = "王\\N"
    county[0].members[0].illness = "a\rb"
    bulk_load(county, batch_size=10)
    household = Household.objects.get(head__name="王\\N")
    assert household.address == "东街\t3号\\甲\n后院"
    assert MemberFacts.objects.filter(person=household.head).order_by("as_of").first().illness == "a\rb"
    assert Person.objects.filter(deceased_on__isnull=False).count() == sum(len(d.deaths) for d in county)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failing_generator_process_leaves_nothing_half_written(monkeypatch):
    from django.db import connection

    from dajiuzhu.registry import synthetic
    from dajiuzhu.registry.synthetic import REGISTRY_TABLES

    if connection.vendor != "postgresql":
        pytest.skip("the generator process is used on PostgreSQL")
    schema = _schema(REGISTRY_TABLES)

    def broken(self, rng, draft, pending):
        if draft.key == "H00000150":
            raise RuntimeError("planted failure")
        return original(self, rng, draft, pending)

    original = synthetic.SyntheticCounty._history
    monkeypatch.setattr(synthetic.SyntheticCounty, "_history", broken)
    with pytest.raises(RuntimeError, match="planted failure"):
        load_county(people=1200, seed=3, today=TODAY, batch_size=50, parallel=True)
    assert not Household.objects.exists() and not Person.objects.exists()
    assert _schema(REGISTRY_TABLES) == schema


@pytest.mark.postgres
@pytest.mark.django_db
def test_inside_a_callers_transaction_the_load_keeps_the_indexes_and_writes_the_same_rows():
    from django.db import connection

    from dajiuzhu.core.testing import make_user

    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    make_user("county_admin", "371424000000")  # leaves deferred foreign-key trigger events in the transaction
    result = load_county(people=1200, seed=3, today=TODAY, batch_size=100, parallel=False)
    assert not result.deferred_indexes
    assert _rows_digest() == (ROWS_DIGEST, PLAIN_DIGEST)
