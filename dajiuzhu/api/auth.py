from __future__ import annotations

from ninja.security import APIKeyCookie, HttpBearer


class TokenAuth(HttpBearer):
    """``Authorization: Bearer djz_…`` — an ``accounts.ApiToken``."""

    def authenticate(self, request, token: str):
        from dajiuzhu.accounts.models import ApiToken

        found = (
            ApiToken.objects.select_related("user", "user__region")
            .filter(key_hash=ApiToken.hash_key(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
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
