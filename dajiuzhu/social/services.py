"""Writes of social forces: the register, projects, service orders (派单) and visits.

Every function is keyword-only, transactional and audited; a refusal is a ``DomainError`` naming the
field and the reason, and leaves nothing written. Quality and settlement are in ``quality.py``,
volunteers and charity wishes in ``charity.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.ids import mask_phone
from dajiuzhu.core.intake.sealed import SealedWriter
from dajiuzhu.core.money import money
from dajiuzhu.core.normalise import clean_text, parse_phone
from dajiuzhu.core.regioncodes import prefix_of
from dajiuzhu.regions.models import Region
from dajiuzhu.results.models import Category, Kind, Source
from dajiuzhu.results.services import RecordInput, assistance_record_create

from . import policies
from .models import (
    OPEN_ORDER_STATUSES,
    Order,
    OrderSource,
    OrderStatus,
    Organisation,
    OrganisationUser,
    OrgStatus,
    Price,
    Project,
    Qualification,
    ServiceArea,
    ServiceKind,
    Visit,
    VisitPhoto,
)

UNIT_HOURS = {ServiceKind.VISIT: Decimal("1"), ServiceKind.CARE_HOUR: Decimal("1"),
              ServiceKind.COUNSELLING: Decimal("1"), ServiceKind.TRAINING_DAY: Decimal("6")}
PHOTO_TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG"}
PHOTO_MAX_BYTES = 5 * 1024 * 1024


def month_start(value: dt.date | str) -> dt.date:
    """The first day of the month of ``value`` (a date or ``YYYY-MM``)."""
    if isinstance(value, str):
        try:
            return dt.date(int(value[:4]), int(value[5:7]), 1)
        except (ValueError, IndexError):
            raise DomainError(_("not a month (YYYY-MM): %(value)s") % {"value": value}, field="month") from None
    return value.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _require(actor, perm: str, region_code: str) -> None:
    from dajiuzhu.core.scoping import region_in_scope

    if not region_in_scope(actor, region_code, perm=perm):
        raise Forbidden(_("you may not do this here"))


# ---------------------------------------------------------------------------------------------
# The register of organisations

def validate_credit_code(value: str) -> str:
    """统一社会信用代码 (GB 32100-2015): 18 characters with the check character; returns it upper-case."""
    code = clean_text(value).upper().replace(" ", "")
    try:
        return uscc.validate(code)
    except StdnumError:
        raise DomainError(_("the unified social credit code %(code)s is not valid (GB 32100: wrong length, "
                            "characters or check character)") % {"code": code or "—"}, field="credit_code") from None


def _area_regions(codes: Iterable[str], county: str) -> list[Region]:
    regions = []
    for code in codes:
        region = Region.objects.filter(code=clean_text(code)).first()
        if region is None:
            raise DomainError(_("no region with the code %(code)s") % {"code": code}, field="areas")
        if not region.code.startswith(county[:6]):
            raise DomainError(_("%(name)s is outside the county of the register") % {"name": region.name},
                              field="areas")
        regions.append(region)
    if not regions:
        raise DomainError(_("name at least one region the organisation serves"), field="areas")
    return regions


@transaction.atomic
def organisation_register(*, actor, name: str, credit_code: str, authority: str, region_code: str,
                          services: Sequence[str], area_codes: Sequence[str], contact_name: str,
                          contact_phone: str = "", kind: str = "",
                          qualifications: Sequence[Mapping] = ()) -> Organisation:
    """Put an organisation on the county's register (its service area, contacts, qualification documents)."""
    _require(actor, "social.manage", region_code)
    name = clean_text(name)
    if not name:
        raise DomainError(_("the organisation needs a name"), field="name")
    code = validate_credit_code(credit_code)
    if Organisation.objects.filter(credit_code=code).exists():
        raise DomainError(_("an organisation with the credit code %(code)s is already registered") % {"code": code},
                          field="credit_code")
    if Organisation.objects.filter(name=name).exists():
        raise DomainError(_("an organisation named %(name)s is already registered") % {"name": name}, field="name")
    unknown = set(services) - set(ServiceKind.values)
    if unknown or not services:
        raise DomainError(_("choose the services offered from the list"), field="services")
    if not clean_text(authority):
        raise DomainError(_("name the registration authority"), field="authority")
    if not clean_text(contact_name):
        raise DomainError(_("name a contact person"), field="contact_name")
    try:
        phone = parse_phone(contact_phone) if clean_text(contact_phone) else ""
    except ValueError as exc:
        raise DomainError(str(exc), field="contact_phone") from None
    regions = _area_regions(area_codes, region_code)
    org = Organisation.objects.create(
        name=name, credit_code=code, authority=clean_text(authority), kind=clean_text(kind), services=list(services),
        region_code=region_code, contact_name=clean_text(contact_name), contact_phone=phone,
        contact_phone_masked=mask_phone(phone))
    ServiceArea.objects.bulk_create([ServiceArea(organisation=org, region_code=r.code, prefix=r.prefix)
                                     for r in regions])
    for doc in qualifications:
        if not clean_text(doc.get("name")):
            raise DomainError(_("a qualification document needs its name"), field="qualifications")
        Qualification.objects.create(organisation=org, name=clean_text(doc["name"]),
                                     number=clean_text(doc.get("number")), issued_by=clean_text(doc.get("issued_by")),
                                     expires_on=doc.get("expires_on"))
    audit_record(actor=actor, action="social.organisation_register", obj=org,
                 new={"name": name, "credit_code": code, "areas": [r.code for r in regions], "services": list(services)})
    return org


@transaction.atomic
def organisation_set_status(*, actor, organisation: Organisation, status: str, reason: str) -> Organisation:
    _require(actor, "social.manage", organisation.region_code)
    if status not in OrgStatus.values:
        raise DomainError(_("unknown status"), field="status")
    if not clean_text(reason):
        raise DomainError(_("give the reason"), field="reason")
    old = organisation.status
    organisation.status = status
    organisation.save(update_fields=["status"])
    audit_record(actor=actor, action="social.organisation_status", obj=organisation, old={"status": old},
                 new={"status": status, "reason": reason[:200]})
    return organisation


@transaction.atomic
def organisation_link_user(*, actor, organisation: Organisation, user, is_coordinator: bool = False) -> OrganisationUser:
    """Make ``user`` (role social_org) a user of the organisation."""
    _require(actor, "social.manage", organisation.region_code)
    if user.role != "social_org":
        raise DomainError(_("only a social organisation account can be linked to an organisation"), field="user")
    link, _created = OrganisationUser.objects.update_or_create(
        user=user, defaults={"organisation": organisation, "is_coordinator": is_coordinator})
    audit_record(actor=actor, action="social.organisation_user", obj=organisation,
                 new={"user": user.username, "coordinator": is_coordinator})
    return link


def serves_region(organisation: Organisation, region_code: str) -> bool:
    return any(region_code.startswith(p) for p in organisation.areas.values_list("prefix", flat=True))


# ---------------------------------------------------------------------------------------------
# Projects

@transaction.atomic
def project_create(*, actor, name: str, region_code: str, department, budget, start: dt.date, end: dt.date,
                   organisations: Sequence[Organisation], prices: Mapping[str, object], target_groups: str = "",
                   visits_per_person_month: int = 1, satisfaction_target=Decimal("4"),
                   case_item_codes: Sequence[str] = ()) -> Project:
    """政府购买服务: a project, its contracted organisations and its price list."""
    _require(actor, "social.manage", region_code)
    if not clean_text(name):
        raise DomainError(_("the project needs a name"), field="name")
    budget = money(budget)
    if budget <= 0:
        raise DomainError(_("the budget must be more than nil"), field="budget")
    if end < start:
        raise DomainError(_("the project ends before it starts"), field="end")
    if not organisations:
        raise DomainError(_("contract at least one organisation"), field="organisations")
    for org in organisations:
        if org.status != OrgStatus.ACTIVE:
            raise DomainError(_("%(name)s is not active on the register") % {"name": org.name}, field="organisations")
    if not prices:
        raise DomainError(_("the service catalogue needs at least one unit price"), field="prices")
    lines = []
    for kind, price in prices.items():
        if kind not in ServiceKind.values:
            raise DomainError(_("unknown service %(kind)s") % {"kind": kind}, field="prices")
        price = money(price)
        if price <= 0:
            raise DomainError(_("the unit price of %(kind)s must be more than nil") % {"kind": ServiceKind(kind).label},
                              field="prices")
        lines.append((kind, price))
    project = Project.objects.create(
        name=clean_text(name), region_code=region_code, department=department, budget=budget, start=start, end=end,
        target_groups=clean_text(target_groups)[:300], visits_per_person_month=visits_per_person_month,
        satisfaction_target=satisfaction_target, case_item_codes=list(case_item_codes))
    project.organisations.set(organisations)
    Price.objects.bulk_create([Price(project=project, kind=k, unit_price=p) for k, p in lines])
    audit_record(actor=actor, action="social.project_create", obj=project,
                 new={"name": project.name, "budget": budget, "start": start, "end": end,
                      "organisations": [o.pk for o in organisations], "prices": {k: p for k, p in lines}})
    return project


# ---------------------------------------------------------------------------------------------
# Orders

def _check_order(*, project: Project, organisation: Organisation, household, kind: str, month: dt.date) -> None:
    if organisation.status != OrgStatus.ACTIVE:
        raise DomainError(_("%(name)s is not active on the register") % {"name": organisation.name},
                          field="organisation")
    if not project.organisations.filter(pk=organisation.pk).exists():
        raise DomainError(_("%(name)s is not contracted in this project") % {"name": organisation.name},
                          field="organisation")
    if not household.region_code.startswith(prefix_of(project.region_code)):
        raise DomainError(_("the household lives outside the project's area"), field="household")
    if not serves_region(organisation, household.region_code):
        raise DomainError(_("the household lives outside the service area of %(name)s")
                          % {"name": organisation.name}, field="household")
    if not project.prices.filter(kind=kind).exists():
        raise DomainError(_("the project has no price for %(kind)s") % {"kind": ServiceKind(kind).label}, field="kind")
    if not (month_start(project.start) <= month <= project.end):
        raise DomainError(_("the month lies outside the project's period"), field="month")


def _order_snapshot(order: Order) -> dict:
    return {"project": order.project_id, "organisation": order.organisation_id, "household": order.household_id,
            "kind": order.kind, "quantity": order.quantity, "source": order.source, "month": order.month,
            "due_on": order.due_on, "status": order.status}


@transaction.atomic
def order_create(*, actor, project: Project, organisation: Organisation, household, kind: str,
                 person=None, quantity: Decimal = Decimal("1"), needs: str = "", source: str = OrderSource.MANUAL,
                 source_ref: str = "", month: dt.date | None = None, due_on: dt.date | None = None,
                 dedupe_key: str = "") -> tuple[Order, bool]:
    """Send one service order to an organisation; returns ``(order, created)`` (an existing one on a repeat)."""
    if source == OrderSource.MANUAL:
        _require(actor, "social.dispatch", household.region_code)
    if kind not in ServiceKind.values:
        raise DomainError(_("unknown service"), field="kind")
    if person is not None and person.household_id != household.pk:
        raise DomainError(_("the member is not in this household"), field="person")
    if quantity is None or quantity <= 0:
        raise DomainError(_("the number of units must be more than nil"), field="quantity")
    today = timezone.localdate()
    month = month_start(month or today)
    due_on = due_on or month_end(month)
    if due_on < month:
        raise DomainError(_("the order is due before its month begins"), field="due_on")
    _check_order(project=project, organisation=organisation, household=household, kind=kind, month=month)
    dedupe_key = dedupe_key or f"{source}:{uuid.uuid4().hex}"
    existing = Order.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    order = Order.objects.create(
        project=project, organisation=organisation, household=household, person=person,
        region_code=household.region_code, kind=kind, quantity=quantity, needs=clean_text(needs)[:300],
        source=source, source_ref=source_ref[:40], month=month, due_on=due_on, dedupe_key=dedupe_key,
        created_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit_record(actor=actor, action="social.order_create", obj=order, new=_order_snapshot(order))
    return order, True


@transaction.atomic
def order_from_alert(*, actor, alert, project: Project, organisation: Organisation, kind: str = ServiceKind.COUNSELLING,
                     needs: str = "", visited_on: dt.date | None = None, due_on: dt.date | None = None) -> Order:
    """An early-warning follow-up that refers the household to a social worker: the alert is closed as
    "referred" to the organisation (``alerts.services.followup_record``) and the order is sent, together."""
    from dajiuzhu.alerts.services import followup_record

    _require(actor, "social.dispatch", alert.region_code)
    visited_on = visited_on or timezone.localdate()
    # The order is checked first so that a refused order leaves the alert open.
    _check_order(project=project, organisation=organisation, household=alert.household, kind=kind,
                 month=month_start(visited_on))
    followup_record(actor=actor, alert=alert, visited_on=visited_on, outcome="referred",
                    organisation=organisation.name, notes=needs)
    order, _created = order_create(
        actor=actor, project=project, organisation=organisation, household=alert.household, kind=kind,
        needs=needs or _("referred by the early-warning follow-up"), source=OrderSource.ALERT,
        source_ref=str(alert.pk), month=month_start(visited_on), due_on=due_on or visited_on + dt.timedelta(days=15),
        dedupe_key=f"alert:{alert.pk}")
    return order


def order_from_case_item(*, case_item) -> list[Order]:
    """A case decision that includes a service (特困 care): one order per month remaining in the month of the
    decision, from every current project serving the item's code in the household's area (hook: receivers)."""
    household = case_item.household
    code = case_item.item.code
    on = timezone.localdate()
    made = []
    projects = Project.objects.filter(start__lte=on, end__gte=on).prefetch_related("organisations")
    for project in projects:
        if code not in (project.case_item_codes or []) or not household.region_code.startswith(
                prefix_of(project.region_code)):
            continue
        organisation = next((o for o in project.organisations.all()
                             if o.status == OrgStatus.ACTIVE and serves_region(o, household.region_code)), None)
        if organisation is None:
            continue
        kind = ServiceKind.CARE_HOUR if project.prices.filter(kind=ServiceKind.CARE_HOUR).exists() else ServiceKind.VISIT
        order, _created = order_create(
            actor=case_item.decided_by, project=project, organisation=organisation, household=household,
            kind=kind, quantity=Decimal("4") if kind == ServiceKind.CARE_HOUR else Decimal("1"),
            needs=_("care decided with %(item)s") % {"item": case_item.item.name}, source=OrderSource.CASE,
            source_ref=str(case_item.pk), month=month_start(on), dedupe_key=f"case_item:{case_item.pk}:{on:%Y-%m}")
        made.append(order)
    return made


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("organisation", "project").get(pk=order.pk)


@transaction.atomic
def order_accept(*, actor, order: Order, worker=None) -> Order:
    """The organisation's coordinator accepts the order and assigns one of its workers."""
    order = _lock_order(order)
    if not policies.can_coordinate(actor, order):
        raise Forbidden(_("only a coordinator of the organisation may accept its orders"))
    if order.status not in OPEN_ORDER_STATUSES:
        raise InvalidTransition(_("this order is %(status)s") % {"status": order.get_status_display()})
    worker = worker or actor
    if not OrganisationUser.objects.filter(user=worker, organisation=order.organisation_id).exists():
        raise DomainError(_("the worker does not belong to the organisation"), field="worker")
    old = _order_snapshot(order)
    order.status, order.worker, order.accepted_at = OrderStatus.ACCEPTED, worker, timezone.now()
    order.save(update_fields=["status", "worker", "accepted_at"])
    audit_record(actor=actor, action="social.order_accept", obj=order, old=old,
                 new={"status": order.status, "worker": worker.username})
    return order


@transaction.atomic
def order_reassign(*, actor, order: Order, organisation: Organisation, reason: str) -> Order:
    """Send an open order to another contracted organisation (e.g. overdue); it starts again unassigned."""
    order = _lock_order(order)
    _require(actor, "social.dispatch", order.region_code)
    if order.status not in OPEN_ORDER_STATUSES:
        raise InvalidTransition(_("this order is %(status)s") % {"status": order.get_status_display()})
    if not clean_text(reason):
        raise DomainError(_("give the reason for the reassignment"), field="reason")
    if organisation.pk == order.organisation_id:
        raise DomainError(_("the order is already with %(name)s") % {"name": organisation.name}, field="organisation")
    _check_order(project=order.project, organisation=organisation, household=order.household, kind=order.kind,
                 month=order.month)
    old = _order_snapshot(order)
    order.organisation, order.status, order.worker, order.accepted_at = organisation, OrderStatus.ASSIGNED, None, None
    order.save(update_fields=["organisation", "status", "worker", "accepted_at"])
    audit_record(actor=actor, action="social.order_reassign", obj=order, old=old,
                 new={"organisation": organisation.pk, "reason": reason[:200]})
    return order


@transaction.atomic
def order_cancel(*, actor, order: Order, reason: str) -> Order:
    order = _lock_order(order)
    _require(actor, "social.dispatch", order.region_code)
    if order.status not in OPEN_ORDER_STATUSES:
        raise InvalidTransition(_("this order is %(status)s") % {"status": order.get_status_display()})
    if not clean_text(reason):
        raise DomainError(_("give the reason for the cancellation"), field="reason")
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status"])
    audit_record(actor=actor, action="social.order_cancel", obj=order, old={"status": "open"},
                 new={"status": order.status, "reason": reason[:200]})
    return order


# ---------------------------------------------------------------------------------------------
# Visits

def _store_photo(content: bytes, content_type: str) -> tuple[str, str]:
    magic = PHOTO_TYPES.get(content_type)
    if magic is None or not content.startswith(magic):
        raise DomainError(_("a photo must be a JPEG or PNG image"), field="photos")
    if len(content) > PHOTO_MAX_BYTES:
        raise DomainError(_("a photo may be at most 5 MB"), field="photos")
    folder = Path(settings.MEDIA_ROOT) / "social" / "visits"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.enc"
    writer = SealedWriter(path)
    try:
        writer.write(content)
    finally:
        writer.close()
    return str(path.relative_to(settings.MEDIA_ROOT)), hashlib.sha256(content).hexdigest()


@transaction.atomic
def visit_record(*, actor, order: Order, started_at: dt.datetime, ended_at: dt.datetime, done: str,
                 confirmed_by: str, resident_confirmed: bool, quantity: Decimal | None = None,
                 photos: Sequence[tuple[bytes, str]] = (), complete: bool = True) -> Visit:
    """The worker's record of one service given (on the phone page). It needs the resident's confirmation;
    the same worker cannot be in two villages at once. It becomes a service record in the results database."""
    order = _lock_order(order)
    if not policies.can_serve(actor, order):
        raise Forbidden(_("this order is not assigned to you"))
    if order.status != OrderStatus.ACCEPTED:
        raise InvalidTransition(_("record visits on an accepted order (this one is %(status)s)")
                                % {"status": order.get_status_display()})
    if not resident_confirmed or not clean_text(confirmed_by):
        raise DomainError(_("the visit needs the resident's confirmation: who confirmed it"), field="confirmed_by")
    if not clean_text(done):
        raise DomainError(_("say what was done"), field="done")
    if timezone.is_naive(started_at) or timezone.is_naive(ended_at):
        raise DomainError(_("give the start and end time"), field="started_at")
    if ended_at <= started_at:
        raise DomainError(_("the visit ends before it starts"), field="ended_at")
    if ended_at > timezone.now() + dt.timedelta(minutes=5):
        raise DomainError(_("the visit cannot end in the future"), field="ended_at")
    if ended_at - started_at > dt.timedelta(hours=12):
        raise DomainError(_("one visit may last at most 12 hours"), field="ended_at")
    clash = (Visit.objects.filter(worker=order.worker_id or actor.pk, started_at__lt=ended_at, ended_at__gt=started_at)
             .exclude(region_code=order.region_code).select_related("order").first())
    if clash is not None:
        local = timezone.localtime(clash.started_at)
        raise DomainError(_("the worker was recorded in another village at that time (visit %(id)s from %(time)s)")
                          % {"id": clash.pk, "time": f"{local:%Y-%m-%d %H:%M}"}, field="started_at")
    month = month_start(timezone.localdate(started_at))
    if not (month_start(order.project.start) <= month <= order.project.end):
        raise DomainError(_("the visit lies outside the project's period"), field="started_at")
    if quantity is None:
        hours = Decimal((ended_at - started_at).total_seconds() / 3600).quantize(Decimal("0.01"))
        quantity = hours if order.kind == ServiceKind.CARE_HOUR else order.quantity
    if quantity <= 0:
        raise DomainError(_("the number of units must be more than nil"), field="quantity")
    stored: list[tuple] = []
    try:
        for content, ctype in photos:
            stored.append((*_store_photo(content, ctype), ctype, len(content)))
        return _visit_write(actor=actor, order=order, started_at=started_at, ended_at=ended_at, month=month,
                            quantity=quantity, done=done, confirmed_by=confirmed_by, stored=stored, complete=complete)
    except BaseException:
        # Nothing half-written: the sealed photos of a refused visit are removed with its rows.
        for relative, *_rest in stored:
            (Path(settings.MEDIA_ROOT) / relative).unlink(missing_ok=True)
        raise


def _visit_write(*, actor, order: Order, started_at, ended_at, month, quantity, done, confirmed_by, stored,
                 complete) -> Visit:
    visit = Visit.objects.create(
        order=order, project=order.project, organisation=order.organisation, worker=order.worker or actor,
        region_code=order.region_code, kind=order.kind, quantity=quantity, started_at=started_at, ended_at=ended_at,
        month=month, done=clean_text(done)[:2000], confirmed_by=clean_text(confirmed_by)[:60])
    VisitPhoto.objects.bulk_create([VisitPhoto(visit=visit, path=p, sha256=h, content_type=t, size=s)
                                    for p, h, t, s in stored])
    price = order.project.prices.get(kind=order.kind).unit_price
    hours = (UNIT_HOURS[order.kind] * quantity if order.kind != ServiceKind.CARE_HOUR else quantity)
    record, _created = assistance_record_create(
        actor=actor, household=order.household, person=order.person, source=Source.SOCIAL_ORG,
        organisation=order.organisation.name, dedupe_key=f"social_visit:{visit.pk}",
        data=RecordInput(item_code=f"social_{order.kind}", item_name=str(ServiceKind(order.kind).label),
                         category=Category.SOCIAL, kind=Kind.SERVICE, service_kind=str(ServiceKind(order.kind).label),
                         service_hours=hours.quantize(Decimal("0.01")), amount=money(price * quantity),
                         provider=order.organisation.name, given_on=timezone.localdate(started_at),
                         external_ref=f"visit:{visit.pk}"))
    visit.record_id = record.pk
    visit.save(update_fields=["record_id"])
    if complete:
        order.status, order.done_at = OrderStatus.DONE, ended_at  # done when the service was given
        order.save(update_fields=["status", "done_at"])
    audit_record(actor=actor, action="social.visit_record", obj=visit,
                 new={"order": order.pk, "started_at": started_at, "ended_at": ended_at, "quantity": quantity,
                      "photos": [h for _p, h, _t, _s in stored], "record": record.pk, "order_done": complete})
    return visit


def orders_overdue(qs, *, on: dt.date | None = None):
    on = on or timezone.localdate()
    return qs.filter(status__in=OPEN_ORDER_STATUSES, due_on__lt=on)
