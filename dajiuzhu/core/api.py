"""Jobs API (/api/v1/core/): the status and progress of the caller's own jobs."""

import datetime as dt
import uuid

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from .views import jobs_of

router = Router(tags=["core"])


class CoreJobOut(Schema):
    id: uuid.UUID
    kind: str
    status: str
    done: int
    total: int | None
    percent: int | None
    counts: dict
    result: dict
    message: str
    error_report: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


@router.get("/jobs", response=list[CoreJobOut], operation_id="core_job_list")
@paginate(PageNumberPagination, page_size=50)
def job_list(request):
    """The caller's jobs, newest first."""
    return jobs_of(request.auth).order_by("-created_at")


@router.get("/jobs/{job_id}", response=CoreJobOut, operation_id="core_job_get")
def job_get(request, job_id: uuid.UUID):
    """One of the caller's jobs (another user's job is 404)."""
    return get_object_or_404(jobs_of(request.auth), pk=job_id)
