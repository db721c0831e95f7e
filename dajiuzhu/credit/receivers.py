"""Listening to the cases app: a revocation for a false declaration writes a dishonesty record.

The approver normally decides through the verification report (``checks.services.report_decide``),
which writes the record itself with the report as evidence; a revocation marked dishonest on
the case page directly is caught here. Either way one record per case.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.db import transaction

from dajiuzhu.core.errors import DomainError

from .models import DishonestyRecord, RecordStatus

log = logging.getLogger(__name__)


def on_case_item_revoked(sender, case_item, revocation, **kwargs) -> None:
    if not getattr(revocation, "dishonest", False):
        return
    case = case_item.case
    if DishonestyRecord.objects.filter(case_id=case.pk, status=RecordStatus.ACTIVE).exists():
        return
    from .services import dishonesty_record_create

    report = None
    if apps.is_installed("dajiuzhu.checks"):
        Report = apps.get_model("checks", "VerificationReport")  # noqa: N806 - a model class
        report = (Report.objects.filter(household_id=case_item.household_id, outcome="inconsistent")
                  .order_by("-created_at", "-id").values_list("id", flat=True).first())
    try:
        with transaction.atomic():
            dishonesty_record_create(
                actor=revocation.actor, person=case.applicant, reason="concealment", source="case",
                details=revocation.reason, source_reference=case.number, case_id=case.pk, case_item_id=case_item.pk,
                evidence_report_id=report)
    except DomainError as exc:
        log.warning("no dishonesty record for revoked case item %s: %s", case_item.pk, exc.message)
