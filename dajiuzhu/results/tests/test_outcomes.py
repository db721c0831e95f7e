"""Outcomes: the development index and tiers of assisted households before and after."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, LINYI_VILLAGE, make_household, make_user
from dajiuzhu.results.models import Source
from dajiuzhu.results.selectors import outcomes
from dajiuzhu.results.services import RecordInput, assistance_record_create

indices_models = pytest.importorskip("dajiuzhu.indices.models")

pytestmark = pytest.mark.django_db


def test_outcomes_show_development_index_and_tiers_before_and_after_assistance(client):
    from dajiuzhu.dashboards.services import dashboards_refresh

    IndexModel, IndexScore, RosterEntry = (indices_models.IndexModel, indices_models.IndexScore,
                                           indices_models.RosterEntry)
    hardship = IndexModel.objects.create(kind="hardship", version=99, status="retired", config={})
    development = IndexModel.objects.create(kind="development", version=99, status="retired", config={})
    admin = make_user("county_admin", LINYI_COUNTY)
    household = make_household(LINYI_VILLAGE)
    today = dt.date.today()
    given = today - dt.timedelta(days=90)
    assistance_record_create(actor=admin, household=household, source=Source.MANUAL, data=RecordInput(
        item_code="dibao", amount=Decimal("720.00"), given_on=given))
    for on, value, risk in ((given - dt.timedelta(days=30), 0.31, "illness"), (today - dt.timedelta(days=1), 0.47, "")):
        IndexScore.objects.create(household=household, region_code=household.region_code, on=on,
                                  hardship_model=hardship, hardship=1 - value, development_model=development,
                                  development=value, risk_types=risk)
    RosterEntry.objects.create(household=household, region_code=household.region_code, tier="dibao",
                               since=given - dt.timedelta(days=10), until=today - dt.timedelta(days=5))
    RosterEntry.objects.create(household=household, region_code=household.region_code, tier="near_poor",
                               since=today - dt.timedelta(days=5))
    handler = make_user("township_handler", LINYI_TOWN)
    [row] = outcomes(actor=handler)
    assert (row["development_before"], row["development_now"]) == (0.31, 0.47)
    assert round(row["development_change"], 2) == 0.16
    assert (row["tiers_before"], row["tiers_now"]) == (["dibao"], ["near_poor"])
    assert outcomes(actor=make_user("township_handler", "371424105000")) == []
    client.force_login(handler)
    page = client.get(reverse("results:outcomes"))
    assert page.status_code == 200 and page.context["improved"] == 1
    dashboards_refresh()
    from dajiuzhu.dashboards.selectors import dashboard_data

    data = dashboard_data(actor=handler, code=LINYI_TOWN)
    assert {b["key"]: b["value"] for b in data["index_development"]} == {"0.4–0.6": 1.0}
    assert {r["key"] for r in data["roster_tiers"]} == {"near_poor"}
