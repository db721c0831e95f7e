"""Quality and settlement: ratings, the county's random call-backs, the monthly evaluation of each
organisation, and the settlement statement of a project's month.

Evaluation of an organisation in a project's month (all shares 0–1):
- on time: orders due in the month that were done by their due date, of all orders due (1 when none);
- verified: of the visits called back, those the resident confirmed (1 when none called back);
- satisfaction: the mean of the ratings and call-back scores (1–5) of the month's visits (the
  project's target when there is none), as a share of 5;
- complaints: call-backs with a complaint or a disputed service.
Score = 40 × on time + 30 × verified + 30 × satisfaction − 5 per complaint (0–100). The pay share of
the organisation's services at unit prices follows the score: ≥ 90 all, ≥ 80 95 %, ≥ 60 90 %, else 80 %.

Settlement: the month's counted visits (confirmed by the resident and not disputed at call-back) ×
the project's unit prices, per organisation and kind, times the pay share; refused when it would take
the project's settled total above its budget.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import Conflict, DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.money import money
from dajiuzhu.core.normalise import clean_text
from dajiuzhu.core.scoping import region_in_scope

from .models import (
    COUNTED_VISIT_STATUSES,
    CallBack,
    Order,
    OrderStatus,
    Project,
    Settlement,
    Visit,
    VisitStatus,
)
from .services import month_end, month_start

PAY_BANDS = ((Decimal("90"), Decimal("1.00")), (Decimal("80"), Decimal("0.95")), (Decimal("60"), Decimal("0.90")),
             (Decimal("0"), Decimal("0.80")))
RATING_VIA = ("village_worker", "resident", "callback")


# ---------------------------------------------------------------------------------------------
# Ratings

@transaction.atomic
def service_rate(*, actor, visit: Visit, score: int, comment: str = "", via: str = "village_worker") -> Visit:
    """A resident's rating of a visit (1–5): recorded by the village worker now, or by the resident through
    the resident pages (``via="resident"``; the portal calls this with the resident as the actor)."""
    visit = Visit.objects.select_for_update().select_related("order").get(pk=visit.pk)
    if via == "resident":
        person_hash = getattr(actor, "person_id_hash", "")
        allowed = (getattr(actor, "role", None) == "resident" and bool(person_hash)
                   and visit.order.household.members.filter(id_hash=person_hash).exists())
    elif via == "village_worker":
        allowed = region_in_scope(actor, visit.region_code, perm="social.rate")
    else:
        raise DomainError(_("unknown way of rating"), field="via")
    if not allowed:
        raise Forbidden(_("you may not rate this service"))
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainError(_("the rating is a whole number from 1 to 5"), field="score")
    old = {"rating": visit.rating, "via": visit.rating_via}
    visit.rating, visit.rating_via, visit.rating_comment = score, via, clean_text(comment)[:300]
    visit.save(update_fields=["rating", "rating_via", "rating_comment"])
    audit_record(actor=actor, action="social.visit_rate", obj=visit, old=old, new={"rating": score, "via": via})
    return visit


# ---------------------------------------------------------------------------------------------
# Call-backs

def _draw(visit_ids: list[int], *, count: int, seed: str) -> list[int]:
    """The same ids for the same month's visits and seed, on any machine (SHA-256-seeded Mersenne Twister)."""
    generator = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))  # noqa: S311
    return sorted(generator.sample(sorted(visit_ids), min(count, len(visit_ids))))


@transaction.atomic
def callbacks_draw(*, actor, project: Project, month: dt.date | str, count: int, seed: str = "") -> list[CallBack]:
    """Draw ``count`` of the month's visits (not yet called back) for a call-back; the seed (default
    ``<project>-<YYYY-MM>``) is kept so anyone can repeat the draw."""
    if not region_in_scope(actor, project.region_code, perm="social.manage"):
        raise Forbidden(_("you may not do this here"))
    month = month_start(month)
    if count < 1:
        raise DomainError(_("draw at least one visit"), field="count")
    seed = clean_text(seed) or f"{project.pk}-{month:%Y-%m}"
    ids = list(Visit.objects.filter(project=project, month=month, callback__isnull=True)
               .values_list("pk", flat=True))
    if not ids:
        raise DomainError(_("there are no visits of that month left to call back"), field="month")
    drawn = _draw(ids, count=count, seed=seed)
    made = CallBack.objects.bulk_create([CallBack(visit_id=pk, project=project, month=month, seed=seed, drawn_by=actor)
                                         for pk in drawn])
    audit_record(actor=actor, action="social.callbacks_draw", obj=project,
                 new={"month": month, "seed": seed, "pool": len(ids), "drawn": drawn})
    return made


@transaction.atomic
def callback_record(*, actor, callback: CallBack, reached: bool, service_confirmed: bool | None = None,
                    satisfaction: int | None = None, complaint: str = "") -> CallBack:
    """What the resident said on the call-back: the visit becomes verified or disputed."""
    callback = CallBack.objects.select_for_update().select_related("visit", "project").get(pk=callback.pk)
    if not region_in_scope(actor, callback.project.region_code, perm="social.manage"):
        raise Forbidden(_("you may not do this here"))
    if callback.done_at is not None:
        raise InvalidTransition(_("this call-back is already recorded"))
    if reached:
        if service_confirmed is None:
            raise DomainError(_("say whether the resident confirmed the service"), field="service_confirmed")
        if satisfaction is not None and not 1 <= satisfaction <= 5:
            raise DomainError(_("the satisfaction is a whole number from 1 to 5"), field="satisfaction")
    callback.reached, callback.done_at = reached, timezone.now()
    callback.service_confirmed = service_confirmed if reached else None
    callback.satisfaction = satisfaction if reached else None
    callback.complaint = clean_text(complaint)[:300]
    callback.save()
    visit = callback.visit
    if reached:
        visit.status = VisitStatus.VERIFIED if service_confirmed else VisitStatus.DISPUTED
        visit.save(update_fields=["status"])
    audit_record(actor=actor, action="social.callback_record", obj=visit,
                 new={"reached": reached, "confirmed": service_confirmed, "satisfaction": satisfaction,
                      "complaint": bool(callback.complaint), "status": visit.status})
    return callback


# ---------------------------------------------------------------------------------------------
# Evaluation and settlement

def _share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else Decimal(1)


def pay_share(score: Decimal) -> Decimal:
    return next(share for floor, share in PAY_BANDS if score >= floor)


def evaluate(*, project: Project, month: dt.date | str) -> dict[int, dict]:
    """The month's evaluation of every organisation of the project, by organisation id."""
    month = month_start(month)
    end = month_end(month)
    out: dict[int, dict] = {}
    orders = (Order.objects.filter(project=project, due_on__gte=month, due_on__lte=end)
              .exclude(status=OrderStatus.CANCELLED).values("organisation")
              .annotate(due=Count("id"), on_time=Count("id", filter=Q(status=OrderStatus.DONE,
                                                                       done_at__date__lte=F("due_on")))))
    visits = (Visit.objects.filter(project=project, month=month).values("organisation")
              .annotate(n=Count("id"), counted=Count("id", filter=Q(status__in=COUNTED_VISIT_STATUSES)),
                        verified=Count("id", filter=Q(status=VisitStatus.VERIFIED)),
                        disputed=Count("id", filter=Q(status=VisitStatus.DISPUTED)),
                        rating=Avg("rating")))
    calls = (CallBack.objects.filter(project=project, month=month, done_at__isnull=False)
             .values("visit__organisation")
             .annotate(n=Count("id", filter=Q(reached=True)), score=Avg("satisfaction"),
                       complaints=Count("id", filter=~Q(complaint="") | Q(service_confirmed=False))))
    for org in project.organisations.all():
        out[org.pk] = {"organisation": org.name, "due": 0, "on_time": 0, "visits": 0, "counted": 0, "verified": 0,
                       "disputed": 0, "called_back": 0, "complaints": 0, "ratings": []}
    for row in orders:
        out.setdefault(row["organisation"], {}).update(due=row["due"], on_time=row["on_time"])
    for row in visits:
        entry = out.get(row["organisation"])
        if entry is not None:
            entry.update(visits=row["n"], counted=row["counted"], verified=row["verified"], disputed=row["disputed"])
            if row["rating"] is not None:
                entry["ratings"].append(Decimal(str(row["rating"])))
    for row in calls:
        entry = out.get(row["visit__organisation"])
        if entry is not None:
            entry.update(called_back=row["n"], complaints=row["complaints"])
            if row["score"] is not None:
                entry["ratings"].append(Decimal(str(row["score"])))
    for entry in out.values():
        ratings = entry.pop("ratings", [])
        satisfaction = (sum(ratings) / len(ratings)) if ratings else Decimal(project.satisfaction_target)
        on_time = _share(entry["on_time"], entry["due"])
        verified = _share(entry["called_back"] - entry["disputed"], entry["called_back"])
        score = 40 * on_time + 30 * verified + 30 * min(satisfaction / 5, Decimal(1)) - 5 * entry["complaints"]
        score = max(score, Decimal(0)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        entry.update(on_time_share=str(on_time), verified_share=str(verified),
                     satisfaction=str(satisfaction.quantize(Decimal("0.01"))), score=str(score),
                     pay_share=str(pay_share(score)))
    return out


def settlement_preview(*, project: Project, month: dt.date | str) -> dict:
    """What the statement would say (lines, evaluation, gross, total, settled before, budget left)."""
    month = month_start(month)
    prices = {p.kind: p.unit_price for p in project.prices.all()}
    evaluation = evaluate(project=project, month=month)
    rows = (Visit.objects.filter(project=project, month=month, status__in=COUNTED_VISIT_STATUSES)
            .values("organisation", "kind").annotate(units=Sum("quantity"), visits=Count("id"))
            .order_by("organisation", "kind"))
    lines, gross, total = [], Decimal(0), Decimal(0)
    for row in rows:
        price = prices.get(row["kind"], Decimal(0))
        amount = money(row["units"] * price)
        share = Decimal(evaluation.get(row["organisation"], {}).get("pay_share", "1"))
        payable = money(amount * share)
        lines.append({"organisation": row["organisation"],
                      "organisation_name": evaluation.get(row["organisation"], {}).get("organisation", ""),
                      "kind": row["kind"], "visits": row["visits"], "units": str(row["units"]),
                      "unit_price": str(price), "amount": str(amount), "pay_share": str(share),
                      "payable": str(payable)})
        gross += amount
        total += payable
    settled = project.settlements.exclude(month=month).aggregate(s=Sum("total"))["s"] or Decimal(0)
    return {"month": month, "lines": lines, "evaluation": {str(k): v for k, v in evaluation.items()},
            "gross": money(gross), "total": money(total), "settled_before": money(settled),
            "budget": project.budget, "budget_left": money(project.budget - settled - total)}


@transaction.atomic
def settlement_create(*, actor, project: Project, month: dt.date | str) -> Settlement:
    """The month's settlement statement; refused above the budget or before the month has ended."""
    if not region_in_scope(actor, project.region_code, perm="social.manage"):
        raise Forbidden(_("you may not do this here"))
    project = Project.objects.select_for_update().get(pk=project.pk)
    month = month_start(month)
    if month_end(month) >= timezone.localdate():
        raise DomainError(_("a month is settled after it has ended"), field="month")
    if not (month_start(project.start) <= month <= project.end):
        raise DomainError(_("the month lies outside the project's period"), field="month")
    if project.settlements.filter(month=month).exists():
        raise Conflict(_("%(month)s is already settled") % {"month": f"{month:%Y-%m}"})
    preview = settlement_preview(project=project, month=month)
    if not preview["lines"]:
        raise DomainError(_("no counted service in %(month)s to settle") % {"month": f"{month:%Y-%m}"}, field="month")
    if preview["settled_before"] + preview["total"] > project.budget:
        raise DomainError(
            _("the settlement of %(total)s 元 would take the project above its budget: %(budget)s 元, "
              "%(settled)s 元 settled before") % {"total": f"{preview['total']:,.2f}",
                                                   "budget": f"{project.budget:,.2f}",
                                                   "settled": f"{preview['settled_before']:,.2f}"},
            field="month", details={"budget": str(project.budget), "settled_before": str(preview["settled_before"]),
                                    "total": str(preview["total"])})
    settlement = Settlement.objects.create(project=project, month=month, lines=preview["lines"],
                                           evaluation=preview["evaluation"], gross=preview["gross"],
                                           total=preview["total"], created_by=actor)
    audit_record(actor=actor, action="social.settlement_create", obj=project,
                 new={"month": month, "gross": preview["gross"], "total": preview["total"],
                      "lines": len(preview["lines"])})
    return settlement
