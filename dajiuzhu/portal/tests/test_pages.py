"""The installable app (manifest, service worker, offline page) and plain Chinese on resident pages."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import translation

from .conftest import family, resident_of

pytestmark = pytest.mark.django_db
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def test_the_portal_installs_as_a_web_app(client):
    manifest = json.loads(client.get("/m/manifest.webmanifest").content)
    assert manifest["start_url"] == "/m/" and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    worker = client.get("/m/sw.js")
    assert worker["Service-Worker-Allowed"] == "/m/" and "/m/offline/" in worker.content.decode()
    assert client.get("/m/offline/").status_code == 200


def _visible_text(html: str) -> str:
    import html as html_lib

    main = html.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<script.*?</script>", " ", main, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", main))


def test_resident_pages_are_plain_chinese(catalogue, client, settings):
    from dajiuzhu.cases.window import window_submit

    settings.LANGUAGE_CODE = "zh-hans"
    household = family()
    resident = resident_of(household)
    with translation.override("zh-hans"):
        case = window_submit(actor=resident, item_codes=["dibao"], facts={"monthly_wages": "1196"},
                             promise_signed=True, authorisation_signed=True)
    client.force_login(resident)
    estimate = client.post("/m/what-could-we-get/", {"urban": "0", "members": "2", "my_age": "45", "able_to_work": "2",
                                                     "monthly_wages": "1196", "housing": "safe",
                                                     "my_disability_grade": "0"})
    pages = [estimate] + [client.get(url) for url in ("/m/", "/m/apply/dibao/", f"/m/cases/{case.pk}/", "/m/messages/",
                                                      "/m/change/", "/m/notices/")]
    for response in pages:
        assert response.status_code == 200
        text = _visible_text(response.content.decode())
        assert not LATIN_WORD.findall(text), (response.request["PATH_INFO"], LATIN_WORD.findall(text)[:10])
    assert "598" in _visible_text(estimate.content.decode())


def test_the_status_page_reads_a_fixed_number_of_statements(catalogue, client, django_assert_max_num_queries):
    from dajiuzhu.cases.window import window_submit

    household = family()
    resident = resident_of(household)
    case = window_submit(actor=resident, item_codes=["dibao"], facts={"monthly_wages": "1196"}, promise_signed=True,
                         authorisation_signed=True)
    client.force_login(resident)
    client.get(f"/m/cases/{case.pk}/")
    with django_assert_max_num_queries(11):  # session, user, person, case, items, appeals, notices, payments,
        response = client.get(f"/m/cases/{case.pk}/")  # requests, timeline, documents
    assert response.status_code == 200
