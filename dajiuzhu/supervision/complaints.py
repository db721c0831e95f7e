"""Complaints and tips (投诉、举报): numbered, assigned, answered within a limit, closed; grouped by case,
handler or household; a tip about a recipient opens a verification of the household (checks app)."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.scoping import get_scoped, region_in_scope

from .calendar import calendar_for
from .models import Complaint
from .spotchecks import county_setting

PUBLIC_PER_HOUR = 5


def public_allowed(client_address: str) -> bool:
    """At most a few complaints an hour from one address (the public page has no login)."""
    key = "supervision:complaint:" + hashlib.sha256((client_address or "?").encode()).hexdigest()[:32]
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)
        count = 1
    return count <= PUBLIC_PER_HOUR


def _number(on: dt.date) -> str:
    prefix = f"TS{on:%Y%m%d}"
    last = (Complaint.objects.select_for_update().filter(number__startswith=prefix).order_by("-number")
            .values_list("number", flat=True).first())
    return f"{prefix}{(int(last[-4:]) + 1 if last else 1):04d}"


@transaction.atomic
def complaint_submit(*, actor=None, kind: str, text: str, region_code: str, channel: str, case=None,
                     case_number: str = "", subject_handler=None, anonymous: bool = True, contact: str = "",
                     on: dt.date | None = None) -> Complaint:
    """Take a complaint or tip lodged at ``region_code`` (a village or township of the county); anyone may
    lodge one (``actor`` None: the public page), anonymously or with a contact. Refuses an empty text, a
    case or handler outside the county where it is lodged, and a tip that names no case."""
    from dajiuzhu.cases.models import Case
    from dajiuzhu.regions.models import Region

    if kind not in Complaint.Kind.values:
        raise DomainError(_("choose a complaint or a tip"), field="kind")
    if channel not in Complaint.Channel.values:
        raise DomainError(_("unknown channel"), field="channel")
    text = (text or "").strip()
    if len(text) < 5:
        raise DomainError(_("describe what happened"), field="text")
    if len(text) > 4000:
        raise DomainError(_("the text is longer than 4,000 characters"), field="text")
    region = Region.objects.filter(code=region_code, level__gte=Region.Level.TOWNSHIP).first()
    if region is None:
        raise DomainError(_("unknown village or township"), field="region")
    county = region_code[:6]
    staff = actor is not None and getattr(actor, "is_authenticated", False) and actor.role != "resident"
    if staff and not region_in_scope(actor, region_code, perm="supervision.complaints"):
        raise Forbidden(_("you may not record complaints for this region"))
    if case is None and case_number:
        case = Case.objects.filter(number=case_number.strip()).first()
        if case is None:
            raise DomainError(_("no application has the number %(n)s") % {"n": case_number}, field="case")
    if case is not None and not case.region_code.startswith(county):
        raise DomainError(_("application %(n)s is not in this county: lodge the complaint where it was handled")
                          % {"n": case.number}, field="case")
    if staff and case is not None and not region_in_scope(actor, case.region_code, perm="supervision.complaints"):
        raise DomainError(_("application %(n)s is outside your jurisdiction") % {"n": case.number}, field="case")
    if subject_handler is not None and not (subject_handler.region_id or "").startswith(county):
        raise DomainError(_("that handler does not work in this county"), field="subject_handler")
    if kind == Complaint.Kind.TIP and case is None:
        raise DomainError(_("a tip names the recipient: choose the notice or give the application number"),
                          field="case")
    contact = (contact or "").strip()
    if not anonymous and not contact:
        raise DomainError(_("give a contact, or lodge it anonymously"), field="contact")
    on = on or timezone.localdate()
    if subject_handler is None and case is not None and kind == Complaint.Kind.COMPLAINT:
        subject_handler = case.created_by
    group = (f"case:{case.pk}" if case is not None else
             f"handler:{subject_handler.pk}" if subject_handler is not None else "")
    due = calendar_for(county).add(on, county_setting(county).complaint_days)
    complaint = Complaint.objects.create(
        number=_number(on), kind=kind, channel=channel, region_code=case.region_code if case else region_code,
        case=case, household_id=case.household_id if case else None, subject_handler=subject_handler, text=text,
        anonymous=anonymous, contact="" if anonymous else contact[:60],
        lodged_by=actor if getattr(actor, "is_authenticated", False) else None, due_on=due, group_key=group)
    audit_record(actor=actor, action="supervision.complaint_submit", obj=complaint, region_code=complaint.region_code,
                 new={"number": complaint.number, "kind": kind, "channel": channel, "case": getattr(case, "pk", None),
                      "anonymous": anonymous, "due_on": due})
    return complaint


def _lock(actor, complaint: Complaint, perm: str) -> Complaint:
    return get_scoped(Complaint.objects.select_for_update(of=("self",)), actor, perm=perm, pk=complaint.pk)


@transaction.atomic
def complaint_assign(*, actor, complaint: Complaint, assignee) -> Complaint:
    complaint = _lock(actor, complaint, "supervision.manage")
    if complaint.status == Complaint.Status.CLOSED:
        raise InvalidTransition(_("the complaint is closed"))
    if assignee is None or not region_in_scope(assignee, complaint.region_code, perm="supervision.complaints"):
        raise DomainError(_("the handler must be a staff member who may answer complaints of this region"),
                          field="assignee")
    if complaint.subject_handler_id == assignee.pk:
        raise DomainError(_("a complaint cannot be handled by the person it is about"), field="assignee")
    old = complaint.assignee_id
    complaint.assignee = assignee
    complaint.save(update_fields=["assignee"])
    audit_record(actor=actor, action="supervision.complaint_assign", obj=complaint, region_code=complaint.region_code,
                 old={"assignee": old}, new={"assignee": assignee.pk})
    return complaint


def _may_answer(actor, complaint: Complaint) -> None:
    if complaint.assignee_id != actor.pk and not actor.has_perm_code("supervision.manage"):
        raise Forbidden(_("only the assigned handler or the county answers this complaint"))


@transaction.atomic
def complaint_answer(*, actor, complaint: Complaint, answer: str) -> Complaint:
    complaint = _lock(actor, complaint, "supervision.complaints")
    _may_answer(actor, complaint)
    if complaint.status != Complaint.Status.OPEN:
        raise InvalidTransition(_("the complaint has already been answered"))
    answer = (answer or "").strip()
    if len(answer) < 5:
        raise DomainError(_("write the answer"), field="answer")
    complaint.answer, complaint.answered_at, complaint.status = answer, timezone.now(), Complaint.Status.ANSWERED
    complaint.save(update_fields=["answer", "answered_at", "status"])
    audit_record(actor=actor, action="supervision.complaint_answer", obj=complaint, region_code=complaint.region_code,
                 new={"answer": answer})
    return complaint


@transaction.atomic
def complaint_close(*, actor, complaint: Complaint) -> Complaint:
    complaint = _lock(actor, complaint, "supervision.complaints")
    _may_answer(actor, complaint)
    if complaint.status != Complaint.Status.ANSWERED:
        raise InvalidTransition(_("answer the complaint before closing it"))
    complaint.status, complaint.closed_at = Complaint.Status.CLOSED, timezone.now()
    complaint.save(update_fields=["status", "closed_at"])
    audit_record(actor=actor, action="supervision.complaint_close", obj=complaint, region_code=complaint.region_code,
                 new={"status": "closed"})
    return complaint


@transaction.atomic
def complaint_open_verification(*, actor, complaint: Complaint, on: dt.date | None = None) -> Complaint:
    """A tip about a recipient: verify the household's economic status now (checks app)."""
    from dajiuzhu.checks.services import verify_household

    complaint = _lock(actor, complaint, "supervision.complaints")
    _may_answer(actor, complaint)
    if complaint.kind != Complaint.Kind.TIP or complaint.household_id is None:
        raise DomainError(_("only a tip about a recipient opens a verification"), field="kind")
    if complaint.verification_report_id:
        raise DomainError(_("a verification was already opened for this tip"), field="kind")
    report = verify_household(actor=actor, household=complaint.household, as_of=on or timezone.localdate())
    complaint.verification_report_id = report.pk
    complaint.save(update_fields=["verification_report_id"])
    audit_record(actor=actor, action="supervision.complaint_verify", obj=complaint, region_code=complaint.region_code,
                 new={"report": report.pk})
    return complaint


@transaction.atomic
def rating_record(*, actor, case, score: int, source: str, comment: str = ""):
    """A resident's satisfaction with a handled application (1–5): from a staff call-back (回访) in the case's
    region, or from the resident of the case's household on the resident pages. One rating per source and
    case; counted for the handler who accepted the case."""
    from dajiuzhu.registry.models import Person

    from .models import Rating

    if source not in Rating.Source.values:
        raise DomainError(_("unknown source of the rating"), field="source")
    try:
        score = int(score)
    except (TypeError, ValueError):
        raise DomainError(_("the satisfaction must be a whole number from 1 to 5"), field="score") from None
    if not 1 <= score <= 5:
        raise DomainError(_("the satisfaction must be a whole number from 1 to 5"), field="score")
    if source == Rating.Source.RESIDENT:
        own = Person.objects.filter(id_hash=getattr(actor, "person_id_hash", "") or "-",
                                    household_id=case.household_id).exists()
        if getattr(actor, "role", "") != "resident" or not own:
            raise Forbidden(_("only the household's resident rates its application"))
    elif not region_in_scope(actor, case.region_code, perm="supervision.complaints"):
        raise Forbidden(_("you may not record call-backs for this application"))
    if Rating.objects.filter(case=case, source=source).exists():
        raise DomainError(_("this application has already been rated from this source"), field="case")
    rating = Rating.objects.create(case=case, region_code=case.region_code, handler_id=case.created_by_id,
                                   score=score, source=source, comment=(comment or "").strip()[:2000])
    audit_record(actor=actor, action="supervision.rating_record", obj=rating, region_code=case.region_code,
                 new={"case": case.pk, "score": score, "source": source})
    return rating
