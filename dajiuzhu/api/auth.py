from __future__ import annotations

from ninja.security import APIKeyCookie, HttpBearer


def token_lookup(key: str):
    """The unrevoked ``ApiToken`` of ``key`` of an active user, with its user and the user's region loaded.

    Read on every API request: the SQL of ``ApiToken.objects.select_related("user", "user__region")
    .filter(key_hash=…, revoked_at__isnull=True, user__is_active=True).first()`` written once per process
    (``core.sql``, no ORM compilation per request; a test compares both).
    """
    from django.db import connection

    from dajiuzhu.accounts.models import ApiToken, User
    from dajiuzhu.core import sql
    from dajiuzhu.regions.models import Region

    t, u, r = sql.columns(ApiToken, "t"), sql.columns(User, "u"), sql.columns(Region, "r")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {t.sql}, {u.sql}, {r.sql} FROM {quote(ApiToken._meta.db_table)} t"
            f" JOIN {quote(User._meta.db_table)} u ON u.id = t.user_id"
            f" JOIN {quote(Region._meta.db_table)} r ON r.{quote(Region._meta.pk.column)} = u.region_id"
            " WHERE t.key_hash = %s AND t.revoked_at IS NULL AND u.is_active = %s ORDER BY t.id LIMIT 1",
            [ApiToken.hash_key(key), True])
        row = cursor.fetchone()
    if row is None:
        return None
    found = t.build(row)
    found.user = user = u.build(row, t.width)
    user.region = r.build(row, t.width + u.width)
    return found


class TokenAuth(HttpBearer):
    """``Authorization: Bearer djz_…`` — an ``accounts.ApiToken``."""

    def authenticate(self, request, token: str):
        found = token_lookup(token)
        if found is None:
            return None
        found.note_use()  # written at most once a minute per token
        request.user = found.user
        return found.user


class SessionAuth(APIKeyCookie):
    """The page session (the browser's pages call the API too); CSRF is checked for writes."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None
