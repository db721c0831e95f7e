"""The open registry API driven as an external system would: HTTP to a live server, callbacks to a
listener thread. Every refusal carries the standard's code, changes nothing and is audited."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.utils import timezone

from dajiuzhu.alerts.models import Alert
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_VILLAGE, make_household, member_input
from dajiuzhu.exchange import signing
from dajiuzhu.exchange.callbacks import callbacks_retry_due
from dajiuzhu.exchange.models import (
    AccessToken,
    Callback,
    CallbackStatus,
    DepartmentEvent,
    IdentifierType,
    PersonIdentifier,
    PushStatus,
    Subscription,
    Transaction,
)
from dajiuzhu.indices.models import RosterEntry
from dajiuzhu.registry.models import MemberFacts, Person

from .conftest import envelope, get_token, http, search_message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def family():
    head = member_input("王建国", age=58)
    household = make_household(LINYI_VILLAGE, members=[head, member_input("刘秀英", relation="spouse", sex="F", age=55)])
    RosterEntry.objects.create(household=household, region_code=household.region_code, tier="dibao",
                               since=dt.date(2025, 3, 1))
    return household, head.id_number


def _search(live_server, client, token, query_type, query, **criteria):
    return http(f"{live_server.url}/api/dci/registry/sync/search",
                envelope("search", client.client_id, search_message(query_type, query, **criteria)), token=token)


def test_sync_search_by_resident_id_returns_only_the_field_set_and_is_audited(live_server, register, family):
    household, number = family
    client, secret = register(fields=("name", "roster"))
    token = get_token(live_server.url, client.client_id, secret)
    started = time.perf_counter()
    status, body, headers = _search(live_server, client, token, "idtype-value", {"type": "UIN", "value": number})
    assert time.perf_counter() - started < 1.0
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body["header"]["action"] == "on-search" and body["header"]["status"] == "succ"
    item = body["message"]["search_response"][0]
    assert item["status"] == "succ" and item["pagination"]["total_count"] == 1
    record = item["data"]["reg_records"][0]
    assert record["name"] == {"@type": "Name", "surname": "王", "given_name": "建国"}
    assert record["assistance"] == [{"tier": "dibao", "since": "2025-03-01"}]
    assert "household" not in record and "birth_date" not in record  # incomes and the rest: not in the set
    person = Person.objects.get(name="王建国")
    assert {"identifier_type": "PERSON_ID", "identifier_value": str(person.pk), "@type": "Identifier"} \
        in record["identifier"]
    event = AuditEvent.objects.get(action="exchange.search")
    assert event.new["person_ids"] == [person.pk] and event.new["purpose"] == client.purpose
    assert event.actor_name == f"dci-{client.client_id}"


def test_household_number_person_number_and_a_registered_identifier(live_server, register, family):
    household, _number = family
    client, secret = register()
    token = get_token(live_server.url, client.client_id, secret)
    _s, body, _h = _search(live_server, client, token, "idtype-value", {"type": "HOUSEHOLD_NO", "value": household.number})
    assert body["message"]["search_response"][0]["pagination"]["total_count"] == 2
    person = Person.objects.get(name="刘秀英")
    _s, body, _h = _search(live_server, client, token, "idtype-value", {"type": "PERSON_ID", "value": str(person.pk)})
    assert body["message"]["search_response"][0]["data"]["reg_records"][0]["name"]["given_name"] == "秀英"
    member_type = IdentifierType.objects.create(code="YB_MEMBER", name="医保参保号")
    PersonIdentifier.objects.create(type=member_type, value="YB-0042", person=person)
    _s, body, _h = _search(live_server, client, token, "idtype-value", {"type": "YB_MEMBER", "value": "YB-0042"})
    assert body["message"]["search_response"][0]["data"]["reg_records"][0]["identifier"][0]["identifier_value"] \
        == str(person.pk)


def test_predicate_and_expression_queries(live_server, register, family):
    client, secret = register()
    make_household(LINYI_VILLAGE, members=[member_input("赵四", age=30)])  # not in 低保
    token = get_token(live_server.url, client.client_id, secret)
    predicate = [{"seq_num": 1, "expression1": {"attribute_name": "roster_tier", "operator": "eq", "attribute_value": "dibao"},
                  "condition": "and",
                  "expression2": {"attribute_name": "sex", "operator": "eq", "attribute_value": "female"}}]
    _s, body, _h = _search(live_server, client, token, "predicate", predicate)
    names = [r["name"]["surname"] + r["name"]["given_name"] for r in body["message"]["search_response"][0]["data"]["reg_records"]]
    assert names == ["刘秀英"]
    _s, body, _h = _search(live_server, client, token, "expression",
                           {"type": "ns:dajiuzhu:QueryType:simple", "value": {"expression": "roster_tier eq dibao and YOB le 1975"}})
    names = {r["name"]["given_name"] for r in body["message"]["search_response"][0]["data"]["reg_records"]}
    assert names == {"建国", "秀英"}


def test_async_search_acknowledges_then_posts_on_search(live_server, register, family, listener):
    _household, number = family
    client, secret = register()
    token = get_token(live_server.url, client.client_id, secret)
    request = envelope("search", client.client_id, search_message("idtype-value", {"type": "UIN", "value": number}),
                       sender_uri=f"{listener.url}/registry/on-search")
    status, body, _h = http(f"{live_server.url}/api/dci/registry/search", request, token=token)
    assert status == 200 and body["message"]["ack_status"] == "ACK"
    assert listener.event.wait(10)
    callback = listener.of("on-search")[0]
    assert callback["header"]["status"] == "succ" and callback["header"]["receiver_id"] == client.client_id
    assert callback["message"]["correlation_id"] == body["message"]["correlation_id"]
    assert callback["message"]["search_response"][0]["data"]["reg_records"][0]["name"]["given_name"] == "建国"
    # txn/status, sync and async
    status_request = {"transaction_id": "t-status", "txnstatus_request": {
        "reference_id": "s1", "txn_type": "search", "attribute_type": "correlation_id",
        "attribute_value": body["message"]["correlation_id"]}}
    status, answer, _h = http(f"{live_server.url}/api/dci/registry/sync/txn/status",
                              envelope("txn-status", client.client_id, status_request), token=token)
    assert status == 200 and answer["message"]["txnstatus_response"]["txn_status"]["status"] == "succ"
    status, answer, _h = http(f"{live_server.url}/api/dci/registry/txn/status",
                              envelope("txn-status", client.client_id, status_request,
                                       sender_uri=f"{listener.url}/registry/txn/on-status"), token=token)
    assert status == 200 and listener.of("txn-on-status")[0]["message"]["txnstatus_response"]["txn_type"] == "search"


def _subscribe(live_server, client, token, listener, event_type="death", **criteria):
    message = {"transaction_id": uuid.uuid4().hex, "subscribe_request": [{
        "reference_id": "s1", "timestamp": timezone.now().isoformat(),
        "subscribe_criteria": {"reg_event_type": event_type, "notify_record_type": "Person", **criteria}}]}
    return http(f"{live_server.url}/api/dci/registry/subscribe",
                envelope("subscribe", client.client_id, message, sender_uri=f"{listener.url}/notify"), token=token)


def _push(live_server, client, token, kind, number, on, **record):
    message = {"transaction_id": uuid.uuid4().hex, "notify_event": [{
        "reference_id": "e1", "timestamp": timezone.now().isoformat(), "data": {
            "reg_event_type": kind, "reg_records": {
                "identifier": [{"identifier_type": "UIN", "identifier_value": number}], "event_date": on, **record}}}]}
    return http(f"{live_server.url}/api/dci/registry/notify", envelope("notify", client.client_id, message), token=token)


def test_a_death_pushed_by_another_client_is_notified_to_a_subscriber_and_raises_an_alert(
        live_server, register, family, listener):
    household, number = family
    health, secret = register(fields=("name", "death", "roster"))
    token = get_token(live_server.url, health.client_id, secret)
    status, body, _h = _subscribe(live_server, health, token, listener)
    assert status == 200 and body["message"]["ack_status"] == "ACK"
    on_subscribe = listener.of("on-subscribe")[0]["message"]["subscribe_response"][0]
    assert on_subscribe["status"] == "succ"
    code = on_subscribe["subscriptions"][0]["code"]

    police, police_secret = register("police", scopes=("registry.push",), fields=())
    police_token = get_token(live_server.url, police.client_id, police_secret)
    died = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    started = time.perf_counter()
    status, body, _h = _push(live_server, police, police_token, "death", number, died)
    assert status == 200 and body["message"]["notify_response"][0]["event_status"] == "applied"
    assert Person.objects.get(name="王建国").deceased_on.isoformat() == died
    alert = Alert.objects.get(household=household)
    assert time.perf_counter() - started < 60
    assert any(s["code"] == "member_death" for s in alert.signals)
    notify = listener.of("notify")[0]
    data = notify["message"]["notify_event"][0]["data"]
    assert data["reg_event_type"] == "death" and data["reg_records"]["subscription_code"] == code
    assert data["reg_records"]["persons"][0]["death_date"] == died
    assert AuditEvent.objects.filter(action="exchange.notify").exists()

    # unsubscribe: on-unsubscribe, and no more notify afterwards
    status, body, _h = http(f"{live_server.url}/api/dci/registry/unsubscribe", envelope(
        "unsubscribe", health.client_id, {"transaction_id": "u1", "timestamp": timezone.now().isoformat(),
                                          "subscription_codes": [code]}, sender_uri=f"{listener.url}/x"), token=token)
    assert status == 200 and listener.of("on-unsubscribe")[0]["message"]["status"] == "succ"
    assert not Subscription.objects.get(code=code).active


def test_pushed_disability_unemployment_and_admission_write_dated_member_facts(live_server, register, family):
    _household, number = family
    federation, secret = register("disabled_federation", scopes=("registry.push",), fields=())
    token = get_token(live_server.url, federation.client_id, secret)
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    _push(live_server, federation, token, "disability_certificate", number, day, disability_grade=2,
          disability_type="physical", certificate_number="37142419670101123X42")
    _push(live_server, federation, token, "unemployment", number, day)
    _push(live_server, federation, token, "hospital_admission", number, day, diagnosis="脑梗")
    facts = MemberFacts.objects.get(person__name="王建国", as_of=day)
    assert (facts.disability_grade, facts.disability_category, facts.employment, facts.health, facts.source) == \
        (2, "physical", "unemployed", "serious", "department")


def test_a_push_for_an_unknown_person_is_kept_aside_and_applied_when_registered(live_server, register):
    from dajiuzhu.core.testing import next_id_number, years_ago
    from dajiuzhu.exchange.pushes import pushes_match_pending

    police, secret = register("police", scopes=("registry.push",), fields=())
    token = get_token(live_server.url, police.client_id, secret)
    number = next_id_number(years_ago(70))
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    status, body, _h = _push(live_server, police, token, "death", number, day)
    assert status == 200 and body["message"]["notify_response"][0]["event_status"] == "unmatched"
    event = DepartmentEvent.objects.get()
    assert event.status == PushStatus.UNMATCHED and event.person is None and "*" in event.id_masked
    make_household(LINYI_VILLAGE, members=[member_input("孙老汉", id_number=number, age=70)])
    assert pushes_match_pending() == 1
    assert Person.objects.get(name="孙老汉").deceased_on.isoformat() == day


def test_a_failing_callback_is_retried_with_back_off_then_delivered(live_server, register, family, listener, settings):
    settings.DCI_CALLBACK_BACKOFF_SECONDS = 0.05
    _household, number = family
    client, secret = register()
    token = get_token(live_server.url, client.client_id, secret)
    listener.fail_next = 2
    http(f"{live_server.url}/api/dci/registry/search", envelope(
        "search", client.client_id, search_message("idtype-value", {"type": "UIN", "value": number}),
        sender_uri=f"{listener.url}/on-search"), token=token)
    callback = Callback.objects.get(action="on-search")
    assert callback.status == CallbackStatus.PENDING and callback.attempts == 1 and "503" in callback.last_error
    first_delay = callback.next_attempt_at
    time.sleep(0.1)
    assert callbacks_retry_due() == 1
    callback.refresh_from_db()
    assert callback.attempts == 2 and callback.next_attempt_at - timezone.now() > dt.timedelta(0) or first_delay
    time.sleep(0.2)
    callbacks_retry_due()
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.DELIVERED and callback.attempts == 3
    assert len(listener.of("on-search")) == 1


def test_a_callback_that_never_succeeds_becomes_a_dead_letter(live_server, register, family, listener, settings):
    settings.DCI_CALLBACK_BACKOFF_SECONDS = 0
    settings.DCI_CALLBACK_MAX_ATTEMPTS = 3
    _household, number = family
    client, secret = register()
    token = get_token(live_server.url, client.client_id, secret)
    listener.fail_next = 100
    http(f"{live_server.url}/api/dci/registry/search", envelope(
        "search", client.client_id, search_message("idtype-value", {"type": "UIN", "value": number}),
        sender_uri=f"{listener.url}/on-search"), token=token)
    for _ in range(3):
        callbacks_retry_due()
    callback = Callback.objects.get(action="on-search")
    assert callback.status == CallbackStatus.DEAD and callback.attempts == 3
    assert AuditEvent.objects.filter(action="exchange.callback_dead").exists()


def test_signed_requests(live_server, register, family):
    _household, number = family
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    client, secret = register(public_key=pem, require_signature=True)
    token = get_token(live_server.url, client.client_id, secret)
    request = envelope("search", client.client_id, search_message("idtype-value", {"type": "UIN", "value": number}))
    status, body, _h = http(f"{live_server.url}/api/dci/registry/sync/search", request, token=token)
    assert status == 401 and body["errors"][0]["code"] == "err.signature.missing"
    request["signature"] = signing.sign(key, request["header"], request["message"], kid=client.client_id)
    status, body, _h = http(f"{live_server.url}/api/dci/registry/sync/search", request, token=token)
    assert status == 200 and body["header"]["status"] == "succ"
    tampered = envelope("search", client.client_id, search_message("idtype-value", {"type": "UIN", "value": number}))
    tampered["signature"] = signing.sign(key, tampered["header"], {**tampered["message"], "transaction_id": "other"})
    status, body, _h = http(f"{live_server.url}/api/dci/registry/sync/search", tampered, token=token)
    assert status == 401 and body["errors"][0]["code"] == "err.signature.invalid"


def _refused(live_server, token, body, *, path="registry/sync/search", raw: bytes | None = None):
    before = (Transaction.objects.count(), Subscription.objects.count(), Callback.objects.count())
    refusals = AuditEvent.objects.filter(action="exchange.refused").count()
    status, answer, headers = http(f"{live_server.url}/api/dci/{path}", body, token=token, data=raw)
    assert headers["Content-Type"] == "application/json"
    assert (Transaction.objects.count(), Subscription.objects.count(), Callback.objects.count()) == before
    assert AuditEvent.objects.filter(action="exchange.refused").count() == refusals + 1
    return status, answer


def test_no_token_and_an_expired_token_are_refused(live_server, register, family):
    _household, number = family
    client, secret = register()
    request = envelope("search", client.client_id, search_message("idtype-value", {"type": "UIN", "value": number}))
    status, body = _refused(live_server, "", request)
    assert status == 401 and body == {"errors": [{"code": "err.request.unauthorized",
                                                  "message": body["errors"][0]["message"]}]}
    token = get_token(live_server.url, client.client_id, secret)
    AccessToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    status, body = _refused(live_server, token, request)
    assert status == 401 and "expired" in body["errors"][0]["message"]
    status, body, _h = http(f"{live_server.url}/api/dci/oauth2/token",
                            data=f"grant_type=client_credentials&client_id={client.client_id}&client_secret=wrong".encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 401 and body["error"] == "invalid_client"


def test_a_suspended_client_is_refused_at_once(live_server, register, family, county_admin):
    from dajiuzhu.exchange.services import client_suspend

    _household, number = family
    client, secret = register()
    token = get_token(live_server.url, client.client_id, secret)
    client_suspend(actor=county_admin, client=client, reason="leaked secret")
    request = envelope("search", client.client_id, search_message("idtype-value", {"type": "UIN", "value": number}))
    status, body = _refused(live_server, token, request)
    assert status in (401, 403) and body["errors"][0]["code"] in ("err.request.unauthorized", "err.request.forbidden")


def test_rate_limit_per_client(live_server, register, family):
    _household, number = family
    client, secret = register(rate_limit=2)
    token = get_token(live_server.url, client.client_id, secret)
    for _ in range(2):
        assert _search(live_server, client, token, "idtype-value", {"type": "UIN", "value": number})[0] == 200
    status, body = _refused(live_server, token, envelope("search", client.client_id, search_message(
        "idtype-value", {"type": "UIN", "value": number})))
    assert status == 429 and body["errors"][0]["code"] == "err.request.too_many_requests"


def test_outside_the_jurisdiction_a_person_is_not_found_and_a_region_is_refused(live_server, register, family):
    _household, number = family
    client, secret = register(region="371424105")  # 兴隆镇 only; the family lives in 临邑镇
    token = get_token(live_server.url, client.client_id, secret)
    _s, body, _h = _search(live_server, client, token, "idtype-value", {"type": "UIN", "value": number})
    item = body["message"]["search_response"][0]
    assert item["status"] == "succ" and item["data"]["reg_records"] == []
    predicate = [{"seq_num": 1, "expression1": {"attribute_name": "region_code", "operator": "eq",
                                                 "attribute_value": "371424100000"}}]
    _s, body, _h = _search(live_server, client, token, "predicate", predicate)
    item = body["message"]["search_response"][0]
    assert item["status"] == "rjct" and item["status_reason_code"] == "rjct.search_criteria.invalid"
    assert body["header"]["status"] == "rjct"
    assert AuditEvent.objects.filter(action="exchange.search", new__status="rjct").exists()


@pytest.mark.parametrize("criteria, words", [
    ({"query_type": "idtype-value", "query": {"type": "UIN", "value": "{number}"}, "fields": ["income"]}, "income"),
    ({"query_type": "sql", "query": {"type": "UIN", "value": "1"}}, "query_type"),
    ({"query_type": "predicate", "query": [{"seq_num": 1, "expression1": {
        "attribute_name": "shoe_size", "operator": "eq", "attribute_value": 42}}]}, "shoe_size"),
    ({"query_type": "predicate", "query": [{"seq_num": 1, "expression1": {
        "attribute_name": "disability_grade", "operator": "eq", "attribute_value": 1}}]}, "disability"),
])
def test_bad_search_criteria_are_rejected_with_the_standards_reason(live_server, register, family, criteria, words):
    _household, number = family
    client, secret = register()
    token = get_token(live_server.url, client.client_id, secret)
    if criteria["query"] == {"type": "UIN", "value": "{number}"}:
        criteria = {**criteria, "query": {"type": "UIN", "value": number}}
    message = search_message(criteria.pop("query_type"), criteria.pop("query"), **criteria)
    status, body, _h = http(f"{live_server.url}/api/dci/registry/sync/search",
                            envelope("search", client.client_id, message), token=token)
    item = body["message"]["search_response"][0]
    assert status == 200 and item["status"] == "rjct"
    assert item["status_reason_code"] == "rjct.search_criteria.invalid" and words in item["status_reason_message"]
    assert "data" not in item


def test_malformed_envelopes_are_refused(live_server, register, family, listener, settings):
    _household, number = family
    client, secret = register()
    token = get_token(live_server.url, client.client_id, secret)
    good = envelope("search", client.client_id, search_message("idtype-value", {"type": "UIN", "value": number}))

    status, body = _refused(live_server, token, {"header": good["header"]})
    assert status == 400 and body["message"]["ack_status"] == "ERR"
    assert body["message"]["error"] == {"code": "err.request.bad", "message": "message is missing"}

    wrong = {**good, "header": {**good["header"], "action": "subscribe"}}
    status, body = _refused(live_server, token, wrong)
    assert status == 400 and body["header"]["status_reason_code"] == "rjct.action.invalid"

    status, body = _refused(live_server, token, None, raw=b"not json")
    assert status == 400 and body["message"]["error"]["code"] == "err.request.bad"

    status, body = _refused(live_server, token, {**good, "header": {**good["header"], "sender_id": "someone-else"}})
    assert body["message"]["error"]["code"] == "err.sender_id.invalid"

    status, body = _refused(live_server, token, {**good, "header": {**good["header"], "version": "2.0.0"}})
    assert body["message"]["error"]["code"] == "err.version.not_supported"

    async_bad = {**good, "header": {**good["header"], "sender_uri": "ftp://example.org/cb"}}
    status, body = _refused(live_server, token, async_bad, path="registry/search")
    assert status == 400 and body["message"]["error"]["code"] == "err.sender_uri.invalid"

    settings.DCI_CALLBACK_ALLOW_PRIVATE = False
    private = {**good, "header": {**good["header"], "sender_uri": f"{listener.url}/cb"}}
    status, body = _refused(live_server, token, private, path="registry/search")
    assert body["message"]["error"]["code"] == "err.sender_uri.invalid" and "private" in body["message"]["error"]["message"]


def test_a_replayed_message_id_is_refused(live_server, register, family):
    _household, number = family
    client, secret = register()
    token = get_token(live_server.url, client.client_id, secret)
    request = envelope("search", client.client_id, search_message("idtype-value", {"type": "UIN", "value": number}))
    assert http(f"{live_server.url}/api/dci/registry/sync/search", request, token=token)[0] == 200
    status, body = _refused(live_server, token, request)
    assert status == 409 and body["header"]["status_reason_code"] == "rjct.message_id.duplicate"


def test_a_subscription_outside_the_jurisdiction_or_of_an_unknown_event_is_rejected(live_server, register, listener):
    client, secret = register(region="371424105")
    token = get_token(live_server.url, client.client_id, secret)
    _subscribe(live_server, client, token, listener, filter=[{"seq_num": 1, "expression1": {
        "attribute_name": "region_code", "operator": "eq", "attribute_value": "371424100000"}}])
    _subscribe(live_server, client, token, listener, event_type="birth")
    reasons = [m["message"]["subscribe_response"][0]["status_reason_code"] for m in listener.of("on-subscribe")]
    assert reasons == ["rjct.notify_details.invalid", "rjct.notify_types.invalid"]
    assert not Subscription.objects.exists()


def test_openapi_document_lists_the_dci_endpoints(client):
    document = client.get("/api/dci/openapi.json").json()
    assert {"/api/dci/registry/sync/search", "/api/dci/registry/search", "/api/dci/registry/subscribe",
            "/api/dci/registry/unsubscribe", "/api/dci/registry/txn/status", "/api/dci/registry/sync/txn/status",
            "/api/dci/registry/notify", "/api/dci/oauth2/token"} <= set(document["paths"])


def test_roster_changes_and_dishonesty_records_become_notify_pushes(live_server, register, family, listener,
                                                                     county_admin):
    from dajiuzhu.credit.services import (
        dishonesty_record_answer,
        dishonesty_record_create,
        dishonesty_record_decide,
        dishonesty_record_lift,
    )
    from dajiuzhu.exchange.receivers import roster_events_collect
    from dajiuzhu.indices.models import RosterEvent

    household, _number = family
    client, secret = register(fields=("name", "roster", "dishonesty"))
    token = get_token(live_server.url, client.client_id, secret)
    for event_type in ("dibao_enter", "dishonesty_effective", "dishonesty_lifted"):
        _subscribe(live_server, client, token, listener, event_type=event_type)
    RosterEvent.objects.create(household=household, region_code=household.region_code, tier="dibao", kind="enter",
                               on=dt.date(2025, 3, 1))
    RosterEvent.objects.create(household=household, region_code=household.region_code, tier="near_poor",
                               kind="enter", on=dt.date(2025, 3, 1))  # roster_enter: nobody subscribed
    assert roster_events_collect() == 2
    assert roster_events_collect() == 0  # the cursor moved on
    head = Person.objects.get(name="王建国")
    record = dishonesty_record_create(actor=county_admin, person=head, reason="concealment", source="case",
                                      details="隐瞒经营收入")
    # A case's record is only proposed (the family is heard first): nothing is pushed before the decision.
    assert record.status == "proposed"
    assert [n["message"]["notify_event"][0]["data"]["reg_event_type"] for n in listener.of("notify")] == [
        "dibao_enter"]
    dishonesty_record_answer(actor=county_admin, record=record, answer="收入是临时的，已经不做了")
    record = dishonesty_record_decide(actor=county_admin, record=record, list_person=True,
                                      consideration="经营收入有银行流水为证，申辩不成立")
    assert record.status == "active"
    assert [n["message"]["notify_event"][0]["data"]["reg_event_type"] for n in listener.of("notify")] == [
        "dibao_enter", "dishonesty_effective"]
    dishonesty_record_lift(actor=county_admin, record=record, kind="repayment", reason="已退回多领的救助金")
    events = [n["message"]["notify_event"][0]["data"] for n in listener.of("notify")]
    assert [e["reg_event_type"] for e in events] == ["dibao_enter", "dishonesty_effective", "dishonesty_lifted"]
    assert events[0]["reg_records"]["persons"][0]["assistance"][0]["tier"] == "dibao"
    assert events[1]["reg_records"]["persons"][0]["dishonesty_listed"] is True


def test_openapi_document_declares_the_bearer_scheme(client):
    document = client.get("/api/dci/openapi.json").json()
    assert document["components"]["securitySchemes"]["Authorization"]["scheme"] == "bearer"
    assert document["paths"]["/api/dci/registry/sync/search"]["post"]["operationId"] == "post_reg_sync_search"
