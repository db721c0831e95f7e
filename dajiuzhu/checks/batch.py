"""The county-wide verification (annual review): every active recipient against the latest deliveries.

Set-based: the households are compared in chunks by ``compare.compare`` (three queries and
numpy per chunk, not one query per household). A household without a discrepancy gets its
report in bulk (household-level lines, straight from the arrays); a household with one goes
through ``verify_household`` (member-level lines, rules re-run, the approver's worklist).
Progress is persisted on the job; the worklist is the inconsistent reports of the job,
per township.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from django.db import transaction
from django.utils.translation import gettext as _

from dajiuzhu.core import regioncodes
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.jobs import job_enqueue, job_handler, job_progress
from dajiuzhu.core.models import Job
from dajiuzhu.core.scoping import actor_prefix, scope
from dajiuzhu.credit.refusals import audited_refusal
from dajiuzhu.registry.models import Household

from . import compare as compare_mod
from .compare import CHECKS
from .delivery import records_match_pending
from .models import ReportKind, ReportOutcome, ReportStatus, VerificationReport
from .services import _yuan, authorised_households, verify_household

JOB_KIND = "checks.batch"
CHUNK = 5000


@audited_refusal("checks.batch_start", describe=lambda **kw: {"object_type": "core.job"})
def batch_start(*, actor, as_of: dt.date, confirm: bool = True) -> Job:
    """Start the county-wide verification of the actor's jurisdiction as of ``as_of``."""
    prefix = actor_prefix(actor, "checks.run")
    if prefix is None:
        raise Forbidden(_("you may not run verifications"))
    if as_of > dt.date.today():
        raise DomainError(_("the reference date cannot be in the future"), field="as_of")
    job = job_enqueue(kind=JOB_KIND, actor=actor, region_code=actor.region_id,
                      params={"as_of": as_of.isoformat(), "region_prefix": prefix, "confirm": confirm})
    audit_record(actor=actor, action="checks.batch_start", object_type="core.job", object_id=job.pk,
                 region_code=actor.region_id, new={"as_of": as_of, "region_prefix": prefix})
    return job


def active_recipient_households(*, on: dt.date, region_prefix: str) -> list[int]:
    from dajiuzhu.cases.selectors import active_benefits

    return sorted(set(active_benefits(on=on, region_prefix=region_prefix).values_list("household_id", flat=True)))


def declared_facts_many(*, on: dt.date, household_ids: list[int]) -> dict[int, dict]:
    """The declared facts (the head as applicant) of many households from one frame: the same values as
    ``services.declared_facts`` for each, without one frame per household."""
    if not household_ids:
        return {}
    from dajiuzhu.registry.facts import household_frame

    frame = household_frame(on=on, household_ids=household_ids)
    try:
        from dajiuzhu.programs.facts import APPLICANT_DEFAULTS, add_applicant_columns
    except ImportError:  # pragma: no cover
        APPLICANT_DEFAULTS, add_applicant_columns = {}, None  # noqa: N806
    if add_applicant_columns is not None:
        frame = add_applicant_columns(frame)
    out = {}
    for j, household_id in enumerate(frame.household_ids):
        facts = frame.row(j)
        for name, default in APPLICANT_DEFAULTS.items():
            if isinstance(default, bool) and name in facts:
                facts[name] = bool(facts[name])
        out[int(household_id)] = facts
    return out


def _bulk_lines(cmp, i: int) -> list[list]:
    """Household-level lines of a consistent household, from the arrays alone, kept compact on the report:
    ``[check, found, declared, difference, date]`` ("" found = no record; see ``VerificationReport.all_lines``)."""
    lines = []
    for check in CHECKS:
        found, declared = int(cmp.found[check.code][i]), int(cmp.declared[check.code][i])
        latest = int(cmp.latest[check.code][i])
        if check.kind == "money":
            shown = (_yuan(found), _yuan(declared), _yuan(found - declared))
        else:
            shown = (str(found), str(declared), str(found - declared))
        if not cmp.has_data[check.code][i]:
            shown = ("", shown[1], "")
        lines.append([check.code, *shown, dt.date.fromordinal(latest).isoformat() if latest else ""])
    return lines


@job_handler(JOB_KIND)
def run_batch(job: Job, as_of: str, region_prefix: str = "", confirm: bool = True) -> dict:
    on = dt.date.fromisoformat(as_of)
    actor = job.created_by
    records_match_pending(actor=actor)
    households = active_recipient_households(on=on, region_prefix=region_prefix)
    authorised = authorised_households(households)
    missing = [h for h in households if h not in authorised]
    totals = verify_many(actor=actor, household_ids=[h for h in households if h in authorised], on=on, job=job,
                         confirm=confirm)
    totals["households"] = len(households)
    totals["no_authorisation"] = len(missing)
    totals["no_authorisation_households"] = missing[:500]
    return totals


def verify_many(*, actor, household_ids: list[int], on: dt.date, job: Job | None = None, confirm: bool = True,
                chunk: int = CHUNK) -> dict:
    """Verify many (authorised) households set-based; progress on ``job``; totals per check and township."""
    if job is not None:
        job_progress(job, done=0, total=len(household_ids))
    totals = {"households": len(household_ids), "consistent": 0, "inconsistent": 0, "failed": 0,
              "by_check": {c.code: 0 for c in CHECKS}, "by_township": {}}

    def township(code: str) -> dict:
        key = regioncodes.ancestor(code, regioncodes.LEVEL_TOWNSHIP) if code else ""
        return totals["by_township"].setdefault(key, {"checked": 0, "inconsistent": 0})

    done = 0
    for start in range(0, len(household_ids), chunk):
        part = household_ids[start:start + chunk]
        cmp = compare_mod.compare(on=on, household_ids=part)
        bad = cmp.any_discrepancy
        consistent_ids = [int(h) for h, b in zip(cmp.household_ids, bad, strict=True) if not b]
        for code in totals["by_check"]:
            totals["by_check"][code] += int(cmp.discrepant[code].sum())
        bad_ids = [int(h) for h in cmp.household_ids[bad]]
        households_by_id = Household.objects.in_bulk(bad_ids)
        declared_of = declared_facts_many(on=on, household_ids=bad_ids)
        verified_bad: list[int] = []
        for i in [int(x) for x in bad.nonzero()[0]]:
            household = households_by_id[int(cmp.household_ids[i])]
            try:
                verify_household(actor=actor, household=household, as_of=on, kind=ReportKind.BATCH, job=job,
                                 comparison=cmp, authorisation_checked=True, declared=declared_of.get(household.pk),
                                 record_streak=False)
            except DomainError:
                totals["failed"] += 1
                continue
            totals["inconsistent"] += 1
            verified_bad.append(household.pk)
            township(household.region_code)["inconsistent"] += 1
            township(household.region_code)["checked"] += 1
        if verified_bad:
            from dajiuzhu.credit.services import review_outcomes_record

            review_outcomes_record(inconsistent=verified_bad, on=on)
        _bulk_consistent(job=job, actor=actor, cmp=cmp, on=on, household_ids=consistent_ids, confirm=confirm)
        for code in cmp.region_codes[~bad]:
            township(str(code))["checked"] += 1
        totals["consistent"] += len(consistent_ids)
        done += len(part)
        if job is not None:
            job_progress(job, done=done,
                         counts={"consistent": totals["consistent"], "inconsistent": totals["inconsistent"]})
    return totals


@transaction.atomic
def _bulk_consistent(*, job, actor, cmp, on: dt.date, household_ids: list[int], confirm: bool) -> None:
    if not household_ids:
        return
    from dajiuzhu.credit.services import review_outcomes_record

    index = {int(h): i for i, h in enumerate(cmp.household_ids)}
    user = actor if getattr(actor, "is_authenticated", False) else None
    VerificationReport.objects.bulk_create([
        VerificationReport(household_id=h, region_code=str(cmp.region_codes[index[h]]), kind=ReportKind.BATCH,
                           as_of=on, job=job, created_by=user, outcome=ReportOutcome.CONSISTENT,
                           status=ReportStatus.CLOSED, lines=_bulk_lines(cmp, index[h]))
        for h in household_ids
    ], batch_size=2000)
    review_outcomes_record(consistent=household_ids, on=on)
    confirmed = 0
    if confirm:
        confirmed = _confirm_bulk(actor=actor, household_ids=household_ids, on=on)
    audit_record(actor=actor, action="checks.batch_consistent", object_type="core.job",
                 object_id=getattr(job, "pk", ""), region_code=getattr(job, "region_code", ""), new={"households": len(household_ids), "confirmed_items": confirmed,
                                                   "as_of": on})


def _confirm_bulk(*, actor, household_ids: list[int], on: dt.date) -> int:
    try:
        from dajiuzhu.cases.selectors import active_benefits
        from dajiuzhu.cases.services import case_item_review_confirm
    except ImportError:
        return 0
    confirmed = 0
    for start in range(0, len(household_ids), 2000):
        for case_item in active_benefits(on=on).filter(household_id__in=household_ids[start:start + 2000]):
            case_item_review_confirm(actor=actor, case_item=case_item)
            confirmed += 1
    return confirmed


def job_visible(actor, job: Job) -> bool:
    prefix = actor_prefix(actor, "checks.view")
    if prefix is None:
        return False
    job_prefix = regioncodes.prefix_of(job.region_code) if job.region_code else ""
    return job_prefix.startswith(prefix) or prefix.startswith(job_prefix)


def batch_jobs(*, actor, limit: int = 20) -> list[Job]:
    """Batch runs that concern the actor's jurisdiction (a township sees the county's run)."""
    return [job for job in Job.objects.filter(kind=JOB_KIND).order_by("-created_at")[:200]
            if job_visible(actor, job)][:limit]


def batch_job_get(*, actor, pk) -> Job:
    from django.http import Http404

    job = Job.objects.filter(kind=JOB_KIND, pk=pk).first()
    if job is None or not job_visible(actor, job):
        raise Http404("No job matches the given query.")
    return job


def worklist(*, actor, job: Job):
    """The inconsistent reports of a batch run that the actor may see, by township."""
    qs = scope(VerificationReport.objects.filter(job=job, outcome=ReportOutcome.INCONSISTENT), actor,
               perm="checks.view")
    return qs.select_related("household", "household__head").prefetch_related("items").order_by("region_code", "id")


def worklist_by_township(reports) -> OrderedDict[str, list]:
    from dajiuzhu.regions.models import Region

    groups: OrderedDict[str, list] = OrderedDict()
    for report in reports:
        groups.setdefault(regioncodes.ancestor(report.region_code, regioncodes.LEVEL_TOWNSHIP), []).append(report)
    names = dict(Region.objects.filter(code__in=list(groups)).values_list("code", "name"))
    return OrderedDict(((code, names.get(code, code)), reports) for code, reports in groups.items())
