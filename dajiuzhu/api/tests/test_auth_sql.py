"""The bearer token's lookup (every API request) is precompiled SQL: it finds what the ORM query finds."""

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.api.auth import token_lookup
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, make_user

pytestmark = pytest.mark.django_db


def _orm(key):
    return (ApiToken.objects.select_related("user", "user__region")
            .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True).first())


def test_the_token_lookup_gives_the_token_its_user_and_region_as_the_orm_query():
    window, department = make_user("township_handler", LINYI_TOWN), make_user("department", LINYI_COUNTY)
    keys = [ApiToken.issue(user=user, name="t")[1] for user in (window, department, window)]
    revoked = ApiToken.issue(user=department, name="old")
    ApiToken.objects.filter(pk=revoked[0].pk).update(revoked_at=timezone.now())
    inactive_user = make_user("township_handler", LINYI_TOWN)
    inactive = ApiToken.issue(user=inactive_user, name="t")[1]
    inactive_user.is_active = False
    inactive_user.save()
    for key in keys:
        with CaptureQueriesContext(connection) as ctx:
            found = token_lookup(key)
            assert found.user.jurisdiction_prefix and found.user.region.name  # loaded with it: no more reads
        assert len(ctx.captured_queries) == 1
        expected = _orm(key)
        assert model_to_dict(found) == model_to_dict(expected)
        assert model_to_dict(found.user) == model_to_dict(expected.user)
        assert model_to_dict(found.user.region) == model_to_dict(expected.user.region)
        assert found.user.permission_codes == expected.user.permission_codes
    for key in (revoked[1], inactive, "djz_forged"):
        assert token_lookup(key) is None and _orm(key) is None
