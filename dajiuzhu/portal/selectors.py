"""Reads of the portal. A resident's reads start from their own household; staff reads from ``scope``."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from dajiuzhu.core.scoping import get_scoped, scope

from .models import ChangeReport, Document, DocumentRequest, Message, ProxyApplication
from .policies import is_resident


def resident_person(*, actor):
    """The person the resident's account is linked to (with the household), or 404."""
    from dajiuzhu.registry.models import Person

    if not is_resident(actor):
        raise Http404("No household matches the given query.")
    person = (Person.objects.select_related("household", "household__head").filter(id_hash=actor.person_id_hash)
              .exclude(household__isnull=True).first())
    if person is None:
        raise Http404("No household matches the given query.")
    return person


def resident_household(*, actor):
    return resident_person(actor=actor).household


def resident_cases(*, actor) -> QuerySet:
    from dajiuzhu.cases.models import Case

    household = resident_household(actor=actor)
    return Case.objects.filter(household=household).prefetch_related("items__item").order_by("-created_at", "-id")


def resident_case(*, actor, pk: int):
    """One of the resident's own household's cases; any other case is absent (404)."""
    from dajiuzhu.cases.models import Case

    household = resident_household(actor=actor)
    try:
        return Case.objects.select_related("household", "applicant").get(pk=pk, household=household)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("No case matches the given query.") from None


def inbox(*, actor) -> QuerySet[Message]:
    return Message.objects.filter(household=resident_household(actor=actor)).order_by("-created_at", "-id")


def unread_count(*, actor) -> int:
    if not is_resident(actor):
        return 0
    return Message.objects.filter(household__members__id_hash=actor.person_id_hash, read_at__isnull=True).count()


def case_documents(*, case) -> QuerySet[Document]:
    return Document.objects.filter(case=case).order_by("uploaded_at", "id")


def open_requests(*, case) -> QuerySet[DocumentRequest]:
    return DocumentRequest.objects.filter(case=case, fulfilled_at__isnull=True).order_by("due", "id")


def household_change_reports(*, household) -> QuerySet[ChangeReport]:
    return ChangeReport.objects.filter(household=household).select_related("person")


def document_for_staff(*, actor, pk: int) -> Document:
    """A stored document, for staff of the household's jurisdiction only (404 elsewhere)."""
    return get_scoped(Document.objects.all(), actor, perm="cases.view", pk=pk)


def resident_request(*, actor, pk: int):
    """One of the resident's own household's document requests (补充材料); any other is absent (404)."""
    household = resident_household(actor=actor)
    try:
        return DocumentRequest.objects.select_related("case").get(pk=pk, household=household)
    except (DocumentRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("No request matches the given query.") from None


def document_for_resident(*, actor, pk: int) -> Document:
    household = resident_household(actor=actor)
    try:
        return Document.objects.get(pk=pk, household=household)
    except (Document.DoesNotExist, ValueError, TypeError):
        raise Http404("No document matches the given query.") from None


def staff_case_documents(*, actor, case_id: int) -> QuerySet[Document]:
    return scope(Document.objects.filter(case_id=case_id), actor, perm="cases.view")


def proxy_worklist(*, actor) -> QuerySet[ProxyApplication]:
    """What this village worker proxied, newest first."""
    return ProxyApplication.objects.filter(worker=actor).select_related("household", "applicant", "case")


def township_queue(*, actor) -> QuerySet[ProxyApplication]:
    """Proxied applications of the actor's villages waiting for the township window's acceptance."""
    qs = ProxyApplication.objects.filter(status=ProxyApplication.Status.WAITING)
    return scope(qs, actor, perm="cases.handle").select_related("household", "applicant", "worker")


def proxy_get(*, actor, pk: int, for_handling: bool = False) -> ProxyApplication:
    qs = ProxyApplication.objects.select_related("household", "applicant", "worker", "case")
    if for_handling:
        return get_scoped(qs, actor, perm="cases.handle", pk=pk)
    try:
        return qs.get(pk=pk, worker=actor)
    except (ProxyApplication.DoesNotExist, ValueError, TypeError):
        raise Http404("No application matches the given query.") from None


def payments_of(*, household, limit: int = 24) -> list:
    from dajiuzhu.results.selectors import household_payments

    return list(household_payments(household_id=household.pk)[:limit])


def notices_near(*, household, on: dt.date | None = None):
    """The public notices in force in the resident's village (a resident may object to one)."""
    from dajiuzhu.cases.selectors import notices_in_force

    return notices_in_force(village_code=household.region_code, on=on or timezone.localdate())
