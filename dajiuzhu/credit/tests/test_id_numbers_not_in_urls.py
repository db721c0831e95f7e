"""Security finding 6: a full ID number never travels in a URL (history, proxies, server logs).

Searches by ID number are POSTs (the pages' forms and ``POST …/search`` of the API); a GET whose
``q`` carries an ID number is refused (API, 422) or not searched (pages, a redirect dropping it).
Name searches keep working by GET.
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.core.ids import looks_like_id_number
from dajiuzhu.core.testing import LINYI_TOWN, make_household, make_user
from dajiuzhu.credit import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    household = make_household()
    admin = make_user("county_admin", "371424000000")
    services.dishonesty_record_create(actor=admin, person=household.head, reason="concealment", source="case",
                                      details="hid a car")
    handler = make_user("township_handler", LINYI_TOWN)
    _token, key = ApiToken.issue(user=handler, name="test")
    return household, handler, {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.mark.parametrize("text,expected", [
    ("371424199001011234", True), ("37142419900101123x", True), ("371424900101123", True),
    ("３７１４２４１９９００１０１１２３４", True), ("371424100202-00017", False), ("张三", False),
    ("20261000000123", False),  # a case number: 14 digits
])
def test_what_looks_like_an_id_number(text, expected):
    assert looks_like_id_number(text) is expected


@pytest.mark.parametrize("path", ["/api/v1/registry/households", "/api/v1/credit/records", "/api/v1/cases/cases"])
def test_the_api_refuses_an_id_number_in_the_query_string(client, world, path):
    household, _handler, headers = world
    response = client.get(path, {"q": household.head.id_number}, **headers)
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert response.json()["field"] == "q"
    assert household.head.id_number not in response.content.decode()


def test_the_api_searches_by_id_number_in_a_post_body_and_by_name_in_the_query(client, world):
    household, _handler, headers = world
    number, name = household.head.id_number, household.head.name
    found = client.post("/api/v1/registry/households/search", {"q": number}, content_type="application/json", **headers)
    assert found.status_code == 200 and [h["id"] for h in found.json()["items"]] == [household.pk]
    by_name = client.get("/api/v1/registry/households", {"q": name}, **headers).json()
    assert household.pk in [h["id"] for h in by_name["items"]]
    records = client.post("/api/v1/credit/records/search", {"q": number}, content_type="application/json", **headers)
    assert records.status_code == 200 and [r["person_name"] for r in records.json()] == [name]
    assert client.get("/api/v1/credit/records", {"q": name}, **headers).json()[0]["person_name"] == name


def test_the_credit_page_searches_by_post_and_never_puts_the_number_in_a_url(client, world):
    household, handler, _headers = world
    number = household.head.id_number
    client.force_login(handler)
    page = client.get(reverse("credit:list"))
    assert 'method="post"' in page.content.decode() and "csrfmiddlewaretoken" in page.content.decode()
    found = client.post(reverse("credit:list"), {"q": number})
    assert found.status_code == 200  # answered in the POST's own response, no redirect to a URL with the number
    assert household.head.id_masked in found.content.decode()
    assert not [link for link in re.findall(r'href="([^"]*)"', found.content.decode()) if number in link]
    by_name = client.post(reverse("credit:list"), {"q": household.head.name})
    assert by_name.status_code == 302 and number not in by_name["Location"]
    assert household.head.id_masked in client.get(by_name["Location"]).content.decode()
    old_link = client.get(reverse("credit:list"), {"q": number})
    assert old_link.status_code == 302 and number not in old_link["Location"]


def test_no_search_form_of_any_page_sends_by_get_a_field_that_takes_an_id_number():
    """Every GET form of every template: none has a free-text ``q`` that is searched as an ID number."""
    import dajiuzhu

    offenders = []
    for template in Path(dajiuzhu.__file__).parent.glob("*/templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for form in re.findall(r"<form[^>]*method=\"get\"[^>]*>.*?</form>", text, flags=re.S | re.I):
            if re.search(r"name=\"q\"|form\.as_p|form\.q\b", form):
                offenders.append(template.name)
    # programs/item_list.html searches the catalogue by item name or code (no personal data)
    assert sorted(set(offenders) - {"item_list.html"}) == []
