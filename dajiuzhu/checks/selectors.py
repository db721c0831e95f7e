"""Reads of department data and verification reports, starting from what the actor may see.

A department's data account sees only its own department's deliveries, never the registry or
the reports; workers with ``checks.view`` see the reports (and delivery summaries) of their
jurisdiction.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from dajiuzhu.cases.selectors import case_applicant_id
from dajiuzhu.core.scoping import get_scoped, scope
from dajiuzhu.programs.supporters import capacities
from dajiuzhu.registry.models import Person

from .compare import window_days
from .datatypes import LASTING_TYPES
from .models import Delivery, DepartmentRecord, ReportStatus, VerificationReport


def delivery_list(*, actor) -> QuerySet[Delivery]:
    if actor is not None and getattr(actor, "is_authenticated", False) and actor.has_perm_code("checks.deliver"):
        qs = scope(Delivery.objects.all(), actor, perm="checks.deliver").filter(department_id=actor.department_id)
    else:
        qs = scope(Delivery.objects.all(), actor, perm="checks.view")
    return qs.select_related("department", "submitted_by").order_by("-received_at", "-id")


def delivery_get(*, actor, pk: int) -> Delivery:
    """404 for another department's delivery (or outside the jurisdiction).

    An attempt to read a delivery that exists but is not the actor's to see is audited
    (``checks.delivery_read.refused``): departments must not read each other's data.
    """
    qs = delivery_list(actor=actor)
    try:
        return qs.get(pk=pk)
    except (Delivery.DoesNotExist, ValueError, TypeError):
        from django.http import Http404

        other = Delivery.objects.filter(pk=pk).values("department__code", "region_code").first() \
            if str(pk).isdigit() else None
        if other is not None:
            from dajiuzhu.credit.refusals import audit_refusal

            audit_refusal(actor=actor, action="checks.delivery_read", message="not the actor's delivery",
                          object_type="checks.delivery", object_id=pk, region_code=other["region_code"],
                          details={"department": other["department__code"],
                                   "actor_department": getattr(getattr(actor, "department", None), "code", "")})
        raise Http404("No delivery matches the given query.") from None


def delivery_unmatched(*, delivery: Delivery) -> QuerySet[DepartmentRecord]:
    return delivery.records.filter(person__isnull=True).exclude(subject_key__startswith="region:").order_by("id")


def report_list(*, actor, status: str = "", outcome: str = "", household_id: int | None = None,
                job_id=None) -> QuerySet[VerificationReport]:
    qs = scope(VerificationReport.objects.all(), actor, perm="checks.view")
    if status:
        qs = qs.filter(status=status)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if household_id:
        qs = qs.filter(household_id=household_id)
    if job_id:
        qs = qs.filter(job_id=job_id)
    return qs.select_related("household", "household__head").order_by("-created_at", "-id")


def report_get(*, actor, pk: int) -> VerificationReport:
    return get_scoped(VerificationReport.objects.select_related("household", "household__head", "created_by",
                                                                "decided_by"), actor, perm="checks.view", pk=pk)


def reports_awaiting_decision(*, actor) -> QuerySet[VerificationReport]:
    return report_list(actor=actor, status=ReportStatus.AWAITING_DECISION)


def reports_for_case(*, case_id: int) -> QuerySet[VerificationReport]:
    """The reports of one case (for the case page: the caller has already fetched the case in scope)."""
    return VerificationReport.objects.filter(case_id=case_id).order_by("-created_at", "-id")


def latest_report(*, household) -> VerificationReport | None:
    return VerificationReport.objects.filter(household_id=household.pk).order_by("-created_at", "-id").first()


def department_values(*, on: dt.date, region_prefix: str = "", data_types=None) -> QuerySet[DepartmentRecord]:
    """The latest delivered value per person and data type on ``on`` (persons under ``region_prefix``).

    A queryset of ``DepartmentRecord`` (one per person and data type), for indices and alerts.
    """
    window_start = on - dt.timedelta(days=window_days())
    qs = DepartmentRecord.objects.filter(person__isnull=False, as_of__lte=on).filter(
        Q(as_of__gt=window_start) | Q(data_type__in=LASTING_TYPES))
    if region_prefix:
        qs = qs.filter(person__region_code__startswith=region_prefix)
    if data_types:
        qs = qs.filter(data_type__in=list(data_types))
    newer = qs.filter(person_id=OuterRef("person_id"), data_type=OuterRef("data_type"), as_of__gt=OuterRef("as_of"))
    return qs.exclude(Exists(newer)).order_by("person_id", "data_type")


def report_supporters(report: VerificationReport) -> list[dict]:
    """The applicant's legal supporters and whether each is able, on the report's date (programs.supporters):
    the case's applicant, or the head of household for a review without a case."""
    person_id = (case_applicant_id(case_id=report.case_id) if report.case_id else None) or report.household.head_id
    person = Person.objects.select_related("household").filter(pk=person_id).first()
    if person is None:
        return []
    return [c.as_dict() for c in capacities(person, on=report.as_of)]
