"""API tokens: issued once by a command, stored as a hash, usable as a bearer token until revoked."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.core.testing import LINYI_COUNTY, make_user

pytestmark = pytest.mark.django_db


def test_issue_token_for_an_unknown_or_inactive_user_fails():
    with pytest.raises(CommandError):
        call_command("issue_token", "nobody", "x")
    user = make_user("department", LINYI_COUNTY)
    user.is_active = False
    user.save()
    with pytest.raises(CommandError):
        call_command("issue_token", user.username, "x")
    assert not ApiToken.objects.exists()


def test_a_department_token_works_records_its_use_and_stops_when_revoked(client, capsys):
    user = make_user("department", LINYI_COUNTY)
    call_command("issue_token", user.username, "医保 nightly")
    key = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(user=user)
    assert token.last_used_at is None and token.key_prefix == key[:10]
    response = client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "department" and body["department"] == "civil_affairs"
    assert "registry.view" not in body["permissions"]
    token.refresh_from_db()
    assert token.last_used_at is not None
    token.revoked_at = timezone.now()
    token.save()
    assert client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    assert client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION="Bearer djz_forged").status_code == 401


def test_last_used_at_is_written_at_most_once_a_minute(client, capsys):
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = make_user("department", LINYI_COUNTY)
    call_command("issue_token", user.username, "window")
    key = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(user=user)

    def me():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
        return sum(1 for q in queries.captured_queries if q["sql"].startswith('UPDATE "accounts_apitoken"'))

    assert me() == 1  # first use
    token.refresh_from_db()
    first = token.last_used_at
    assert me() == 0 and me() == 0  # within the minute: not written again
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(seconds=61))
    assert me() == 1
    token.refresh_from_db()
    assert token.last_used_at > first
