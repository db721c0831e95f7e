"""The security probe's objects of the social app: an organisation, project, order, visit (with a photo),
call-back, wish and alert of 兴隆镇, built through the app's own services (see dajiuzhu/api/tests/test_probe.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dajiuzhu.core.testing import LINYI_COUNTY, XINGLONG_TOWN, make_user
from dajiuzhu.social.tests.conftest import credit_code

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def _social(world) -> None:
    from dajiuzhu.accounts.departments import ensure_departments
    from dajiuzhu.accounts.models import Department
    from dajiuzhu.alerts.models import Alert
    from dajiuzhu.alerts.services import active_ruleset
    from dajiuzhu.registry.models import Household
    from dajiuzhu.social import charity, quality, services

    ensure_departments()
    admin = make_user("county_admin", LINYI_COUNTY, username="probe-social-admin")
    org = services.organisation_register(
        actor=admin, name="探针乙兴隆社工站", credit_code=credit_code(990001), authority="临邑县民政局",
        region_code=XINGLONG_TOWN, services=["visit", "counselling"], area_codes=[XINGLONG_TOWN],
        contact_name="探针乙联系人", contact_phone="13805349901")
    today = timezone.localdate()
    project = services.project_create(
        actor=admin, name="探针乙探访项目", region_code=XINGLONG_TOWN,
        department=Department.objects.get(code="civil_affairs"), budget=Decimal("5000.00"),
        start=dt.date(today.year - 1, 1, 1), end=dt.date(today.year + 1, 12, 31), organisations=[org],
        prices={"visit": "50.00", "counselling": "120.00"})
    household = Household.objects.get(pk=world.ids["household"])
    coordinator = make_user("social_org", XINGLONG_TOWN, username="probe-xinglong-social-coordinator")
    services.organisation_link_user(actor=admin, organisation=org, user=coordinator, is_coordinator=True)
    order, _ = services.order_create(actor=admin, project=project, organisation=org, household=household,
                                     kind="visit", needs="探针乙的服务需求")
    order = services.order_accept(actor=coordinator, order=order, worker=coordinator)
    start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1) if today.day > 1 else today,
                                                    dt.time(9)))
    visit = services.visit_record(actor=coordinator, order=order, started_at=start,
                                  ended_at=start + dt.timedelta(hours=1), done="探针乙的探访记录",
                                  confirmed_by="探针乙户主", resident_confirmed=True, photos=[(PNG, "image/png")])
    callback = quality.callbacks_draw(actor=admin, project=project, month=visit.month, count=1)[0]
    open_order, _ = services.order_create(actor=admin, project=project, organisation=org, household=household,
                                          kind="counselling", needs="探针乙的待接单")
    alert = Alert.objects.create(household=household, region_code=household.region_code, on=today,
                                 level="orange", ruleset=active_ruleset(), due_on=today)
    handler = make_user("township_handler", XINGLONG_TOWN, username="probe-xinglong-social-handler")
    wish = charity.wish_publish(actor=handler, household=household, title="探针乙的微心愿", value="80")
    world.ids.update({
        "social_organisation": org.pk, "social_project": project.pk, "social_order": open_order.pk,
        "social_visited_order": order.pk, "social_visit": visit.pk, "social_photo": visit.photos.get().pk,
        "social_callback": callback.pk, "social_alert": alert.pk, "social_wish": wish.pk,
        "social_month": f"{visit.month:%Y-%m}", "social_project_action": "settle",
        "social_order_action": "accept", "social_wish_action": "claim",
    })
    world.objects += [org, project, order, open_order, visit, callback, alert, wish]
    world.markers += ["探针乙兴隆社工站", "探针乙探访项目", "探针乙的服务需求", "探针乙的探访记录", "探针乙的待接单",
                      "探针乙联系人"]
    # The wish's title is not a marker: the public wish wall (social:wishes_public) shows titles by design,
    # without the family (wish_publish refuses a title naming it); the household's markers stay checked there.


PROBE_OBJECTS = {"social": _social}

PROBE_PARAMS = {
    "order_id": "social_order", "visit_id": "social_visit", "project_id": "social_project",
    "social:organisation:pk": "social_organisation", "social:project:pk": "social_project",
    "social:settlement_xlsx:pk": "social_project", "social:settlement_xlsx:month": "social_month",
    "social:project_action:pk": "social_project", "social:project_action:action": "social_project_action",
    "social:order:pk": "social_order", "social:visit_new:pk": "social_order",
    "social:order_action:pk": "social_order", "social:order_action:action": "social_order_action",
    "social:visit_photo:pk": "social_visit", "social:visit_photo:photo": "social_photo",
    "social:visit_rate:pk": "social_visit", "social:callback:pk": "social_callback",
    "social:alert_refer:alert_pk": "social_alert",
    "social:wish_action:pk": "social_wish", "social:wish_action:action": "social_wish_action",
}
