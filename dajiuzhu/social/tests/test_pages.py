import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dajiuzhu.core.audit import AuditEvent
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, LINYI_VILLAGE, make_household, make_user, member_input
from dajiuzhu.social import services
from dajiuzhu.social.models import Order, Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(project, org, admin):
    household = make_household(LINYI_VILLAGE, members=[member_input("孙大娘", age=70, sex="F", phone="13912345678")])
    created, _ = services.order_create(actor=admin, project=project, organisation=org, household=household,
                                       kind="visit", needs="助浴")
    return created


@pytest.mark.parametrize("name", ["social:overview", "social:organisations", "social:projects", "social:orders",
                                  "social:volunteers", "social:wishes", "social:order_new"])
def test_staff_pages_render(client, admin, order, name):
    client.force_login(admin)
    response = client.get(reverse(name))
    assert response.status_code == 200


def test_templates_have_no_inline_script_style_or_handlers():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in [*root.glob("social/templates/**/*.html"), *root.glob("employment/templates/**/*.html")]:
        text = path.read_text()
        assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=", text), path


def test_detail_pages_and_exports_render_for_the_county(client, admin, order, project):
    client.force_login(admin)
    for url in (reverse("social:order", args=[order.pk]), reverse("social:project", args=[project.pk]),
                reverse("social:organisation", args=[order.organisation_id]), reverse("social:overview") + "?format=xlsx"):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("social:wishes_public")).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "wrong_region", "wrong_role", "other_org"])
def test_an_order_outside_reach_is_not_found_and_unchanged(client, order, org2, admin, who):
    from dajiuzhu.social.services import organisation_link_user

    if who == "wrong_region":
        client.force_login(make_user("township_handler", "371424105000"))
    elif who == "wrong_role":
        client.force_login(make_user("department", LINYI_COUNTY))
    elif who == "other_org":
        other = make_user("social_org", LINYI_COUNTY)
        organisation_link_user(actor=admin, organisation=org2, user=other, is_coordinator=True)
        client.force_login(other)
    detail = client.get(reverse("social:order", args=[order.pk]))
    assert detail.status_code in (302, 403, 404)
    if who != "anonymous":
        assert detail.status_code in (403, 404)
    post = client.post(reverse("social:order_action", args=[order.pk, "cancel"]), {"reason": "x"})
    assert post.status_code in (302, 403, 404)
    if who != "anonymous":
        assert post.status_code in (403, 404)
    order.refresh_from_db()
    assert order.status == "assigned"


def test_the_township_of_the_household_may_cancel(client, order):
    client.force_login(make_user("township_handler", LINYI_TOWN))
    response = client.post(reverse("social:order_action", args=[order.pk, "cancel"]), {"reason": "重复派单"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_the_worker_phone_page_records_a_visit_and_the_contact_view_is_audited(client, order, coordinator, worker):
    client.force_login(coordinator)
    assert client.post(reverse("social:order_action", args=[order.pk, "accept"]),
                       {"worker": worker.pk}).status_code == 302
    client.force_login(worker)
    page = client.get(reverse("social:order", args=[order.pk]))
    assert "孙大娘" not in page.content.decode()  # not shown until asked for
    page = client.get(reverse("social:order", args=[order.pk]) + "?show=contact")
    text = page.content.decode()
    assert "孙大娘" in text and "13912345678" in text
    assert "收入" not in text and order.household.head.id_masked not in text
    assert AuditEvent.objects.filter(action="social.personal_data_view", actor=worker).count() == 1
    day = timezone.localdate() - dt.timedelta(days=1)
    form = {"started_at": f"{day:%Y-%m-%d}T09:00", "ended_at": f"{day:%Y-%m-%d}T10:00", "done": "助浴、理发",
            "confirmed_by": "孙大娘", "resident_confirmed": "on"}
    refused = client.post(reverse("social:visit_new", args=[order.pk]), {**form, "resident_confirmed": ""})
    assert refused.status_code == 200 and not Visit.objects.exists()
    assert client.post(reverse("social:visit_new", args=[order.pk]), form).status_code == 302
    assert Order.objects.get(pk=order.pk).status == "done"


def test_an_organisation_user_has_no_registry_and_no_other_pages(client, worker):
    client.force_login(worker)
    assert client.get(reverse("social:orders")).status_code == 200
    assert client.get(reverse("social:volunteers")).status_code == 404
    assert client.get(reverse("registry:household_search")).status_code in (403, 404)


def test_a_township_sends_an_order_by_hand_for_its_own_households_only(client, project, org, family):
    client.force_login(make_user("township_handler", LINYI_TOWN))
    page = client.get(reverse("social:order_new"))
    assert project.name in page.content.decode()
    form = {"household_number": family.number, "project": project.pk, "organisation": org.pk, "kind": "visit",
            "quantity": "1", "needs": "陪同就医"}
    assert client.post(reverse("social:order_new"), form).status_code == 302
    assert Order.objects.get().household == family
    client.force_login(make_user("township_handler", "371424105000"))
    refused = client.post(reverse("social:order_new"), form)
    assert refused.status_code == 200 and Order.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_audited_contact_view_works_outside_a_test_transaction(order, coordinator):
    """Pages run without ATOMIC_REQUESTS: the read's audit event opens its own transaction."""
    from dajiuzhu.social.selectors import order_person_view

    assert order_person_view(actor=coordinator, order=order)["name"] == "孙大娘"
    assert AuditEvent.objects.filter(action="social.personal_data_view").count() == 1
