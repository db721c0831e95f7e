"""The public complaint form of a village is allowed in the security probe (anyone may lodge a complaint):
this checks what the probe skips there — it shows no one's personal data, and a refused post writes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from dajiuzhu.core.testing import XINGLONG_VILLAGE, make_household, member_input
from dajiuzhu.supervision.models import Complaint

pytestmark = pytest.mark.django_db


def test_the_public_form_shows_no_household_of_the_village_and_an_empty_post_writes_nothing(catalogue):
    household = make_household(XINGLONG_VILLAGE, members=[member_input("公开表单户主", age=60)])
    client = Client()
    page = client.get(f"/supervision/public/{XINGLONG_VILLAGE}/")
    assert page.status_code == 200
    text = page.content.decode()
    for secret in ("公开表单户主", household.number, household.head.id_masked):
        assert secret not in text
    before = Complaint.objects.count()
    refused = client.post(f"/supervision/public/{XINGLONG_VILLAGE}/", {})
    assert refused.status_code == 200 and Complaint.objects.count() == before
    assert client.get("/supervision/public/371424105000/").status_code == 404  # a township is not a village
