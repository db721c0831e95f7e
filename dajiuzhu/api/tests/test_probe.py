"""THE PROBE: every API operation and every page, as every role and anonymously, against objects of
another jurisdiction (security issue 14, "keep it closed").

Routes are derived, never listed: the API operations from the OpenAPI document, the pages from the
URL configuration, so a new route is probed without editing this file. Every actor works in 临邑镇;
the objects live in 兴隆镇. For each route:

- a path parameter is filled with the id of an object of 兴隆镇, built by the factory registered
  for it (``OBJECTS`` below, extended by any app's ``tests/probe.py`` with ``PROBE_OBJECTS`` and
  ``PROBE_PARAMS``); a route whose parameter has no factory FAILS with a message saying what to add;
- a route that needs an exception is in ``ALLOWED`` with the reason;
- expected: 401/403/404 (405/422 when the method or body is refused before any lookup) from the
  API, a redirect to a login page or 403/404/405 from pages; a route without an object parameter may
  answer 200 (a list of the actor's own jurisdiction), but no answer body may contain a marker of
  the other township's objects, and nothing may change in the database (row count and highest id of
  every table, and the probed objects themselves, before and after; audit rows of refusals excepted).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dajiuzhu.accounts.roles import Role
from dajiuzhu.api.api import api
from dajiuzhu.core.testing import (
    LINYI_TOWN,
    LINYI_VILLAGE,
    XINGLONG_TOWN,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
    member_input,
)

MISSING_ID = 2**31 - 1  # inside the API's range, never an id of the small world


@dataclass
class World:
    actors: dict[str, object] = field(default_factory=dict)  # role (or "anonymous") -> user
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, object] = field(default_factory=dict)  # kind -> id of an object of 兴隆镇
    objects: list = field(default_factory=list)  # model instances whose values must not change
    markers: list[str] = field(default_factory=list)  # strings that only the other township's objects carry


# ---------------------------------------------------------------- object factories (kind -> builder)

def _household(world: World):
    from decimal import Decimal

    from django.utils import timezone

    from dajiuzhu.programs.screening import screen_region

    household = make_household(XINGLONG_VILLAGE, members=[member_input("探针乙户主", age=52),
                                                          member_input("探针乙配偶", relation="spouse", sex="F", age=50)],
                               facts={"monthly_wages": Decimal("100.00")})
    world.ids["household"], world.ids["person"] = household.pk, household.head_id
    world.objects += [household, household.head]
    world.markers += [household.number, "探针乙户主", "探针乙配偶", household.head.id_masked]
    # Results about the household (screening), and how any JSON answer would name it or its region.
    screen_region(actor=None, region_prefix="371424105", on=timezone.localdate())
    world.markers += [f'"household_id": {household.pk},', f'"household_id":{household.pk},',
                      '"region_code": "371424105', '"region_code":"371424105']


def _credit_record(world: World):
    from dajiuzhu.credit.services import dishonesty_record_create
    from dajiuzhu.registry.models import Person

    admin = make_user("county_admin", "371424000000", username="probe-county-admin")
    record = dishonesty_record_create(actor=admin, person=Person.objects.get(pk=world.ids["person"]),
                                      reason="concealment", source="case", details="探针乙的记录")
    from dajiuzhu.core.models import AuditEvent

    world.ids["audit_event"] = AuditEvent.objects.filter(region_code__startswith="371424105").latest("id").pk
    world.ids["credit_record"] = record.pk
    world.ids["credit_notice"] = record.notices.values_list("pk", flat=True).first() or MISSING_ID
    world.objects.append(record)
    world.markers.append("探针乙的记录")


def _job(world: World):
    from dajiuzhu.core.models import Job

    owner = make_user("township_handler", XINGLONG_TOWN, username="probe-xinglong-handler")
    job = Job.objects.create(kind="programs.screen", region_code=XINGLONG_TOWN, created_by=owner,
                             params={"region_prefix": "371424105"}, message="探针乙的作业")
    world.ids["job"] = job.pk
    world.objects.append(job)
    world.markers.append("探针乙的作业")


def _region(world: World):
    world.ids["region"] = XINGLONG_TOWN
    world.ids["village"] = XINGLONG_VILLAGE
    # Parameters that name no object of a township (reference data, file formats): any valid value.
    world.ids.update({"catalogue_item": "dibao", "format": "csv", "data_type": "hospital_stay", "index_kind": "hardship"})


# kind -> builder. Builders run in this order; a builder may use the ids of those before it.
OBJECTS: dict[str, Callable[[World], None]] = {
    "household": _household, "credit_record": _credit_record, "job": _job, "region": _region,
}

# Which kind of object a path parameter names: API parameters by name; page parameters by
# "<namespace>:<url name>:<kwarg>", or "<namespace>:*:<kwarg>" for every page of an app.
PARAMS: dict[str, str] = {
    "household_id": "household", "person_id": "person", "record_id": "credit_record", "job_id": "job",
    "registry:*:pk": "household", "registry:*:person_pk": "person", "registry:person_identity:pk": "person",
    "credit:*:pk": "credit_record", "credit:*:notice_pk": "credit_notice", "credit:*:appeal_pk": "missing",
    "checks:verify:household_id": "household", "checks:batch_detail:job_id": "job",
    "results:household:pk": "household", "indices:household:pk": "household", "dashboards:region:code": "region",
    "registry:import_status:pk": "job", "registry:import_report:pk": "job",
    "code": "catalogue_item", "programs:*:code": "catalogue_item", "cases:public_notices:village_code": "village",
    "registry:import_template:fmt": "format", "checks:template:data_type": "data_type",
    "indices:model_edit:kind": "index_kind", "results:batch_action:action": "format",
    "village_code": "village", ":audit_detail:pk": "audit_event", ":job_detail:pk": "job",
}

# Parameters whose objects have no factory in this small world yet: probed with an id that does not
# exist (so the route still proves 401/403/404 and no change, but not against a real object).
NO_FACTORY_YET = {
    "case_id", "item_id", "appeal_id", "notice_id", "delivery_id", "report_id", "alert_id", "batch_id",
    "cases:*:pk", "checks:delivery:pk", "checks:delivery_errors:pk", "checks:report:pk", "checks:report_decide:pk",
    "alerts:*:pk", "results:delivery:pk", "results:batch:pk", "results:batch_action:pk", "indices:*:pk",
}

# Routes that may answer with a success to someone of another jurisdiction, and why.
ALLOWED: dict[str, str] = {
    # The catalogue is the same for the whole county and readable by every role that has programs.view.
    "GET /api/v1/programs/items/{code}": "the catalogue is county-wide reference data, no personal data",
    "POST /api/v1/programs/items/{code}/evaluate": "422 before lookup without a body; the household is scoped",
    "programs:item_detail": "the catalogue is county-wide reference data",
    "programs:item_edit": "only programs.edit (county administrator) may edit; catalogue is county-wide",
    "cases:public_notices": "the public notice board (公示) is public by law; it shows masked names only",
    "registry:import_template": "a blank template file, no object",
    "checks:template": "a blank template file of a data type, no object",
    "indices:model_edit": "the index model is county-wide configuration, no personal data",
    "PATCH /api/v1/programs/items/{code}": "the county administrator edits the county-wide catalogue",
    "POST /api/v1/cases/notices/{notice_id}/objections": "residents object to a public notice without an account",
    "GET /api/v1/cases/notices/{village_code}": "the public notice board (公示) of a village is public by law",
    ":healthz_worker": "503 is the health check's answer when no job worker runs (no object, no data)",
}

API_OK = {401, 403, 404, 405, 422}
PAGE_OK = {403, 404, 405}
# Roles without the registry's reach (departments, organisations) work county-wide, as deployed: for them every
# household of the county is out of reach, so they are probed at the county level as well.
COUNTY_WIDE = ("department", "social_org")
ROLES = [*(r.value for r in Role), *(f"{r}@county" for r in COUNTY_WIDE), "anonymous"]


def _extensions() -> None:
    """Apps extend the probe from their own ``tests/probe.py``: ``PROBE_OBJECTS`` and ``PROBE_PARAMS``."""
    for config in apps.get_app_configs():
        if not config.name.startswith("dajiuzhu."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.probe")
        except ModuleNotFoundError as exc:
            if exc.name in (f"{config.name}.tests.probe", f"{config.name}.tests"):
                continue
            raise
        OBJECTS.update(getattr(module, "PROBE_OBJECTS", {}))
        PARAMS.update(getattr(module, "PROBE_PARAMS", {}))
        ALLOWED.update(getattr(module, "PROBE_ALLOWED", {}))


_extensions()


# ---------------------------------------------------------------- the routes

@dataclass(frozen=True)
class Route:
    kind: str  # "api" or "page"
    method: str
    path: str  # the template: /api/v1/x/{id} or registry/<int:pk>/
    name: str  # the allow-list / PARAMS key
    params: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.path}" if self.kind == "api" else f"{self.method} /{self.path} ({self.name})"


def api_routes() -> list[Route]:
    document = api.get_openapi_schema()
    out = []
    for path, methods in document["paths"].items():
        for method, _operation in methods.items():
            out.append(Route("api", method.upper(), path, f"{method.upper()} {path}",
                             tuple(re.findall(r"{(\w+)}", path))))
    return out


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = ":".join(filter(None, [namespace, pattern.namespace or ""])) if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            if "(?P<" in str(pattern.pattern):
                continue  # the admin's regex routes (app index, catch-all): staff only, no role of ours is staff
            yield prefix + str(pattern.pattern), f"{namespace}:{pattern.name or ''}", tuple(pattern.pattern.converters)


def page_routes() -> list[Route]:
    out = []
    for path, name, params in _walk(get_resolver().url_patterns):
        if path.startswith("api/v1/") or path.startswith("static/"):
            continue
        for method in ("GET",) if path.startswith("admin/") else ("GET", "POST"):
            out.append(Route("page", method, path, name, params))
    return out


ROUTES = api_routes() + page_routes()


def param_kind(route: Route, param: str) -> str:
    keys = [param] if route.kind == "api" else [f"{route.name}:{param}", f"{route.name.split(':')[0]}:*:{param}"]
    if route.name.startswith("admin:"):
        return "missing"  # the Django admin: staff only (no role of ours is staff), any object id is refused
    for key in keys:
        if key in PARAMS:
            return PARAMS[key]
        if key in NO_FACTORY_YET:
            return "missing"
    pytest.fail(f"{route}: the security probe does not know which object the parameter {param!r} names. Register a "
                f"factory building an object of another township (兴隆镇) in your app's tests/probe.py: "
                f"PROBE_OBJECTS = {{'<kind>': builder(world)}} and PROBE_PARAMS = {{{keys[-1]!r}: '<kind>'}} "
                "(see dajiuzhu/api/tests/test_probe.py), or, with a reason, PROBE_ALLOWED.")


def fill(route: Route, world: World) -> str:
    values = {}
    for param in route.params:
        kind = param_kind(route, param)
        values[param] = world.ids.get(kind, MISSING_ID) if kind != "missing" else MISSING_ID
    if route.kind == "api":
        return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), route.path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route.path)
    return "/" + path.lstrip("^").rstrip("$")


# ---------------------------------------------------------------- the world (one per module)

@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once and rolled back at the end of the module (each test runs in a savepoint inside)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            from dajiuzhu.accounts.models import ApiToken
            from dajiuzhu.programs.catalogue import ensure_demo_catalogue

            ensure_demo_catalogue()
            w = World()
            assert "371424105".startswith(XINGLONG_TOWN[:9]) and not LINYI_TOWN.startswith("371424105")
            for builder in OBJECTS.values():
                builder(w)
            own = make_household(LINYI_VILLAGE, members=[member_input("探针甲户主", age=50)])  # the resident's own
            for role in Role:
                user = make_user(role.value, LINYI_TOWN, username=f"probe-{role.value}",
                                 department="medical_insurance" if role == Role.DEPARTMENT else "")
                if role == Role.RESIDENT:  # a real resident, signed in to their own 临邑镇 household
                    user.region_id, user.person_id_hash = LINYI_VILLAGE, own.head.id_hash
                    user.save(update_fields=["region", "person_id_hash"])
                w.actors[role.value] = user
                w.tokens[role.value] = ApiToken.issue(user=user, name="probe")[1]
            for role in COUNTY_WIDE:
                user = make_user(role, "371424000000", username=f"probe-{role}-county",
                                 department="medical_insurance" if role == "department" else "")
                w.actors[f"{role}@county"] = user
                w.tokens[f"{role}@county"] = ApiToken.issue(user=user, name="probe")[1]
            w.actors["anonymous"] = None
            yield w
        finally:
            _CLIENTS.clear()
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _tables() -> list:
    from django.contrib.sessions.models import Session

    from dajiuzhu.accounts.models import ApiToken
    from dajiuzhu.core.models import AuditEvent

    skip = {AuditEvent, Session, ApiToken}  # refusals are audited; logins make sessions; tokens note their use
    return [m for m in apps.get_models() if m not in skip and not m._meta.proxy and m._meta.managed]


def fingerprint(world: World) -> dict:
    state = {}
    with connection.cursor() as cursor:
        for model in _tables():
            table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
            # MAX of an integer key shows a row replaced by another; PostgreSQL has no MAX(uuid): count those only.
            integer = model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField",
                                                               "IntegerField", "BigIntegerField")
            top = f"MAX({pk})" if integer else "NULL"
            cursor.execute(f"SELECT COUNT(*), {top} FROM {table}")  # noqa: S608 - names from the models
            state[model._meta.label] = tuple(cursor.fetchone())
    for obj in world.objects:
        fresh = type(obj).objects.filter(pk=obj.pk).first()
        state[f"{obj._meta.label}#{obj.pk}"] = repr(sorted(model_to_dict(fresh).items())) if fresh else None
    return state


_CLIENTS: dict[str, Client] = {}


def _client(role: str, world: World) -> Client:
    """One signed-in client per role for the whole module (a login per request would dominate the run)."""
    client = _CLIENTS.setdefault(role, Client())
    if world.actors[role] is not None and "_auth_user_id" not in client.session:  # first use, or a logout route
        client.force_login(world.actors[role])
    return client


def call(route: Route, url: str, role: str, world: World):
    user = world.actors[role]
    headers = {}
    if route.kind == "api":
        if user is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[role]}"
        client = Client()
        if route.method in ("POST", "PUT", "PATCH"):
            return client.generic(route.method, url, "{}", content_type="application/json", **headers)
        return client.generic(route.method, url, **headers)
    client = _client(role, world)
    return client.get(url) if route.method == "GET" else client.post(url, {})


def _login_redirect(response) -> bool:
    """A redirect to a sign-in page: the staff login, or the residents' portal sign-in (/m/sign-in/)."""
    from django.urls import reverse

    location = response.get("Location", "")
    return response.status_code == 302 and ("login" in location or location.startswith(reverse("portal:sign_in")))


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_no_role_reaches_another_jurisdiction(world, route):
    allowed = ALLOWED.get(route.name)
    url = fill(route, world)
    before = fingerprint(world) if route.params else {}
    problems = []
    for role in ROLES:
        response = call(route, url, role, world)
        status = response.status_code
        body = b"".join(response) if getattr(response, "streaming", False) else response.content
        text = body.decode("utf-8", "replace")
        leaked = [m for m in world.markers if m and m in text]
        if status >= 500 and not allowed:
            problems.append(f"{role}: server error {status}")
        if leaked and not allowed:
            problems.append(f"{role}: the answer ({status}) shows another township's {leaked}")
        if route.params and not allowed:
            if role == "anonymous":
                ok = status == 401 if route.kind == "api" else (_login_redirect(response) or status in PAGE_OK)
            else:
                ok = status in API_OK if route.kind == "api" else (status in PAGE_OK or _login_redirect(response))
            if not ok:
                problems.append(f"{role}: {status} for an object of another township")
        elif role == "anonymous" and not allowed and route.kind == "api" and status != 401:
            problems.append(f"anonymous: {status} (the API needs authentication)")
    after = fingerprint(world) if route.params else {}
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    # A route without an object parameter may write inside the actor's own jurisdiction (a job it starts, a
    # default created on first use); against another township's object nothing may change.
    if changed and route.params and not allowed:
        problems.append(f"the database changed: {changed}")
    assert not problems, f"{route} (as {url}):\n  " + "\n  ".join(problems)
