"""Signing in by ID number + mobile phone + one-time code; codes expire, are single-use, hashed at rest and
rate-limited; every attempt is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dajiuzhu.core.audit import AuditEvent
from dajiuzhu.core.errors import DomainError
from dajiuzhu.portal import codes, services
from dajiuzhu.portal.models import OneTimeCode

from .conftest import family, last_code

pytestmark = pytest.mark.django_db


def _actions():
    return list(AuditEvent.objects.filter(action__startswith="portal.").order_by("id").values_list("action", flat=True))


def test_a_resident_signs_in_with_a_code_sent_to_the_phone_on_record(client):
    household = family()
    response = client.post("/m/sign-in/", {"id_number": household.head_id_number, "phone": household.phone})
    assert response.status_code == 302 and response["Location"] == "/m/sign-in/code/"
    code = last_code(household.phone)
    response = client.post("/m/sign-in/code/", {"code": code})
    assert response.status_code == 302
    page = client.get("/m/")
    assert "王建国" in page.content.decode()
    assert _actions() == ["portal.code.sent", "portal.sign_in"]


def test_the_code_is_kept_only_as_a_hash():
    household = family()
    row = services.sign_in_start(id_number=household.head_id_number, phone=household.phone, address="10.0.0.1")
    code = last_code(household.phone)
    row.refresh_from_db()
    assert code not in row.code_hash and len(row.code_hash) == 64


def test_a_code_is_single_use():
    household = family()
    row = services.sign_in_start(id_number=household.head_id_number, phone=household.phone, address="10.0.0.1")
    code = last_code(household.phone)
    services.sign_in_finish(code_id=row.pk, id_number=household.head_id_number, phone=household.phone, code=code)
    with pytest.raises(codes.CodeRefused):
        services.sign_in_finish(code_id=row.pk, id_number=household.head_id_number, phone=household.phone, code=code)


def test_an_expired_code_is_refused():
    household = family()
    row = services.sign_in_start(id_number=household.head_id_number, phone=household.phone, address="10.0.0.1")
    OneTimeCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(codes.CodeRefused, match="expired"):
        services.sign_in_finish(code_id=row.pk, id_number=household.head_id_number, phone=household.phone,
                                code=last_code(household.phone))
    assert "portal.sign_in.failed" in _actions()


def test_five_wrong_guesses_spend_the_code():
    household = family()
    row = services.sign_in_start(id_number=household.head_id_number, phone=household.phone, address="10.0.0.1")
    right = last_code(household.phone)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(codes.MAX_ATTEMPTS):
        with pytest.raises(codes.CodeRefused):
            services.sign_in_finish(code_id=row.pk, id_number=household.head_id_number, phone=household.phone,
                                    code=wrong)
    with pytest.raises(codes.CodeRefused, match="no longer valid"):
        services.sign_in_finish(code_id=row.pk, id_number=household.head_id_number, phone=household.phone, code=right)


def test_codes_are_rate_limited_per_phone(settings):
    settings.PORTAL_CODES_PER_PHONE_HOUR = 2
    household = family()
    for n in range(2):
        services.sign_in_start(id_number=household.head_id_number, phone=household.phone, address=f"10.0.0.{n}")
    with pytest.raises(codes.CodeRefused, match="Too many codes"):
        services.sign_in_start(id_number=household.head_id_number, phone=household.phone, address="10.0.0.9")
    assert OneTimeCode.objects.count() == 2
    assert _actions().count("portal.sign_in.refused") == 1


def test_codes_are_rate_limited_per_address(settings):
    settings.PORTAL_CODES_PER_ADDRESS_HOUR = 2
    families = [family() for _ in range(3)]
    for household in families[:2]:
        services.sign_in_start(id_number=household.head_id_number, phone=household.phone, address="10.9.9.9")
    with pytest.raises(codes.CodeRefused, match="network"):
        services.sign_in_start(id_number=families[2].head_id_number, phone=families[2].phone, address="10.9.9.9")


def test_a_phone_not_on_record_is_refused_politely_and_audited(client):
    household = family()
    response = client.post("/m/sign-in/", {"id_number": household.head_id_number, "phone": "13999999999"})
    assert response.status_code == 200
    assert "not the one on record" in response.content.decode()
    assert not OneTimeCode.objects.exists()
    event = AuditEvent.objects.get(action="portal.sign_in.refused")
    assert event.new["reason"] == "phone_mismatch" and "13999999999" not in str(event.new)


def test_an_id_number_not_in_the_county_is_refused():
    from dajiuzhu.core.testing import member_input

    with pytest.raises(DomainError, match="cannot find"):
        services.sign_in_start(id_number=member_input().id_number, phone="13800000000", address="1.1.1.1")
    with pytest.raises(DomainError, match="not valid"):
        services.sign_in_start(id_number="123", phone="13800000000", address="1.1.1.1")
    assert not OneTimeCode.objects.exists()


def test_the_first_sign_in_makes_a_resident_account_linked_to_the_person():
    from dajiuzhu.accounts.models import User

    household = family()
    row = services.sign_in_start(id_number=household.head_id_number, phone=household.phone, address="1.1.1.1")
    user = services.sign_in_finish(code_id=row.pk, id_number=household.head_id_number, phone=household.phone,
                                   code=last_code(household.phone))
    assert user.role == "resident" and user.person_id_hash == household.head.id_hash
    assert not user.has_usable_password() and user.region_id == household.region_code
    assert User.objects.filter(role="resident").count() == 1
