"""Writes of the portal: signing in by code, applying online, following an application, reporting a
change, messages, and the village service rooms' proxied applications (代办).

Every function is keyword-only and atomic, and audits what it did (a refusal that stores nothing is
audited on its own, so an attempt is never lost). The application itself is always the cases app's
(``cases.window.window_submit``): the same case staff see, on channel "online" or "proxy".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core import crypto
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.ids import InvalidIdNumber, mask_id_number, mask_phone, parse_id_number
from dajiuzhu.core.normalise import parse_phone
from dajiuzhu.core.sms import SmsError, sms_send

from . import codes, uploads
from .models import ChangeReport, Document, DocumentRequest, Message, OneTimeCode, ProxyApplication
from .policies import can_handle_proxy, can_proxy_for


def audit_refusal(*, actor, action: str, region_code: str = "", detail: Mapping | None = None) -> None:
    """Record a refused attempt (its own transaction: the refusal itself stores nothing)."""
    with transaction.atomic():
        audit_record(actor=actor if getattr(actor, "is_authenticated", False) else None, action=action,
                     object_type="portal", region_code=region_code, new=dict(detail or {}))


# --------------------------------------------------------------------------- signing in


def _parse_identity(id_number: str, phone: str) -> tuple[str, str]:
    try:
        number = parse_id_number(id_number).number
    except InvalidIdNumber:
        raise DomainError(_("The ID number is not valid. Please check it and type it again."),
                          field="id_number") from None
    try:
        phone = parse_phone(phone)
    except ValueError:
        phone = ""
    if not phone or not phone.startswith("1"):
        raise DomainError(_("Please type the 11-digit mobile phone number."), field="phone")
    return number, phone


def sign_in_start(*, id_number: str, phone: str, address: str) -> OneTimeCode:
    """Check the ID number and the phone against the registry and send a code; refuses politely
    (nothing stored, the attempt audited) a person not in the county or a phone not on record."""
    from dajiuzhu.registry.models import Person

    try:
        number, phone = _parse_identity(id_number, phone)
    except DomainError as exc:
        audit_refusal(actor=None, action="portal.sign_in.refused", detail={"reason": exc.field})
        raise
    person = (Person.objects.select_related("household").filter(id_hash=crypto.blind_index(number))
              .exclude(household__isnull=True).first())
    detail = {"id": mask_id_number(number), "phone": mask_phone(phone)}
    if person is None or not person.region_code.startswith(settings.PORTAL_COUNTY_CODE[:6]):
        audit_refusal(actor=None, action="portal.sign_in.refused", detail={**detail, "reason": "not_registered"})
        raise DomainError(_("We cannot find this ID number among the families of the county. Please ask your "
                            "village service room or the township window."), field="id_number")
    if not person.phone_hash or person.phone_hash != crypto.blind_index(phone):
        audit_refusal(actor=None, action="portal.sign_in.refused", region_code=person.region_code,
                      detail={**detail, "reason": "phone_mismatch"})
        raise DomainError(_("This phone number is not the one on record for this ID number. Please ask your "
                            "village service room to record your phone."), field="phone")
    try:
        row, result = codes.code_issue(purpose=OneTimeCode.Purpose.SIGN_IN, phone=phone, id_hash=person.id_hash,
                                       address=address)
    except codes.CodeRefused as exc:
        audit_refusal(actor=None, action="portal.sign_in.refused", region_code=person.region_code,
                      detail={**detail, "reason": "rate_limited"})
        raise exc
    with transaction.atomic():
        audit_record(actor=None, action="portal.code.sent", object_type="portal", region_code=person.region_code,
                     new={**detail, "purpose": "sign_in", "sms": result.backend, "sent": result.ok})
    return row


def sign_in_finish(*, code_id: int | None, id_number: str, phone: str, code: str):
    """Spend the code and return the resident's account (made on the first sign-in); audited."""
    from dajiuzhu.accounts.models import User
    from dajiuzhu.registry.models import Person

    number, phone = _parse_identity(id_number, phone)
    id_hash = crypto.blind_index(number)
    detail = {"id": mask_id_number(number), "phone": mask_phone(phone)}
    try:
        row = codes.code_verify(code_id=code_id, purpose=OneTimeCode.Purpose.SIGN_IN, phone=phone, code=code)
    except codes.CodeRefused:
        audit_refusal(actor=None, action="portal.sign_in.failed", detail=detail)
        raise
    if row.id_hash != id_hash:
        audit_refusal(actor=None, action="portal.sign_in.failed", detail={**detail, "reason": "other_person"})
        raise codes.CodeRefused(_("This code was sent for another ID number. Please ask for a new one."), field="code")
    with transaction.atomic():
        person = Person.objects.select_related("household").filter(id_hash=id_hash).exclude(household__isnull=True).first()
        if person is None:
            raise DomainError(_("We cannot find this ID number among the families of the county."), field="id_number")
        user = User.objects.filter(role="resident", person_id_hash=id_hash).order_by("id").first()
        created = user is None
        if created:
            user = User(username=f"resident-{id_hash[:20]}", role="resident", person_id_hash=id_hash)
            user.set_unusable_password()
        user.full_name, user.region_id, user.is_active = person.name, person.household.region_code, True
        user.save()
        audit_record(actor=user, action="portal.sign_in", obj=user, region_code=person.household.region_code,
                     new={**detail, "account_created": created})
    return user


# --------------------------------------------------------------------------- messages


def _family_phone(household) -> str:
    head = household.head
    if head is not None and head.phone:
        return head.phone
    member = household.members.exclude(phone_hash="").order_by("birth_date").first()
    return member.phone if member is not None else ""


def message_post(*, household, kind: str, title: str, body: str, event_key: str, case=None,
                 sms: bool = True) -> Message | None:
    """One message in the family's inbox (once per event) and, where the family has a phone, an SMS;
    the sending is recorded on the message. Returns None if the event was already told."""
    with transaction.atomic():
        message, created = Message.objects.get_or_create(
            household=household, event_key=event_key[:80],
            defaults={"region_code": household.region_code, "case": case, "kind": kind, "title": title[:120],
                      "body": body})
        if not created:
            return None
    if sms:
        phone = _family_phone(household)
        if not phone:
            message.sms = Message.Sms.NO_PHONE
        else:
            try:
                result = sms_send(phone=phone, template="notice", params=[f"{title}：{body}"[:300]])
            except SmsError as exc:
                result = None
                message.sms, message.sms_error = Message.Sms.FAILED, str(exc)[:200]
            if result is not None:
                message.sms = Message.Sms.SENT if result.ok else Message.Sms.FAILED
                message.sms_backend, message.sms_reference = result.backend, result.provider_id[:80]
                message.sms_error = result.error[:200]
        message.sms_at = timezone.now()
        message.save(update_fields=["sms", "sms_backend", "sms_reference", "sms_error", "sms_at"])
    return message


@transaction.atomic
def message_mark_read(*, actor, message: Message) -> None:
    if message.read_at is None:
        Message.objects.filter(pk=message.pk).update(read_at=timezone.now())


# --------------------------------------------------------------------------- documents


def document_add(*, actor, household, data: bytes, label: str, kind: str = Document.Kind.PHOTO, case=None,
                 proxy=None, request=None) -> Document:
    """Check, re-encode and store one image sealed; the row says whose it is. Refuses, storing nothing."""
    stored = uploads.image_store(data, signature=kind == Document.Kind.SIGNATURE)
    try:
        with transaction.atomic():
            document = Document.objects.create(household=household, region_code=household.region_code, case=case,
                                               proxy=proxy, request=request, kind=kind, label=(label or "")[:100]
                                               or _("document"), uploaded_by=actor, **stored)
            audit_record(actor=actor, action="portal.document.upload", obj=document, region_code=household.region_code,
                         new={"kind": kind, "label": document.label, "size": document.size, "sha256": document.sha256,
                              "case": case.pk if case else None, "proxy": proxy.pk if proxy else None})
    except Exception:
        uploads.image_delete(stored["stored_name"])
        raise
    return document


def _check_online_item(code: str, *, proxy: bool = False):
    from dajiuzhu.programs.models import AssistanceItem

    item = AssistanceItem.objects.filter(code=code, active=True).first()
    allowed = item is not None and (item.village_proxy if proxy else item.online_application)
    if not allowed:
        raise DomainError(_("This item cannot be applied for online. Please apply at your village service room "
                            "or the township window.") if not proxy else
                          _("A village service room cannot apply for this item; the family applies at the township "
                            "window."), field="item")
    return item


def sign_code_send(*, actor, address: str) -> OneTimeCode:
    """Send the resident a code to sign the promise and the authorisation."""
    from .selectors import resident_person

    person = resident_person(actor=actor)
    if not person.phone:
        raise DomainError(_("No mobile phone is on record for you. Please ask your village service room."))
    row, _result = codes.code_issue(purpose=OneTimeCode.Purpose.SIGN, phone=person.phone, id_hash=person.id_hash,
                                    address=address, label=_("the promise and the authorisation"))
    return row


def online_apply(*, actor, item_code: str, facts: Mapping, code_id: int | None, code: str,
                 document_ids: Sequence[int] = (), on: dt.date | None = None):
    """The resident applies for an item open online: signs by code, declares the facts, and the case is
    decided at once (trust-first) or enters the township's queue (check-first), as at a window."""
    from dajiuzhu.cases.window import window_submit

    from .selectors import resident_person

    person = resident_person(actor=actor)
    household = person.household
    try:
        _check_online_item(item_code)
    except DomainError as exc:
        audit_refusal(actor=actor, action="portal.apply.refused", region_code=household.region_code,
                      detail={"item": item_code, "reason": exc.message})
        raise
    try:
        codes.code_verify(code_id=code_id, purpose=OneTimeCode.Purpose.SIGN, phone=person.phone, code=code)
    except codes.CodeRefused:
        audit_refusal(actor=actor, action="portal.sign.failed", region_code=household.region_code,
                      detail={"item": item_code})
        raise
    with transaction.atomic():
        case = window_submit(actor=actor, item_codes=[item_code], facts=facts, promise_signed=True,
                             authorisation_signed=True, on=on, note=_("applied online (掌上办), signed by code"))
        Document.objects.filter(pk__in=list(document_ids), household=household, case__isnull=True,
                                proxy__isnull=True).update(case=case)
        audit_record(actor=actor, action="portal.apply", obj=case, region_code=household.region_code,
                     new={"item": item_code, "documents": len(document_ids), "signed_by": "one-time code"})
    message_post(household=household, kind=Message.Kind.RECEIVED, case=case, event_key=f"received:{case.pk}",
                 title=_("Application received"),
                 body=_("We have received your application %(number)s. You can follow it in 掌上办.")
                 % {"number": case.number})
    return case


# --------------------------------------------------------------------------- following an application


def appeal_online(*, actor, case_item, grounds: str, on: dt.date | None = None):
    """The resident appeals a refusal or a revocation within ``PORTAL_APPEAL_DAYS`` of the decision."""
    from dajiuzhu.cases.services import appeal_lodge

    on = on or timezone.localdate()
    decided = case_item.decided_at
    revocation = case_item.revocations.filter(cancelled_at__isnull=True).first()
    start = revocation.revoked_on if revocation else (timezone.localtime(decided).date() if decided else on)
    deadline = start + dt.timedelta(days=settings.PORTAL_APPEAL_DAYS)
    if on > deadline:
        audit_refusal(actor=actor, action="portal.appeal.refused", region_code=case_item.region_code,
                      detail={"case_item": case_item.pk, "deadline": deadline.isoformat()})
        raise DomainError(_("The time to appeal this decision ended on %(date)s. Please ask the township window "
                            "what you can still do.") % {"date": f"{deadline.year}年{deadline.month}月{deadline.day}日"},
                          field="grounds")
    return appeal_lodge(actor=actor, case_item=case_item, grounds=grounds)


def appeal_deadline(case_item) -> dt.date | None:
    revocation = case_item.revocations.filter(cancelled_at__isnull=True).first()
    if revocation:
        return revocation.revoked_on + dt.timedelta(days=settings.PORTAL_APPEAL_DAYS)
    if case_item.decided_at:
        return timezone.localtime(case_item.decided_at).date() + dt.timedelta(days=settings.PORTAL_APPEAL_DAYS)
    return None


def objection_online(*, actor, notice_id: int, text: str):
    """The resident objects to a public notice in force in their own village (公示异议)."""
    from dajiuzhu.cases.services import objection_lodge

    from .selectors import notices_near, resident_household

    household = resident_household(actor=actor)
    notice = notices_near(household=household).filter(pk=notice_id).first()
    if notice is None:
        raise Http404("No notice matches the given query.")
    objection = objection_lodge(notice=notice, text=text, contact=_("resident online (掌上办)"))
    with transaction.atomic():
        audit_record(actor=actor, action="portal.objection", obj=objection, region_code=notice.region_code,
                     new={"notice": notice.pk})
    return objection


CHANGE_FACTS = {ChangeReport.Kind.JOB_LOST: {"employment": "unemployed"},
                ChangeReport.Kind.ILLNESS: {"health": "serious"}}


def change_report(*, actor, kind: str, person_id: int | None, happened_on: dt.date, note: str = "") -> ChangeReport:
    """A change of circumstances: kept as a report, written to the registry as a dated declaration where the
    family's word is enough (a job lost, an illness), and the household's early-warning scan is run."""
    from dajiuzhu.core.jobs import job_enqueue
    from dajiuzhu.registry.services import member_facts_record

    from .selectors import resident_household

    household = resident_household(actor=actor)
    if kind not in ChangeReport.Kind.values:
        raise DomainError(_("Please choose what changed."), field="kind")
    if happened_on > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field="happened_on")
    person = None
    if person_id:
        person = household.members.filter(pk=person_id).first()
        if person is None:
            raise DomainError(_("Please choose a member of your household."), field="person")
    elif kind != ChangeReport.Kind.BIRTH:
        raise DomainError(_("Please choose the member concerned."), field="person")
    with transaction.atomic():
        report = ChangeReport.objects.create(household=household, region_code=household.region_code, person=person,
                                             kind=kind, happened_on=happened_on, note=(note or "")[:300],
                                             reported_by=actor)
        if kind in CHANGE_FACTS and person is not None:
            member_facts_record(actor=actor, person=person, as_of=happened_on, values=CHANGE_FACTS[kind],
                                declared_change=True)
            report.recorded_in_registry = True
            report.save(update_fields=["recorded_in_registry"])
        audit_record(actor=actor, action="portal.change", obj=report, region_code=household.region_code,
                     new={"kind": kind, "happened_on": happened_on, "registry": report.recorded_in_registry})
        on = timezone.localdate()
        transaction.on_commit(lambda: job_enqueue(kind="alerts.scan", actor=None, region_code=household.region_code,
                                                  params={"on": on.isoformat(), "region_prefix": household.region_code}))
    message_post(household=household, kind=Message.Kind.CHANGE, event_key=f"change:{report.pk}", sms=False,
                 title=_("Change reported"),
                 body=_("Thank you. Your village service room will contact you if anything is needed."))
    return report


@transaction.atomic
def document_request_create(*, actor, case, what: str, due: dt.date) -> DocumentRequest:
    """Staff ask the family for a document by a date (补充材料); the family is told."""
    from dajiuzhu.core.scoping import region_in_scope

    if not region_in_scope(actor, case.region_code, perm="cases.handle"):
        raise Http404("No case matches the given query.")
    what = (what or "").strip()
    if not what:
        raise DomainError(_("say which document"), field="what")
    if due < timezone.localdate():
        raise DomainError(_("the date must not be in the past"), field="due")
    request = DocumentRequest.objects.create(case=case, household=case.household, region_code=case.region_code,
                                             what=what[:100], due=due, asked_by=actor)
    audit_record(actor=actor, action="portal.request", obj=request, region_code=case.region_code,
                 new={"case": case.pk, "what": request.what, "due": due})
    transaction.on_commit(lambda: message_post(
        household=case.household, kind=Message.Kind.DOCUMENTS, case=case, event_key=f"request:{request.pk}",
        title=_("Please send a document"),
        body=_("Please send %(what)s by %(date)s (application %(number)s).")
        % {"what": request.what, "date": f"{due.month}月{due.day}日", "number": case.number}))
    return request


def request_fulfil(*, actor, request_id: int, data: bytes) -> Document:
    """The family uploads what was asked for."""
    from .selectors import resident_household

    household = resident_household(actor=actor)
    request = DocumentRequest.objects.filter(pk=request_id, household=household).select_related("case").first()
    if request is None:
        raise Http404("No request matches the given query.")
    document = document_add(actor=actor, household=household, data=data, label=request.what, case=request.case,
                            request=request)
    DocumentRequest.objects.filter(pk=request.pk).update(fulfilled_at=timezone.now())
    return document


# --------------------------------------------------------------------------- village service rooms (代办)


def proxy_submit(*, actor, id_number: str, item_code: str, facts: Mapping, signature_png: bytes = b"",
                 signed_form: bytes = b"", photos: Sequence[tuple[str, bytes]] = (), note: str = "") -> ProxyApplication:
    """A village worker takes an application for a resident of its village; it waits for the township."""
    from dajiuzhu.cases.window import _parse_facts, lookup_person

    if not getattr(actor, "is_authenticated", False) or actor.role != "village_worker":
        raise Forbidden(_("only a village worker applies on a resident's behalf"))
    person = lookup_person(actor=actor, id_number=id_number)
    if person is None or not can_proxy_for(actor, person.household):
        audit_refusal(actor=actor, action="portal.proxy.refused", region_code=actor.region_id,
                      detail={"reason": "household"})
        raise DomainError(_("No household of your village has this ID number."), field="id_number")
    _check_online_item(item_code, proxy=True)
    values = _parse_facts(facts)
    if not signature_png and not signed_form:
        raise DomainError(_("The resident must sign on the phone, or you send a photo of the signed paper form."),
                          field="signature")
    household = person.household
    # Check every image first: a refusal stores nothing.
    checked = [(Document.Kind.SIGNATURE if signature_png else Document.Kind.SIGNED_FORM,
                _("signature of the applicant") if signature_png else _("signed paper form"),
                signature_png or signed_form)] + [(Document.Kind.PHOTO, label, data) for label, data in photos]
    for kind, _label, data in checked:
        uploads.reencode(data, signature=kind == Document.Kind.SIGNATURE)
    with transaction.atomic():
        proxy = ProxyApplication.objects.create(
            household=household, applicant=person, region_code=household.region_code, item_codes=[item_code],
            facts={k: str(v) for k, v in values.items()}, note=(note or "")[:300], worker=actor)
        for kind, label, data in checked:
            document_add(actor=actor, household=household, data=data, label=label, kind=kind, proxy=proxy)
        audit_record(actor=actor, action="portal.proxy.submit", obj=proxy, region_code=household.region_code,
                     new={"item": item_code, "documents": len(checked), "signature": checked[0][0]})
    message_post(household=household, kind=Message.Kind.PROXY, event_key=f"proxy:{proxy.pk}",
                 title=_("Application taken by your village service room"),
                 body=_("Your village service room has sent your application to the township window, which will "
                        "accept it and tell you the decision."))
    return proxy


def proxy_accept(*, actor, proxy: ProxyApplication):
    """The township window accepts a proxied application: it is submitted then (channel "proxy") and its
    trust-first items are decided at once, as at the window."""
    from dajiuzhu.cases.models import Channel
    from dajiuzhu.cases.window import window_submit

    if not can_handle_proxy(actor, proxy):
        raise Http404("No application matches the given query.")
    with transaction.atomic():
        locked = ProxyApplication.objects.select_for_update().get(pk=proxy.pk)
        if locked.status != ProxyApplication.Status.WAITING:
            raise DomainError(_("this application has already been handled"))
        case = window_submit(actor=actor, household_id=locked.household_id, item_codes=locked.item_codes,
                             facts=locked.facts, promise_signed=True, authorisation_signed=True,
                             channel=Channel.PROXY, note=_("taken by the village service room (代办), proxied by %(who)s")
                             % {"who": locked.worker.display_name})
        locked.status, locked.case = ProxyApplication.Status.ACCEPTED, case
        locked.handled_by, locked.handled_at = actor, timezone.now()
        locked.save(update_fields=["status", "case", "handled_by", "handled_at"])
        Document.objects.filter(proxy=locked).update(case=case)
        audit_record(actor=actor, action="portal.proxy.accept", obj=locked, region_code=locked.region_code,
                     new={"case": case.number})
    return case


@transaction.atomic
def proxy_return(*, actor, proxy: ProxyApplication, reason: str) -> ProxyApplication:
    if not can_handle_proxy(actor, proxy):
        raise Http404("No application matches the given query.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("say why the application is returned"), field="reason")
    locked = ProxyApplication.objects.select_for_update().get(pk=proxy.pk)
    if locked.status != ProxyApplication.Status.WAITING:
        raise DomainError(_("this application has already been handled"))
    locked.status, locked.handled_by, locked.handled_at = ProxyApplication.Status.RETURNED, actor, timezone.now()
    locked.handled_note = reason[:300]
    locked.save(update_fields=["status", "handled_by", "handled_at", "handled_note"])
    audit_record(actor=actor, action="portal.proxy.return", obj=locked, region_code=locked.region_code,
                 new={"reason": locked.handled_note})
    return locked

