"""Spot checks (抽查): the monthly random draw of decided cases, assignment, the home-visit record.

The draw is stratified (by township, or by township and item: a county setting); each stratum gives
``max(minimum, round(share × its size))`` cases, never more than it has, or — when the county asks for a
total ``size`` — its share of the total by the largest-remainder method. The cases are chosen by
``random.Random(seed)`` over the stratum's cases in id order, so the recorded seed reproduces the draw.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.cases import selectors as case_selectors
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import Conflict, DomainError, Forbidden
from dajiuzhu.core.intake.sealed import SealedWriter, sealed_chunks
from dajiuzhu.core.scoping import get_scoped, region_in_scope

from .evaluation import month_bounds
from .models import CountySetting, SpotCheck, SpotCheckDraw, SpotCheckPhoto
from .policies import county_of

FINDINGS = ("members_present", "housing", "income_seen", "assets_seen", "notes")
MAX_PHOTO_BYTES = 8 * 1024 * 1024


def county_setting(county_code: str) -> CountySetting:
    return CountySetting.objects.get_or_create(county_code=county_code[:6])[0]


def _allocate(strata: dict[str, list], *, share: Decimal, minimum: int, size: int | None) -> dict[str, int]:
    if size is None:
        return {k: min(len(v), max(minimum, int((share * len(v)).quantize(Decimal(1))))) for k, v in strata.items()}
    total = sum(len(v) for v in strata.values())
    exact = {k: Decimal(size) * len(v) / total for k, v in strata.items()}
    out = {k: int(x) for k, x in exact.items()}
    rest = size - sum(out.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - out[k]), k))[:rest]:
        out[k] += 1
    return out


def draw_sample(population: list[dict], *, seed: int, strata: str, share: Decimal, minimum: int,
                size: int | None = None) -> list[tuple[str, dict]]:
    """(stratum, case row) of the sample: deterministic from ``seed``."""
    groups: dict[str, list] = {}
    for row in population:
        key = row["region_code"][:9] + ("/" + (row["item_code"] or "") if strata == "township_item" else "")
        groups.setdefault(key, []).append(row)
    counts = _allocate(groups, share=share, minimum=minimum, size=size)
    rng = random.Random(seed)
    chosen = []
    for key in sorted(groups):
        rows = sorted(groups[key], key=lambda r: r["id"])
        chosen += [(key, row) for row in rng.sample(rows, counts[key])]
    return chosen


@transaction.atomic
def spot_draw(*, actor, month: dt.date, seed: int | None = None, share=None, size: int | None = None
              ) -> SpotCheckDraw:
    """Draw the month's sample of the county's decided cases; refuses a second draw of a month, a share
    outside (0, 1], and a size larger than the population."""
    county = county_of(actor)
    setting = county_setting(county)
    month = month.replace(day=1)
    if month > timezone.localdate():
        raise DomainError(_("the month has not begun"), field="month")
    if SpotCheckDraw.objects.filter(county_code=county, month=month).exists():
        raise Conflict(_("the sample of %(m)s has already been drawn") % {"m": f"{month:%Y-%m}"})
    share = setting.spot_share if share in (None, "") else Decimal(str(share))
    if not (Decimal(0) < share <= Decimal(1)):
        raise DomainError(_("the share must be above 0 and at most 1"), field="share")
    since, until = month_bounds(month)
    population = list(case_selectors.decided_cases(region_prefix=county, since=since, until=until))
    if size is not None:
        size = int(size)
        if size <= 0:
            raise DomainError(_("the sample size must be at least 1"), field="size")
        if size > len(population):
            raise DomainError(_("the sample (%(s)s) is larger than the population: %(n)s cases were decided in "
                                "%(m)s") % {"s": size, "n": len(population), "m": f"{month:%Y-%m}"}, field="size")
    if not population:
        raise DomainError(_("no case was decided in %(m)s: nothing to draw") % {"m": f"{month:%Y-%m}"},
                          field="month")
    seed = secrets.randbits(48) if seed is None else int(seed)
    sample = draw_sample(population, seed=seed, strata=setting.spot_strata, share=share,
                         minimum=setting.spot_minimum, size=size)
    draw = SpotCheckDraw.objects.create(county_code=county, month=month, seed=seed, share=share,
                                        strata=setting.spot_strata, population=len(population),
                                        sample_size=len(sample), drawn_by=actor)
    SpotCheck.objects.bulk_create([
        SpotCheck(draw=draw, case_id=row["id"], case_number=row["number"], region_code=row["region_code"],
                  stratum=key, handler_id=row["decider_id"] or row["created_by_id"]) for key, row in sample])
    audit_record(actor=actor, action="supervision.spot_draw", obj=draw, region_code=county,
                 new={"month": month, "seed": seed, "share": share, "strata": setting.spot_strata,
                      "population": len(population), "sample": len(sample)})
    return draw


def _check(actor, check: SpotCheck, perm: str) -> SpotCheck:
    return get_scoped(SpotCheck.objects.select_for_update(of=("self",)).select_related("draw"), actor, perm=perm,
                      pk=check.pk)


@transaction.atomic
def spot_assign(*, actor, check: SpotCheck, checker) -> SpotCheck:
    """Assign a drawn case to a checker who may check (``supervision.check``) in its region and took no part
    in it (neither accepted, handled nor decided it)."""
    county_of(actor)
    check = _check(actor, check, "supervision.manage")
    if check.status == SpotCheck.Status.RECORDED:
        raise DomainError(_("this spot check is already recorded"), field="checker")
    if checker is not None and (checker.pk in case_selectors.case_actor_ids(case_id=check.case_id)
                                or checker.pk == check.handler_id):
        raise DomainError(_("%(u)s handled case %(c)s: a spot check must go to someone who did not")
                          % {"u": checker.display_name, "c": check.case_number}, field="checker")
    if checker is None or not region_in_scope(checker, check.region_code, perm="supervision.check"):
        raise DomainError(_("the checker must be a staff member who may check cases of this region"),
                          field="checker")
    old = check.checker_id
    check.checker, check.status = checker, SpotCheck.Status.ASSIGNED
    check.save(update_fields=["checker", "status"])
    audit_record(actor=actor, action="supervision.spot_assign", obj=check, region_code=check.region_code,
                 old={"checker": old}, new={"checker": checker.pk})
    return check


def _store_photo(check: SpotCheck, name: str, data: bytes) -> SpotCheckPhoto:
    folder = settings.MEDIA_ROOT / "supervision" / "spotchecks" / str(check.pk)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.sealed"
    writer = SealedWriter(path)
    try:
        writer.write(data)
    finally:
        writer.close()
    return SpotCheckPhoto.objects.create(spot_check=check, name=name[:120], path=str(path.relative_to(settings.MEDIA_ROOT)),
                                         size=len(data), sha256=hashlib.sha256(data).hexdigest())


def photo_bytes(photo: SpotCheckPhoto) -> bytes:
    return b"".join(sealed_chunks(settings.MEDIA_ROOT / photo.path))


@transaction.atomic
def spot_record(*, actor, check: SpotCheck, visited_on: dt.date, findings: dict, outcome: str,
                difference: str = "", photos: list[tuple[str, bytes]] = ()) -> SpotCheck:
    """The checker's home-visit record; a difference opens a review of every approved item of the case
    (``cases.reviews.case_item_review_request``)."""
    from dajiuzhu.cases.models import CaseItem, ItemStatus
    from dajiuzhu.cases.reviews import case_item_review_request

    check = _check(actor, check, "supervision.check")
    if check.checker_id != actor.pk:
        raise Forbidden(_("only the assigned checker records this spot check"))
    if check.status == SpotCheck.Status.RECORDED:
        raise DomainError(_("this spot check is already recorded"), field="outcome")
    if visited_on > timezone.localdate():
        raise DomainError(_("the visit cannot be in the future"), field="visited_on")
    clean = {k: str(findings.get(k, "") or "").strip()[:2000] for k in FINDINGS}
    if not any(clean.values()):
        raise DomainError(_("record the facts found at the visit"), field="findings")
    if outcome not in SpotCheck.Outcome.values:
        raise DomainError(_("say whether the facts agree with the decision"), field="outcome")
    difference = (difference or "").strip()
    if outcome == SpotCheck.Outcome.DIFFERS and not difference:
        raise DomainError(_("describe the difference"), field="difference")
    for name, data in photos:
        if len(data) > MAX_PHOTO_BYTES:
            raise DomainError(_("the photo %(n)s is larger than 8 MB") % {"n": name}, field="photos")
        if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")):
            raise DomainError(_("the photo %(n)s is not a JPEG or PNG image") % {"n": name}, field="photos")
    check.visited_on, check.findings, check.outcome, check.difference = visited_on, clean, outcome, difference
    check.status, check.recorded_at = SpotCheck.Status.RECORDED, timezone.now()
    reviewed = []
    if outcome == SpotCheck.Outcome.DIFFERS:
        for ci in CaseItem.objects.filter(case_id=check.case_id, status=ItemStatus.APPROVED):
            case_item_review_request(actor=actor, case_item=ci, on=timezone.localdate(),
                                     reason=_("spot check %(n)s found a difference: %(d)s")
                                     % {"n": check.case_number, "d": difference})
            reviewed.append(ci.pk)
    check.review_item_ids = reviewed
    check.save()
    for name, data in photos:
        _store_photo(check, name, data)
    audit_record(actor=actor, action="supervision.spot_record", obj=check, region_code=check.region_code,
                 new={"outcome": outcome, "visited_on": visited_on, "photos": len(photos), "reviews": reviewed})
    return check


@transaction.atomic
def county_setting_update(*, actor, spot_share, spot_minimum: int, spot_strata: str, certificate_required: bool,
                          certificate_months: int, complaint_days: int) -> CountySetting:
    """The county's settings of flat management; refuses a share outside (0, 1] and zero months or days."""
    county = county_of(actor)
    try:
        share = Decimal(str(spot_share))
    except Exception:  # noqa: BLE001 - any unparsable value is the same refusal
        raise DomainError(_("the share must be a number"), field="spot_share") from None
    if not (Decimal(0) < share <= Decimal(1)):
        raise DomainError(_("the share must be above 0 and at most 1"), field="spot_share")
    if spot_strata not in ("township", "township_item"):
        raise DomainError(_("choose the strata"), field="spot_strata")
    for field, value in (("spot_minimum", spot_minimum), ("certificate_months", certificate_months),
                         ("complaint_days", complaint_days)):
        if int(value) <= 0:
            raise DomainError(_("%(f)s must be at least 1") % {"f": CountySetting._meta.get_field(field).verbose_name},
                              field=field)
    setting = county_setting(county)
    old = {f: getattr(setting, f) for f in ("spot_share", "spot_minimum", "spot_strata", "certificate_required",
                                            "certificate_months", "complaint_days")}
    setting.spot_share, setting.spot_minimum, setting.spot_strata = share, int(spot_minimum), spot_strata
    setting.certificate_required, setting.certificate_months = bool(certificate_required), int(certificate_months)
    setting.complaint_days = int(complaint_days)
    setting.save()
    audit_record(actor=actor, action="supervision.setting_update", obj=setting, region_code=county, old=old,
                 new={f: getattr(setting, f) for f in old})
    return setting
