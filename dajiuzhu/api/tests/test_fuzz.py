"""Fuzzing the API with schemathesis against its own OpenAPI document (security issue 14).

Runs only with ``DAJIUZHU_FUZZ=1`` (``.ci/run`` does, as its own stage after the PostgreSQL suite;
locally: ``DAJIUZHU_FUZZ=1 .venv/bin/python -m pytest -q -p no:cacheprovider -m fuzz``). Every
operation gets ``DAJIUZHU_FUZZ_EXAMPLES`` generated requests (default 25) through the WSGI app,
authenticated as a county administrator (the widest role), and each answer must be:

- no server error (5xx),
- a status code the document declares for the operation,
- of the declared content type, and matching the declared response schema.
"""

import os

import pytest

pytestmark = [pytest.mark.fuzz,
              pytest.mark.skipif(os.environ.get("DAJIUZHU_FUZZ") != "1", reason="set DAJIUZHU_FUZZ=1 to fuzz the API")]

if os.environ.get("DAJIUZHU_FUZZ") == "1":
    import json

    import schemathesis
    from django.core.handlers.wsgi import WSGIHandler
    from hypothesis import HealthCheck, settings
    from ninja.responses import NinjaJSONEncoder
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from dajiuzhu.api.api import api

    schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder)))
    schema.app = WSGIHandler()
    EXAMPLES = int(os.environ.get("DAJIUZHU_FUZZ_EXAMPLES", "25"))
    CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

    @pytest.fixture
    def token(db, settings):
        from dajiuzhu.accounts.models import ApiToken
        from dajiuzhu.core.testing import LINYI_COUNTY, make_household, make_user
        from dajiuzhu.programs.catalogue import ensure_demo_catalogue

        settings.ALLOWED_HOSTS = ["*"]
        ensure_demo_catalogue()
        make_household()
        _token, key = ApiToken.issue(user=make_user("county_admin", LINYI_COUNTY), name="fuzz")
        # The requests go through a bare WSGIHandler inside the test's transaction: like Django's test
        # client, keep request_started/finished from closing the connection (in an atomic block it is
        # "obsolete" and would be closed, so every later request failed with "the connection is closed").
        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections

        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            yield key
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    @schema.parametrize()
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def test_the_api_answers_every_generated_request_as_documented(case, token):
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
