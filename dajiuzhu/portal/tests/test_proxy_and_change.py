"""Village service rooms (代办): proxied applications wait for the township, which accepts (and the
trust-first decision is made then) or returns them; changes of circumstances reach the registry."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dajiuzhu.cases.models import Case, Channel, ItemStatus
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.testing import LINYI_VILLAGE, LINYI_VILLAGE_2, XINGLONG_TOWN, make_user
from dajiuzhu.portal import services
from dajiuzhu.portal.models import ChangeReport, Document, Message, ProxyApplication

from .conftest import family, png_bytes, resident_of

pytestmark = pytest.mark.django_db
FACTS = {"monthly_wages": "1196.00", "housing": "safe"}


@pytest.fixture
def worker(db):
    return make_user("village_worker", LINYI_VILLAGE)


def test_a_proxied_application_waits_for_the_township_then_is_decided(catalogue, client, worker, linyi_handler):
    household = family()
    client.force_login(worker)
    signature = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    response = client.post("/m/village/new/", {"id_number": household.head_id_number, "item": "dibao",
                                                "signature": signature, **FACTS})
    assert response.status_code == 302, response.content.decode()[:2000]
    proxy = ProxyApplication.objects.get()
    assert proxy.status == "waiting" and not Case.objects.exists()
    assert Document.objects.get(proxy=proxy).kind == Document.Kind.SIGNATURE
    assert "王建国" in client.get("/m/village/").content.decode()
    # The village worker may not accept its own application.
    assert client.post(f"/m/township/{proxy.pk}/", {"action": "accept"}).status_code == 403
    client.force_login(linyi_handler)
    assert "王建国" in client.get("/m/township/").content.decode()
    response = client.post(f"/m/township/{proxy.pk}/", {"action": "accept"})
    case = Case.objects.get()
    assert response.status_code == 302 and case.channel == Channel.PROXY
    assert case.items.get(item__code="dibao").status == ItemStatus.APPROVED
    proxy.refresh_from_db()
    assert proxy.status == "accepted" and proxy.case == case and Document.objects.get().case == case
    assert Message.objects.filter(household=household, kind="proxy").exists()


def test_another_township_cannot_see_or_accept_the_proxied_application(catalogue, client, worker):
    household = family()
    proxy = services.proxy_submit(actor=worker, id_number=household.head_id_number, item_code="dibao", facts=FACTS,
                                  signature_png=png_bytes())
    client.force_login(make_user("township_handler", XINGLONG_TOWN))
    assert client.get(f"/m/township/{proxy.pk}/").status_code == 404
    assert client.post(f"/m/township/{proxy.pk}/", {"action": "accept"}).status_code == 404
    assert not Case.objects.exists()
    proxy.refresh_from_db()
    assert proxy.status == "waiting"


def test_the_township_returns_a_proxied_application_with_a_reason(catalogue, worker, linyi_handler):
    household = family()
    proxy = services.proxy_submit(actor=worker, id_number=household.head_id_number, item_code="dibao", facts=FACTS,
                                  signed_form=png_bytes())
    with pytest.raises(DomainError):
        services.proxy_return(actor=linyi_handler, proxy=proxy, reason="")
    services.proxy_return(actor=linyi_handler, proxy=proxy, reason="缺少收入证明")
    proxy.refresh_from_db()
    assert proxy.status == "returned" and proxy.handled_note == "缺少收入证明"


def test_a_village_worker_proxies_only_in_its_village_and_only_proxiable_items(catalogue, worker):
    elsewhere = family(LINYI_VILLAGE_2)
    with pytest.raises(DomainError):
        services.proxy_submit(actor=worker, id_number=elsewhere.head_id_number, item_code="dibao", facts=FACTS,
                              signature_png=png_bytes())
    mine = family()
    with pytest.raises(DomainError, match="cannot apply for this item"):
        services.proxy_submit(actor=worker, id_number=mine.head_id_number, item_code="tekun", facts=FACTS,
                              signature_png=png_bytes())
    with pytest.raises(DomainError, match="sign"):
        services.proxy_submit(actor=worker, id_number=mine.head_id_number, item_code="dibao", facts=FACTS)
    assert not ProxyApplication.objects.exists() and not Document.objects.exists()


def test_a_job_lost_reaches_the_registry_as_a_dated_declaration_and_runs_the_scan(catalogue, client, run_on_commit):
    from dajiuzhu.core.models import Job
    from dajiuzhu.registry.models import MemberFacts

    household = family()
    client.force_login(resident_of(household))
    spouse = household.members.exclude(pk=household.head_id).get()
    on = timezone.localdate() - dt.timedelta(days=3)
    with run_on_commit(execute=True):
        response = client.post("/m/change/", {"kind": "job_lost", "person": spouse.pk, "happened_on": on.isoformat()})
    assert response.status_code == 302
    report = ChangeReport.objects.get()
    assert report.recorded_in_registry
    facts = MemberFacts.objects.get(person=spouse, as_of=on)
    assert facts.employment == "unemployed" and facts.source == "declared"
    assert Job.objects.filter(kind="alerts.scan", params__region_prefix=household.region_code).exists()


def test_a_change_in_the_future_or_for_a_stranger_is_refused(catalogue):
    household, other = family(), family()
    resident = resident_of(household)
    with pytest.raises(DomainError):
        services.change_report(actor=resident, kind="illness", person_id=household.head_id,
                               happened_on=timezone.localdate() + dt.timedelta(days=1))
    with pytest.raises(DomainError):
        services.change_report(actor=resident, kind="illness", person_id=other.head_id,
                               happened_on=timezone.localdate())
    assert not ChangeReport.objects.exists()


def test_a_public_notice_and_a_payment_become_messages(catalogue, run_on_commit):
    from dajiuzhu.cases.window import window_submit
    from dajiuzhu.portal import receivers

    household = family()
    case = window_submit(actor=resident_of(household), item_codes=["dibao"], facts=FACTS, promise_signed=True,
                         authorisation_signed=True)

    class Notice:
        pk, ends_on = 7, timezone.localdate() + dt.timedelta(days=7)

    Notice.case = case
    receivers.on_notice(sender=None, notice=Notice)
    message = Message.objects.get(kind="notice")
    assert "noticeboard" in message.body and message.sms == Message.Sms.SENT

    class Batch:
        month = timezone.localdate().replace(day=1)

    class Line:
        pk, amount, item_name = 9, Decimal("244.00"), "最低生活保障（低保）"

    Line.household = household
    receivers.on_paid(sender=None, batch=Batch, lines=[Line])
    assert "244.00" in Message.objects.get(kind="payment").body
    receivers.on_paid(sender=None, batch=Batch, lines=[Line])  # one message per event
    assert Message.objects.filter(kind="payment").count() == 1
