"""Applying online: facts pre-filled, photos checked and sealed, signed by code, decided as at a window;
following it (timeline, messages, appeal in time), and the resident's walls."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dajiuzhu.cases.models import Case, Channel, ItemStatus
from dajiuzhu.core.audit import AuditEvent
from dajiuzhu.core.errors import DomainError
from dajiuzhu.portal import services
from dajiuzhu.portal.models import Document, Message
from dajiuzhu.portal.uploads import image_read

from .conftest import family, jpeg_bytes, last_code, png_bytes, resident_of

pytestmark = pytest.mark.django_db

FACTS = {"monthly_wages": "1196.00", "housing": "safe"}


def _apply_through_pages(client, household, *, photo=None, item="dibao"):
    client.force_login(resident_of(household))
    page = client.get(f"/m/apply/{item}/")
    assert page.status_code == 200
    data = {**FACTS}
    if photo is not None:
        data["photo"] = photo
    response = client.post(f"/m/apply/{item}/", data)
    if response.status_code != 302:
        return response
    client.post(f"/m/apply/{item}/sign/", {"action": "send"})
    return client.post(f"/m/apply/{item}/sign/", {"action": "sign", "code": last_code(household.phone)})


def test_a_resident_applies_for_dibao_with_a_photo_and_is_decided_at_once(catalogue, client, run_on_commit):
    household = family()
    with run_on_commit(execute=True):
        response = _apply_through_pages(client, household, photo=SimpleUploadedFile("id.jpg", jpeg_bytes(),
                                                                                  content_type="image/jpeg"))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/m/cases/{case.pk}/"
    assert case.channel == Channel.ONLINE and case.household == household
    dibao = case.items.get(item__code="dibao")
    assert dibao.status == ItemStatus.APPROVED and dibao.amount == Decimal("244.00")
    document = Document.objects.get()
    assert document.case == case and document.content_type == "image/jpeg"
    assert image_read(document.stored_name)[:2] == b"\xff\xd8"  # re-encoded JPEG, sealed on disk
    stored = (document.stored_name, )
    from django.conf import settings

    assert b"\xff\xd8" not in (settings.PORTAL_UPLOAD_ROOT / stored[0]).read_bytes()[:64]
    kinds = set(Message.objects.filter(household=household).values_list("kind", flat=True))
    assert {"received", "decision"} <= kinds
    assert Message.objects.get(kind="decision").sms == Message.Sms.SENT
    page = client.get(f"/m/cases/{case.pk}/").content.decode()
    assert "244.00" in page and "received online" in page


def test_an_item_not_open_online_is_refused_and_audited(catalogue, client):
    household = family()
    client.force_login(resident_of(household))
    response = client.get("/m/apply/tekun/")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="portal.apply.refused").exists()
    with pytest.raises(DomainError):
        services.online_apply(actor=resident_of(family()), item_code="tekun", facts=FACTS, code_id=None, code="1")
    assert not Case.objects.exists()


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(catalogue, client):
    household = family()
    response = _apply_through_pages(client, household, photo=SimpleUploadedFile("x.jpg", b"%PDF-1.4 not a photo",
                                                                              content_type="image/jpeg"))
    assert response.status_code == 200 and "not a photo" in response.content.decode()
    assert not Document.objects.exists() and not Case.objects.exists()


def test_a_40_mb_photo_is_refused(catalogue, settings):
    household = family()
    with pytest.raises(DomainError, match="too large"):
        services.document_add(actor=resident_of(household), household=household,
                              data=b"\xff\xd8" + b"0" * (settings.PORTAL_UPLOAD_MAX_BYTES + 1), label="x")
    assert not Document.objects.exists()
    assert not list(settings.PORTAL_UPLOAD_ROOT.glob("*.enc")) if settings.PORTAL_UPLOAD_ROOT.exists() else True


def test_a_wrong_signing_code_applies_nothing(catalogue, client):
    household = family()
    client.force_login(resident_of(household))
    client.post("/m/apply/dibao/", FACTS)
    client.post("/m/apply/dibao/sign/", {"action": "send"})
    right = last_code(household.phone)
    response = client.post("/m/apply/dibao/sign/", {"action": "sign", "code": "000000" if right != "000000" else "1"})
    assert response.status_code == 200 and not Case.objects.exists()


def test_a_resident_cannot_open_another_households_case(catalogue, client):
    mine, other = family(), family()
    from dajiuzhu.cases.window import window_submit

    theirs = window_submit(actor=resident_of(other), item_codes=["dibao"], facts=FACTS, promise_signed=True,
                           authorisation_signed=True)
    client.force_login(resident_of(mine))
    assert client.get(f"/m/cases/{theirs.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="portal.not_found").exists()
    doc = services.document_add(actor=resident_of(other), household=other, data=png_bytes(), label="x", case=theirs)
    assert client.get(f"/m/documents/{doc.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "worker"])
def test_resident_pages_are_not_for_others(catalogue, client, who):
    from dajiuzhu.core.testing import LINYI_TOWN, make_user

    household = family()
    from dajiuzhu.cases.window import window_submit

    case = window_submit(actor=resident_of(household), item_codes=["dibao"], facts=FACTS, promise_signed=True,
                         authorisation_signed=True)
    if who == "worker":
        client.force_login(make_user("township_handler", LINYI_TOWN))
        assert client.get(f"/m/cases/{case.pk}/").status_code == 404
    else:
        assert client.get(f"/m/cases/{case.pk}/").status_code == 302


def test_staff_see_documents_only_in_their_jurisdiction(catalogue, client, linyi_handler):
    from dajiuzhu.core.testing import XINGLONG_TOWN, make_user

    household = family()
    doc = services.document_add(actor=resident_of(household), household=household, data=png_bytes(), label="身份证")
    client.force_login(make_user("township_handler", XINGLONG_TOWN))
    assert client.get(f"/m/staff/documents/{doc.pk}/").status_code == 404
    client.force_login(linyi_handler)
    response = client.get(f"/m/staff/documents/{doc.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert AuditEvent.objects.filter(action="portal.document.view").count() == 1


def test_an_appeal_after_its_deadline_is_refused(catalogue, settings):
    from dajiuzhu.cases.models import Appeal, CaseItem
    from dajiuzhu.cases.window import window_submit

    household = family(wages="5000.00")
    resident = resident_of(household)
    case = window_submit(actor=resident, item_codes=["dibao"], facts={"monthly_wages": "5000"}, promise_signed=True,
                         authorisation_signed=True)
    refused = case.items.get(item__code="dibao")
    assert refused.status == ItemStatus.REFUSED
    CaseItem.objects.filter(pk=refused.pk).update(decided_at=timezone.now() - dt.timedelta(days=61))
    refused.refresh_from_db()
    with pytest.raises(DomainError, match="ended on"):
        services.appeal_online(actor=resident, case_item=refused, grounds="收入算错了")
    assert not Appeal.objects.exists()
    CaseItem.objects.filter(pk=refused.pk).update(decided_at=timezone.now() - dt.timedelta(days=59))
    refused.refresh_from_db()
    assert services.appeal_online(actor=resident, case_item=refused, grounds="收入算错了").status == "open"


def test_a_document_request_reaches_the_family_and_is_answered(catalogue, client, linyi_handler, run_on_commit):
    from dajiuzhu.cases.window import window_submit

    household = family()
    resident = resident_of(household)
    case = window_submit(actor=resident, item_codes=["dibao"], facts=FACTS, promise_signed=True,
                         authorisation_signed=True)
    with run_on_commit(execute=True):
        request = services.document_request_create(actor=linyi_handler, case=case, what="住院发票",
                                                   due=timezone.localdate() + dt.timedelta(days=10))
    message = Message.objects.get(kind="documents")
    assert "住院发票" in message.body and message.sms == Message.Sms.SENT
    client.force_login(resident)
    assert "住院发票" in client.get(f"/m/cases/{case.pk}/").content.decode()
    response = client.post(f"/m/requests/{request.pk}/upload/",
                           {"photo": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.fulfilled_at is not None and request.documents.get().case == case


def test_the_household_page_of_the_portal_is_scoped(catalogue, client, linyi_handler):
    from dajiuzhu.core.testing import XINGLONG_TOWN, make_user

    household = family()
    services.document_add(actor=resident_of(household), household=household, data=png_bytes(), label="户口簿")
    client.force_login(make_user("township_handler", XINGLONG_TOWN))
    assert client.get(f"/m/staff/households/{household.pk}/").status_code == 404
    client.force_login(linyi_handler)
    assert "户口簿" in client.get(f"/m/staff/households/{household.pk}/").content.decode()


def test_the_county_opens_an_item_to_online_application_and_the_change_is_audited(catalogue):
    from dajiuzhu.core.testing import LINYI_COUNTY, make_user
    from dajiuzhu.programs.models import AssistanceItem
    from dajiuzhu.programs.services import item_update

    item = AssistanceItem.objects.get(code="tekun")
    assert not item.online_application
    item_update(actor=make_user("county_admin", LINYI_COUNTY), item=item, data={"online_application": True},
                note="特困可网上申请")
    item.refresh_from_db()
    assert item.online_application and item.current_version.snapshot["online_application"] is True
    event = AuditEvent.objects.filter(action="programs.item.update").latest("id")
    assert event.new["online_application"] is True
