"""What the security probe leaves to this test: the resident routes. ``apply``/``apply_sign`` are allowed in
the probe (their parameter is a catalogue item, the household is always the resident's own): they must show
nothing of another household and a refused post writes nothing; every route naming an object of another
household (case, appeal, request, document) is a 404 for a resident."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from dajiuzhu.cases.models import Case, CaseItem
from dajiuzhu.core.testing import XINGLONG_TOWN, XINGLONG_VILLAGE, make_household, make_user, member_input
from dajiuzhu.portal.models import Document, DocumentRequest
from dajiuzhu.portal.services import document_request_create
from dajiuzhu.programs.models import AssistanceItem

from .conftest import family, resident_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(catalogue):
    household = make_household(XINGLONG_VILLAGE, members=[member_input("别家户主", age=55)])
    case = Case.objects.create(number="OTHER-0001", household=household, applicant=household.head,
                               region_code=household.region_code, accepted_region_code=XINGLONG_TOWN)
    item = CaseItem.objects.create(case=case, household=household, region_code=household.region_code,
                                   item=AssistanceItem.objects.get(code="dibao"), status="refused",
                                   effective_from=timezone.localdate())
    handler = make_user("township_handler", XINGLONG_TOWN)
    request = document_request_create(actor=handler, case=case, what="别家的材料",
                                      due=timezone.localdate() + dt.timedelta(days=5))
    document = Document.objects.create(household=household, region_code=household.region_code, case=case,
                                       label="别家的证明", stored_name="other-document", content_type="image/png",
                                       size=1, sha256="0" * 64)
    return household, case, item, request, document


def test_the_apply_pages_show_only_the_residents_own_household(other):
    household = other[0]
    mine = family()
    client = Client()
    client.force_login(resident_of(mine))
    cases, documents = Case.objects.count(), Document.objects.count()
    for response in (client.get("/m/apply/dibao/"), client.post("/m/apply/dibao/", {})):
        assert response.status_code == 200
        text = response.content.decode()
        assert "别家户主" not in text and household.number not in text
    sign = client.get("/m/apply/dibao/sign/")
    assert sign.status_code == 302 and sign["Location"] == "/m/apply/dibao/"  # no draft of one's own: back to the form
    assert client.post("/m/apply/dibao/sign/", {"action": "sign", "code": "123456"}).status_code == 302
    assert (Case.objects.count(), Document.objects.count()) == (cases, documents)


def test_a_resident_gets_404_for_another_households_case_appeal_request_and_document(other):
    _household, case, item, request, document = other
    client = Client()
    client.force_login(resident_of(family()))
    for url in (f"/m/cases/{case.pk}/", f"/m/documents/{document.pk}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/m/cases/{case.pk}/appeal/{item.pk}/", {"grounds": "不服"}).status_code == 404
    assert client.post(f"/m/requests/{request.pk}/upload/", {}).status_code == 404  # not "choose a photo" first
    assert DocumentRequest.objects.get(pk=request.pk).fulfilled_at is None
    assert not item.appeals.exists()
