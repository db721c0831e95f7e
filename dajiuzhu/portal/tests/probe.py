"""The security probe's objects of the portal: a case of the 兴隆镇 household with an item, a document
request, a stored document and a proxy application (代办) waiting at 兴隆镇 (see dajiuzhu/api/tests/test_probe.py).
The probe's resident is linked to a 临邑镇 household, so the resident routes are tried by a real resident of
another household."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dajiuzhu.core.testing import XINGLONG_TOWN, XINGLONG_VILLAGE, make_user


def _portal(world) -> None:
    from dajiuzhu.cases.models import Case, CaseItem
    from dajiuzhu.portal.models import Document, ProxyApplication
    from dajiuzhu.portal.services import document_request_create
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue
    from dajiuzhu.programs.models import AssistanceItem
    from dajiuzhu.registry.models import Household

    ensure_demo_catalogue()
    household = Household.objects.get(pk=world.ids["household"])
    case = Case.objects.create(number="PROBE-XL-PORTAL", household=household, applicant=household.head,
                               region_code=household.region_code, accepted_region_code=XINGLONG_TOWN)
    item = CaseItem.objects.create(case=case, household=household, region_code=household.region_code,
                                   item=AssistanceItem.objects.get(code="dibao"), status="refused",
                                   effective_from=timezone.localdate())
    handler = make_user("township_handler", XINGLONG_TOWN, username="probe-xinglong-portal-handler")
    request = document_request_create(actor=handler, case=case, what="探针乙的补充材料",
                                      due=timezone.localdate() + dt.timedelta(days=10))
    document = Document.objects.create(household=household, region_code=household.region_code, case=case,
                                       label="探针乙的证明", stored_name="probe-xinglong-document", content_type="image/png",
                                       size=1, sha256="0" * 64, uploaded_by=handler)
    worker = make_user("village_worker", XINGLONG_VILLAGE, username="probe-xinglong-portal-worker")
    proxy = ProxyApplication.objects.create(household=household, applicant=household.head,
                                            region_code=household.region_code, item_codes=["dibao"],
                                            note="探针乙的代办说明", worker=worker)
    world.ids.update({"portal_case": case.pk, "portal_case_item": item.pk, "portal_request": request.pk,
                      "portal_document": document.pk, "portal_proxy": proxy.pk})
    world.objects += [case, item, request, document, proxy]
    world.markers += ["PROBE-XL-PORTAL", "探针乙的补充材料", "探针乙的证明", "探针乙的代办说明"]


PROBE_OBJECTS = {"portal": _portal}

PROBE_PARAMS = {
    "portal:case:pk": "portal_case", "portal:appeal:pk": "portal_case", "portal:appeal:item_pk": "portal_case_item",
    "portal:request_upload:pk": "portal_request", "portal:document:pk": "portal_document",
    "portal:township_detail:pk": "portal_proxy", "portal:staff_document:pk": "portal_document",
    "portal:staff_case:case_id": "portal_case", "portal:apply:code": "catalogue_item",
    "portal:apply_sign:code": "catalogue_item", "portal:staff_household:pk": "household",
}

PROBE_ALLOWED = {
    "portal:apply": "the code names a county-wide catalogue item, not an object; a resident applies for their own "
                    "household only (resident_household); test_probe_resident checks it shows no other household",
    "portal:apply_sign": "the code names a county-wide catalogue item; without the resident's own draft it redirects "
                         "to the form; test_probe_resident checks it",
}
