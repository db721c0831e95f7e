import datetime as dt

import pytest
from django.utils import timezone

from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_VILLAGE, make_household, make_user
from dajiuzhu.social import services
from dajiuzhu.social.models import Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(project, org, admin, coordinator, worker):
    created, _ = services.order_create(actor=admin, project=project, organisation=org,
                                       household=make_household(LINYI_VILLAGE), kind="visit")
    return services.order_accept(actor=coordinator, order=created, worker=worker)


def test_an_organisation_lists_its_orders_and_records_a_visit(client, order, worker):
    client.force_login(worker)
    listed = client.get("/api/v1/social/orders").json()
    assert [o["id"] for o in listed["items"]] == [order.pk]
    assert "household" not in listed["items"][0]
    day = timezone.localdate() - dt.timedelta(days=1)
    body = {"started_at": f"{day}T09:00:00+08:00", "ended_at": f"{day}T10:00:00+08:00", "done": "探访",
            "confirmed_by": "本人", "resident_confirmed": False}
    refused = client.post(f"/api/v1/social/orders/{order.pk}/visits", body, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["field"] == "confirmed_by"
    body["resident_confirmed"] = True
    created = client.post(f"/api/v1/social/orders/{order.pk}/visits", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["record_id"]


@pytest.mark.parametrize("who", ["anonymous", "wrong_region", "wrong_role"])
def test_an_order_outside_reach_answers_401_403_or_404(client, order, who):
    if who == "wrong_region":
        client.force_login(make_user("county_admin", "371425000000"))
    elif who == "wrong_role":
        client.force_login(make_user("department", LINYI_COUNTY))
    response = client.get(f"/api/v1/social/orders/{order.pk}")
    assert response.status_code in {"anonymous": (401,), "wrong_region": (404,), "wrong_role": (403,)}[who]
    day = timezone.localdate() - dt.timedelta(days=1)
    posted = client.post(f"/api/v1/social/orders/{order.pk}/visits", {
        "started_at": f"{day}T09:00:00+08:00", "ended_at": f"{day}T10:00:00+08:00", "done": "x", "confirmed_by": "y",
        "resident_confirmed": True}, content_type="application/json")
    assert posted.status_code in (401, 403, 404)
    assert not Visit.objects.exists()
