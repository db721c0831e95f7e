"""The staff page of the exchange: county administrators of the client's county only; suspension at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dajiuzhu.accounts.departments import ensure_departments
from dajiuzhu.accounts.models import Department
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, make_user
from dajiuzhu.exchange.models import AccessToken, Callback, CallbackStatus, Client
from dajiuzhu.exchange.services import client_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client():
    ensure_departments()
    admin = make_user("county_admin", LINYI_COUNTY)
    client, _secret = client_register(actor=admin, name="医保局系统", department=Department.objects.get(
        code="medical_insurance"), region_prefix="371424", purpose="参保资助", scopes=["registry.search"],
        fields=["name", "roster"])
    return client


@pytest.mark.parametrize("who, status", [
    ("anonymous", 302), ("wrong_region", 404), ("wrong_role", 403), ("allowed", 302)])
def test_suspending_a_client(client, api_client, who, status):
    users = {"wrong_region": lambda: make_user("county_admin", "371425000000"),
             "wrong_role": lambda: make_user("township_handler", LINYI_TOWN),
             "allowed": lambda: make_user("county_admin", LINYI_COUNTY)}
    if who != "anonymous":
        client.force_login(users[who]())
    AccessToken.objects.create(client=api_client, token_hash="x" * 64, scopes=["registry.search"],
                               expires_at="2099-01-01T00:00:00Z")
    response = client.post(reverse("exchange:suspend", args=[api_client.pk]), {"reason": "密钥泄露"})
    assert response.status_code == status
    api_client.refresh_from_db()
    if who == "allowed":
        assert not api_client.is_active and api_client.suspended_reason == "密钥泄露"
        assert AccessToken.objects.get().revoked
        assert AuditEvent.objects.filter(action="exchange.client_suspend").exists()
    else:
        assert api_client.is_active and not AccessToken.objects.get().revoked
        if who == "anonymous":
            assert "/login" in response["Location"]


def test_the_page_lists_clients_with_names_and_dead_letters_and_resends(client, api_client):
    Callback.objects.create(client=api_client, action="notify", url="http://example.org/cb", body={},
                            message_id="m1", status=CallbackStatus.DEAD, attempts=8, last_error="HTTP 503")
    client.force_login(make_user("county_admin", LINYI_COUNTY))
    page = client.get(reverse("exchange:clients"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert page.status_code == 200 and "医保局系统" in text and "临邑县" in text and "HTTP 503" in text
    assert "救助类别" in text  # the field set in words, not codes
    response = client.post(reverse("exchange:resend", args=[Callback.objects.get().pk]))
    assert response.status_code == 302
    assert Callback.objects.get().status in (CallbackStatus.PENDING, CallbackStatus.DEAD, CallbackStatus.DELIVERED)
    assert AuditEvent.objects.filter(action="exchange.callback_resend").exists()


def test_a_suspension_needs_a_reason(client, api_client):
    client.force_login(make_user("county_admin", LINYI_COUNTY))
    client.post(reverse("exchange:suspend", args=[api_client.pk]), {"reason": " "})
    assert Client.objects.get().is_active


def test_the_command_registers_and_suspends(api_client):
    from io import StringIO

    from django.core.management import call_command

    make_user("county_admin", LINYI_COUNTY, username="cmd-admin")
    out = StringIO()
    call_command("dci_client", "register", "--as", "cmd-admin", "--name", "教育局系统", "--department", "education",
                 "--region", "371424", "--purpose", "学生资助", "--fields", "name,roster", stdout=out)
    assert "client_secret:" in out.getvalue()
    created = Client.objects.get(name="教育局系统")
    call_command("dci_client", "suspend", "--as", "cmd-admin", "--client-id", created.client_id, "--reason", "停用",
                 stdout=out)
    created.refresh_from_db()
    assert not created.is_active


def test_catalogue_is_complete():
    from pathlib import Path

    import polib

    po = polib.pofile(str(Path(__file__).resolve().parents[1] / "locale/zh_Hans/LC_MESSAGES/django.po"))
    assert po.percent_translated() == 100
