"""Security finding 8: bad parameters are a 422 with the problem body, never a server error.

Negative offsets and limits, integers beyond the database's range (path ids, filters, pages) and
``null`` for a field that cannot be empty all used to reach the ORM and end as a 500. The bounds
come from one place (``dajiuzhu.api.bounds``) for every operation of the API.
"""

import pytest

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.api.api import api
from dajiuzhu.api.bounds import INT_MAX, operations
from dajiuzhu.core.testing import LINYI_COUNTY, make_user
from dajiuzhu.programs.catalogue import ensure_demo_catalogue

pytestmark = pytest.mark.django_db
HUGE = (2**31, 2**63, 2**70, -(2**63) - 1)


@pytest.fixture
def headers():
    _token, key = ApiToken.issue(user=make_user("county_admin", LINYI_COUNTY), name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _problem(response, status=422):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize("path", ["/api/v1/cases/cases", "/api/v1/cases/worklist", "/api/v1/checks/deliveries",
                                  "/api/v1/credit/records", "/api/v1/results/records"])
@pytest.mark.parametrize("params", [{"offset": -1}, {"limit": -5}, {"offset": 2**64}, {"limit": 2**64}])
def test_negative_or_huge_offset_and_limit_are_422(client, headers, path, params):
    body = _problem(client.get(path, params, **headers))
    assert body["title"] == "invalid"


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("path", [
    "/api/v1/registry/households/{n}", "/api/v1/alerts/alerts/{n}", "/api/v1/credit/records/{n}",
    "/api/v1/checks/deliveries/{n}", "/api/v1/checks/reports/{n}", "/api/v1/cases/cases/{n}",
    "/api/v1/results/batches/{n}", "/api/v1/indices/households/{n}/scores",
    "/api/v1/results/households/{n}/history",
])
def test_path_ids_beyond_the_database_range_are_422(client, headers, path, value):
    _problem(client.get(path.format(n=value), **headers))


@pytest.mark.parametrize("path,param", [
    ("/api/v1/registry/households", "page"), ("/api/v1/alerts/alerts", "page"), ("/api/v1/core/jobs", "page"),
    ("/api/v1/indices/roster", "page"), ("/api/v1/results/records", "household"),
    ("/api/v1/programs/standards", "year"), ("/api/v1/programs/screening-results", "page"),
])
@pytest.mark.parametrize("value", HUGE)
def test_filters_and_pages_beyond_the_database_range_are_422(client, headers, path, param, value):
    _problem(client.get(path, {param: value}, **headers))


def test_a_path_id_inside_the_range_but_unknown_is_404(client, headers):
    _problem(client.get(f"/api/v1/registry/households/{INT_MAX}", **headers), status=404)


@pytest.mark.parametrize("field", ["name", "category", "department", "kind", "periodic", "eligibility", "benefit",
                                   "documents", "parameters", "active", "tier", "excludes"])
def test_null_for_a_field_that_cannot_be_empty_is_422_on_item_create_and_update(client, headers, field):
    ensure_demo_catalogue()
    body = {"code": "fuzz_item", "name": "测试", "category": "basic_living", "department": "civil_affairs",
            "eligibility": "true", field: None}
    problem = _problem(client.post("/api/v1/programs/items", body, content_type="application/json", **headers))
    assert any(field in error["loc"] for error in problem["errors"])
    _problem(client.patch("/api/v1/programs/items/dibao", {field: None}, content_type="application/json", **headers))


def test_household_ceiling_may_still_be_cleared_with_null(client, headers):
    ensure_demo_catalogue()
    response = client.patch("/api/v1/programs/items/dibao", {"household_ceiling": None}, content_type="application/json",
                            **headers)
    assert response.status_code == 200 and response.json()["household_ceiling"] is None


def test_every_integer_input_of_every_operation_is_bounded():
    """A new endpoint is covered without declaring anything: its integer inputs carry the bounds."""
    document = api.get_openapi_schema()
    unbounded = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                for schema in parameter["schema"].get("anyOf", [parameter["schema"]]):
                    if schema.get("type") == "integer" and ("maximum" not in schema or "minimum" not in schema):
                        unbounded.append(f"{method.upper()} {path} {parameter['name']}")
    assert unbounded == []
    assert sum(1 for _ in operations(api)) > 50


def test_a_body_that_is_not_json_is_a_documented_400_problem(client, headers):
    response = client.post("/api/v1/programs/screenings", b"\xff\x00{", content_type="application/json", **headers)
    assert _problem(response, status=400)["title"] == "bad_request"
    assert "400" in {str(k) for k in api.get_openapi_schema()["paths"]["/api/v1/programs/screenings"]["post"]["responses"]}
