"""Kernel pages: home by role, the supervisor's audit browser, the jobs pages and API."""

import pytest
from django.db import transaction
from django.urls import reverse

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.audit_guard import audit_maintenance
from dajiuzhu.core.models import AuditEvent, Job
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    LINYI_VILLAGE,
    XINGLONG_TOWN,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
)

pytestmark = pytest.mark.django_db


def test_home_shows_cards_of_the_role_and_counts(client):
    make_household(LINYI_VILLAGE)
    make_household(XINGLONG_VILLAGE)
    user = make_user("township_handler", LINYI_TOWN)
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    registry = reverse("registry:household_search")
    assert [c["value"] for c in response.context["counts"] if c["url"] == registry] == [1, 2]  # households, people
    urls = {item["url"] for item in response.context["nav_items"]}
    assert reverse("registry:household_create") in urls and reverse("audit_list") not in urls
    assert "临邑镇" in response.content.decode()


def test_home_of_a_department_user_has_no_registry(client):
    client.force_login(make_user("department", LINYI_COUNTY))
    response = client.get(reverse("home"))
    assert response.status_code == 200 and response.context["counts"] == []
    assert reverse("registry:household_search") not in {item["url"] for item in response.context["nav_items"]}


def test_home_needs_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def _event(action, region_code, **kw):
    with transaction.atomic():
        return audit_record(actor=None, action=action, object_type="test.thing", object_id="1",
                            region_code=region_code, **kw)


def test_audit_browser_is_scoped_to_the_supervisors_region_and_filters(client, django_assert_num_queries):
    supervisor = make_user("supervisor", LINYI_TOWN)
    client.force_login(supervisor)
    mine = _event("thing.make", LINYI_VILLAGE)
    _event("thing.break", LINYI_VILLAGE)
    theirs = _event("thing.make", XINGLONG_VILLAGE)
    url = reverse("audit_list")
    client.get(url)
    with django_assert_num_queries(6):  # + the last verification of the chain
        response = client.get(url, {"action": "thing.make"})
    ids = [e.pk for e in response.context["page"].object_list]
    assert ids == [mine.pk]
    assert client.get(reverse("audit_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("audit_detail", args=[mine.pk])).status_code == 200
    response = client.get(url, {"object": "test.thing:1", "region": LINYI_VILLAGE})
    assert len(response.context["page"].object_list) == 2


def test_audit_browser_is_for_supervisors_only(client):
    client.force_login(make_user("county_admin", LINYI_COUNTY))
    assert client.get(reverse("audit_list")).status_code == 403
    assert client.post(reverse("audit_verify")).status_code == 403


def test_verify_button_runs_a_job_and_the_page_reports_an_intact_and_a_broken_chain(
        client, django_capture_on_commit_callbacks):
    from dajiuzhu.core.jobs import AUDIT_VERIFY

    supervisor = make_user("supervisor", LINYI_COUNTY)
    client.force_login(supervisor)
    _event("a", LINYI_VILLAGE)
    victim = _event("b", LINYI_VILLAGE)
    _event("c", LINYI_VILLAGE)
    assert client.get(reverse("audit_list")).context["chain"] is None  # never verified yet
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("audit_verify"))
    response = client.get(reverse("audit_list"))
    job = Job.objects.get(kind=AUDIT_VERIFY)
    assert job.status == Job.Status.DONE and job.created_by == supervisor
    assert {key: job.result[key] for key in ("intact", "checked", "broken_at", "reason")} == {
        "intact": True, "checked": AuditEvent.objects.count(), "broken_at": None, "reason": ""}
    assert job.done == job.total == AuditEvent.objects.count()
    chain = response.context["chain"]
    assert chain["ok"] and "完整" in chain["text"]
    assert "完整" in response.content.decode()
    with audit_maintenance():  # the attacker owns the database
        AuditEvent.objects.filter(pk=victim.pk).update(new={"tampered": True})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("audit_verify"))
    chain = client.get(reverse("audit_list")).context["chain"]
    assert not chain["ok"] and str(victim.pk) in chain["text"]
    assert Job.objects.filter(kind=AUDIT_VERIFY).count() == 2


def test_a_second_verification_is_not_started_while_one_runs(client):
    from dajiuzhu.core.jobs import AUDIT_VERIFY

    client.force_login(make_user("supervisor", LINYI_COUNTY))
    Job.objects.create(kind=AUDIT_VERIFY, status=Job.Status.RUNNING)
    response = client.post(reverse("audit_verify"), follow=True)
    assert Job.objects.filter(kind=AUDIT_VERIFY).count() == 1
    assert "正在进行" in response.content.decode()


def test_the_nightly_task_verifies_the_chain(django_capture_on_commit_callbacks):
    from django.conf import settings

    from dajiuzhu.core.jobs import AUDIT_VERIFY
    from dajiuzhu.core.tasks import verify_audit_chain

    assert settings.CELERY_BEAT_SCHEDULE["core-audit-verify-daily"]["task"] == verify_audit_chain.name
    _event("a", LINYI_VILLAGE)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = verify_audit_chain()
    job = Job.objects.get(pk=job_id)
    assert job.kind == AUDIT_VERIFY and job.status == Job.Status.DONE and job.result["intact"] is True


def test_audit_browser_is_read_only(client):
    client.force_login(make_user("supervisor", LINYI_COUNTY))
    event = _event("a", LINYI_VILLAGE)
    assert client.post(reverse("audit_detail", args=[event.pk])).status_code in (200, 405)
    assert AuditEvent.objects.get(pk=event.pk).hash == event.hash


def test_jobs_pages_show_only_the_users_own_jobs(client, django_assert_num_queries):
    user = make_user("township_handler", LINYI_TOWN)
    other = make_user("township_handler", XINGLONG_TOWN)
    mine = Job.objects.create(kind="registry.import", created_by=user, total=200, done=50)
    theirs = Job.objects.create(kind="registry.import", created_by=other)
    client.force_login(user)
    client.get(reverse("job_list"))
    with django_assert_num_queries(5):
        response = client.get(reverse("job_list"))
    assert [j.pk for j in response.context["page"].object_list] == [mine.pk]
    response = client.get(reverse("job_detail", args=[mine.pk]))
    assert response.status_code == 200 and "25%" in response.content.decode()
    assert 'hx-trigger="every 2s"' in response.content.decode()
    assert client.get(reverse("job_detail", args=[theirs.pk])).status_code == 404
    body = client.get(f"/api/v1/core/jobs/{mine.pk}").json()
    assert body["percent"] == 25 and body["status"] == "queued"
    assert client.get(f"/api/v1/core/jobs/{theirs.pk}").status_code == 404
    assert [j["id"] for j in client.get("/api/v1/core/jobs").json()["items"]] == [str(mine.pk)]


def test_refusals_render_the_platform_pages_with_the_reason(client):
    client.force_login(make_user("township_handler", LINYI_TOWN))
    response = client.get(reverse("audit_list"))
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    other = make_household(XINGLONG_VILLAGE)
    response = client.get(reverse("registry:household_detail", args=[other.pk]))
    assert response.status_code == 404 and "404.html" in [t.name for t in response.templates]
    assert other.number not in response.content.decode()
