"""The portal's demo data: known phones for the demo residents, and one proxied application waiting."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from dajiuzhu.core.demo import DemoContext
from dajiuzhu.core.testing import LINYI_VILLAGE, XINGLONG_VILLAGE, make_household

pytestmark = pytest.mark.django_db


def test_demo_residents_get_their_phones_and_a_proxied_application_waits(catalogue, client):
    from dajiuzhu.accounts.demo import ensure_demo_accounts
    from dajiuzhu.portal import demo
    from dajiuzhu.portal.models import ProxyApplication
    from dajiuzhu.registry.demo import ensure_resident_accounts

    ensure_demo_accounts()
    for region in (LINYI_VILLAGE, LINYI_VILLAGE, XINGLONG_VILLAGE):
        make_household(region)
    ensure_resident_accounts()
    ctx = DemoContext(rng=random.Random(1), today=timezone.localdate(), log=lambda m: None)
    demo.seed(ctx)
    demo.seed(ctx)  # a second run adds nothing
    assert ProxyApplication.objects.filter(status="waiting").count() == 1
    from dajiuzhu.accounts.models import User
    from dajiuzhu.registry.models import Person

    zhang = User.objects.get(username="resident_zhang")
    person = Person.objects.get(id_hash=zhang.person_id_hash)
    response = client.post("/m/sign-in/", {"id_number": person.id_number, "phone": "13800000001"})
    assert response.status_code == 302
