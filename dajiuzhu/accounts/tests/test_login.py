"""Login, logout and the throttling of failed attempts."""

import pytest
from django.urls import reverse

from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_TOWN, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "Right-password-2026"


@pytest.fixture
def user():
    return make_user("township_handler", LINYI_TOWN, username="wang", password=PASSWORD)


def login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_page_is_chinese_by_default(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_login_and_logout_are_audited(client, user):
    response = login(client, "wang", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert AuditEvent.objects.filter(action="auth.login", actor=user).exists()
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_after_five_failures_the_right_password_is_refused_with_the_throttle_message(client, user, settings):
    settings.LANGUAGE_CODE = "en"
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    for _ in range(5):
        response = login(client, "wang", "wrong-password")
        assert response.status_code == 200
        assert "Too many failed attempts" not in response.content.decode()
    response = login(client, "wang", PASSWORD)
    assert response.status_code == 200
    assert "Too many failed attempts. Wait 15 minutes and try again." in response.content.decode()
    assert "_auth_user_id" not in client.session
    failures = AuditEvent.objects.filter(action="auth.login_failed")
    assert failures.count() == 5  # the throttled sixth attempt is refused before anything is written
    assert failures.first().new["username"] == "wang"
    assert "password" not in str(failures.first().new)
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_throttle_message_is_translated(client, user):
    for _ in range(5):
        login(client, "wang", "wrong-password")
    response = login(client, "wang", PASSWORD)
    assert "失败次数过多" in response.content.decode()


def test_a_success_clears_the_username_counter_but_not_the_address_counter(client, user):
    for _ in range(4):
        login(client, "wang", "wrong-password")
    assert login(client, "wang", PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    # From another address, four more failures for the same user do not reach the limit.
    for _ in range(4):
        client.post(reverse("accounts:login"), {"username": "wang", "password": "bad"}, REMOTE_ADDR="10.0.0.9")
    response = client.post(reverse("accounts:login"), {"username": "wang", "password": PASSWORD},
                           REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302
    # The first address still counts its failures (against password spraying over many usernames).
    client.post(reverse("accounts:logout"))
    make_user("township_handler", LINYI_TOWN, username="li", password=PASSWORD)
    login(client, "nobody", "x")
    assert login(client, "li", PASSWORD).status_code == 200


def test_me_endpoint_with_session(client, user):
    client.force_login(user)
    body = client.get("/api/v1/accounts/me").json()
    assert body["username"] == "wang" and body["jurisdiction_prefix"] == "371424100"
    assert "registry.edit" in body["permissions"]


def test_throttled_attempts_write_no_audit_rows(client, user):
    """Security finding 9: an anonymous caller cannot write audit rows (each takes the chain's lock) without limit."""
    for _ in range(30):
        login(client, "wang", "wrong-password")
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 5


def test_unknown_names_are_not_stored_and_their_rows_are_capped(client, settings):
    settings.LOGIN_UNKNOWN_AUDIT_LIMIT = 3
    for n in range(12):  # a different name each time: the per-name throttle never trips
        client.post(reverse("accounts:login"), {"username": f"371424199001011{n:03d}", "password": "x"},
                    REMOTE_ADDR="")
    rows = AuditEvent.objects.filter(action="auth.login_failed").order_by("id")
    assert rows.count() == 3
    assert all("username" not in row.new and row.new["unknown_account"] for row in rows)
    assert "371424199001011" not in str(list(rows.values_list("new", flat=True)))
    from django.core.cache import cache

    cache.delete("login-fail:audit-unknown")  # the window passes
    client.post(reverse("accounts:login"), {"username": "nobody", "password": "x"}, REMOTE_ADDR="")
    last = AuditEvent.objects.filter(action="auth.login_failed").latest("id")
    assert last.new["suppressed"] == 9 and "username" not in last.new
