"""Pages and API of alerts and indices: jurisdiction (another township is 404, nothing changes), roles."""

import pytest
from django.urls import reverse

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.alerts.models import Alert, FollowUp
from dajiuzhu.alerts.scan import alerts_scan
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, LINYI_VILLAGE, XINGLONG_TOWN, make_user
from dajiuzhu.indices.jobs import indices_fan_out
from dajiuzhu.indices.services import index_scores_compute

from . import scenario as sc

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    worker = make_user("village_worker", LINYI_VILLAGE)
    s = sc.build()
    sc.flood(s)
    index_scores_compute(on=s.today, region_prefix="371424")
    alerts_scan(on=s.today, region_prefix="371424")
    return s, worker


def bearer(user):
    _token, key = ApiToken.issue(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_worker_inbox_lists_own_alerts(client, world):
    s, worker = world
    client.force_login(worker)
    response = client.get(reverse("alerts:inbox"))
    assert response.status_code == 200
    assert s.illness.number in response.content.decode()
    assert s.disaster.number not in response.content.decode()


def test_alert_of_another_township_is_404_and_follow_up_changes_nothing(client, world):
    s, _worker = world
    other = make_user("township_handler", XINGLONG_TOWN)
    alert = Alert.objects.get(household=s.illness)
    client.force_login(other)
    assert client.get(reverse("alerts:detail", args=[alert.pk])).status_code == 404
    response = client.post(reverse("alerts:detail", args=[alert.pk]),
                           {"visited_on": s.today.isoformat(), "outcome": "no_need", "reason": "x"})
    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.status == "open" and not FollowUp.objects.exists()


def test_follow_up_form_closes_the_alert(client, world):
    s, worker = world
    alert = Alert.objects.get(household=s.death)
    client.force_login(worker)
    page = client.get(reverse("alerts:detail", args=[alert.pk]))
    assert page.status_code == 200 and "died" in page.content.decode() or "去世" in page.content.decode()
    response = client.post(reverse("alerts:detail", args=[alert.pk]),
                           {"visited_on": s.today.isoformat(), "outcome": "referred", "organisation": "县慈善总会"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "closed" and alert.follow_up.organisation == "县慈善总会"


def test_county_pages_render(client, world):
    s, _worker = world
    admin = make_user("county_admin", LINYI_COUNTY)
    client.force_login(admin)
    for name in ("alerts:overview", "alerts:disasters", "alerts:rules", "indices:roster", "indices:aggregates",
                 "indices:models"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("indices:household", args=[s.illness.pk])).status_code == 200
    assert client.get(reverse("indices:model_edit", args=["hardship"])).status_code == 200


def test_worker_may_not_open_the_rule_editor_or_other_townships_household_indices(client, world):
    s, worker = world
    client.force_login(worker)
    assert client.get(reverse("alerts:rules")).status_code == 403
    assert client.get(reverse("indices:models")).status_code == 200  # indices.view: the list, without editing
    assert client.get(reverse("indices:household", args=[s.disaster.pk])).status_code == 404
    assert client.get(reverse("indices:household", args=[s.illness.pk])).status_code == 200


def test_model_editor_refuses_bad_weights_and_changes_nothing(client, world):
    import json

    from dajiuzhu.indices.config import default_config
    from dajiuzhu.indices.models import IndexModel

    admin = make_user("county_admin", LINYI_COUNTY)
    client.force_login(admin)
    config = default_config("hardship")
    config["indicators"][0]["weight"] = 0.5
    response = client.post(reverse("indices:model_edit", args=["hardship"]), {"config": json.dumps(config)})
    draft = IndexModel.objects.get(kind="hardship", status="draft")
    assert response.status_code == 302
    preview = client.get(reverse("indices:model_preview", args=[draft.pk]))
    assert "1.25" in preview.content.decode()
    client.post(reverse("indices:model_activate", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_model_preview_counts_changes_by_township(client, world):
    from dajiuzhu.indices.config import default_config
    from dajiuzhu.indices.selectors import model_preview
    from dajiuzhu.indices.services import index_model_draft_save

    admin = make_user("county_admin", LINYI_COUNTY)
    config = default_config("hardship")
    config["k"] = 0.01
    config["bands"] = [{"code": "all", "min": 0, "max": 1}]
    draft = index_model_draft_save(actor=admin, kind="hardship", config=config)
    preview = model_preview(actor=admin, model=draft)
    assert preview["total"]["households"] == 6
    assert {row["prefix"] for row in preview["rows"]} == {LINYI_TOWN[:9], XINGLONG_TOWN[:9]}
    assert preview["total"]["changed"] == 6


def test_api_alerts_scoped_and_follow_up(client, world):
    s, worker = world
    headers = bearer(worker)
    listed = client.get("/api/v1/alerts/alerts?mine=true", **headers).json()
    assert {a["household_id"] for a in listed["items"]} == {s.illness.pk, s.death.pk}
    other = Alert.objects.get(household=s.disaster)
    assert client.get(f"/api/v1/alerts/alerts/{other.pk}", **headers).status_code == 404
    alert = Alert.objects.get(household=s.illness)
    bad = client.post(f"/api/v1/alerts/alerts/{alert.pk}/follow-up", {"visited_on": s.today.isoformat(),
                      "outcome": "no_need"}, content_type="application/json", **headers)
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"
    ok = client.post(f"/api/v1/alerts/alerts/{alert.pk}/follow-up",
                     {"visited_on": s.today.isoformat(), "outcome": "assisted", "case_id": sc.make_case(s.illness)},
                     content_type="application/json", **headers)
    assert ok.status_code == 201
    detail = client.get(f"/api/v1/alerts/alerts/{alert.pk}", **headers).json()
    assert detail["status"] == "closed" and detail["follow_up"]["outcome"] == "assisted"


def test_api_scores_roster_and_aggregates(client, world):
    s, worker = world
    indices_fan_out(on=s.today, region_prefix="371424", backend="inline")
    headers = bearer(worker)
    scores = client.get(f"/api/v1/indices/households/{s.illness.pk}/scores", **headers)
    assert scores.status_code == 200 and scores.json()[0]["explanation"]
    assert client.get(f"/api/v1/indices/households/{s.disaster.pk}/scores", **headers).status_code == 404
    assert client.get("/api/v1/indices/roster", **headers).status_code == 200
    aggregates = client.get("/api/v1/indices/aggregates?level=12", **headers).json()
    assert all(row["prefix"].startswith(LINYI_VILLAGE) for row in aggregates["rows"])
    assert client.get("/api/v1/indices/aggregates?level=5", **headers).status_code == 422
    department = make_user("department")
    assert client.get("/api/v1/indices/roster", **bearer(department)).status_code == 403


def test_run_and_scan_buttons_start_jobs_for_the_actors_area(client, world):
    from dajiuzhu.core.models import Job

    admin = make_user("county_admin", LINYI_COUNTY)
    client.force_login(admin)
    assert client.post(reverse("indices:run"), {"on": world[0].today.isoformat()}).status_code == 302
    assert client.post(reverse("alerts:scan")).status_code == 302
    assert set(Job.objects.values_list("kind", "region_code")) == {("indices.compute", "371424"),
                                                                   ("alerts.scan", "371424")}
    worker = world[1]
    client.force_login(worker)
    assert client.post(reverse("indices:run")).status_code == 403
    assert client.post(reverse("alerts:scan")).status_code == 403


def test_disaster_form_records_an_event_and_refuses_an_unknown_area(client, world):
    from dajiuzhu.alerts.models import DisasterEvent

    admin = make_user("county_admin", LINYI_COUNTY)
    client.force_login(admin)
    before = DisasterEvent.objects.count()
    bad = client.post(reverse("alerts:disasters"), {"region_code": "371424999000", "kind": "hail",
                                                    "occurred_on": world[0].today.isoformat()})
    assert bad.status_code == 200 and DisasterEvent.objects.count() == before
    ok = client.post(reverse("alerts:disasters"), {"region_code": LINYI_TOWN, "kind": "hail",
                                                   "occurred_on": world[0].today.isoformat()})
    assert ok.status_code == 302 and DisasterEvent.objects.count() == before + 1
