"""重复、交叉、遗漏: the county-wide check of duplicated, overlapping and missed assistance.

- duplicate: one person covered twice by the same item in force (also through two households
  or two windows), or one household holding the same item twice;
- overlap: a household (or person) receiving two items that exclude each other, or an item
  paid over its per-household ceiling;
- missed: a household the latest screening (``programs.ScreeningHit``) finds eligible that
  receives nothing and has no open application.

The result is a worklist per township (``WorklistEntry`` rows of one job), written in one
transaction with one audit event for the run.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from dajiuzhu.core.audit import audit_record

from .models import CaseItem, ItemStatus, WorklistEntry
from .selectors import active_benefits
from .worklist import allowed_keys, facts_stamp

BATCH = 5000


def _township(code: str) -> str:
    return code[:9] + "000"


def find_problems(*, on: dt.date, region_prefix: str = "") -> list[dict]:
    """Every finding under ``region_prefix`` on ``on`` (no writes)."""
    from dajiuzhu.programs.models import AssistanceItem

    names = dict(AssistanceItem.objects.values_list("pk", "code"))
    ceilings = {pk: c for pk, c in AssistanceItem.objects.filter(household_ceiling__isnull=False)
                .values_list("pk", "household_ceiling")}
    excludes: dict[int, set[int]] = defaultdict(set)
    through = AssistanceItem.excludes.through
    for a, b in through.objects.values_list("from_assistanceitem_id", "to_assistanceitem_id"):
        excludes[a].add(b)
        excludes[b].add(a)

    benefits = list(active_benefits(on=on, region_prefix=region_prefix).values_list(
        "pk", "household_id", "item_id", "amount", "region_code"))
    region_of = {b[1]: b[4] for b in benefits}
    findings: list[dict] = []

    # Duplicates within a household (one-off items twice in the same month, or any slip past the constraint).
    by_household_item: dict[tuple[int, int], list[int]] = defaultdict(list)
    items_of_household: dict[int, set[int]] = defaultdict(set)
    for pk, household_id, item_id, amount, region in benefits:
        by_household_item[(household_id, item_id)].append(pk)
        items_of_household[household_id].add(item_id)
        ceiling = ceilings.get(item_id)
        if ceiling is not None and amount is not None and amount > ceiling:
            findings.append({"kind": WorklistEntry.Kind.OVERLAP, "household_id": household_id, "person_id": None,
                             "region_code": region, "item_codes": [names[item_id]],
                             "detail": f"{names[item_id]}: {amount} > {ceiling}"})
    for (household_id, item_id), pks in by_household_item.items():
        if len(pks) > 1:
            findings.append({"kind": WorklistEntry.Kind.DUPLICATE, "household_id": household_id, "person_id": None,
                             "region_code": region_of[household_id], "item_codes": [names[item_id]],
                             "detail": f"{names[item_id]} ×{len(pks)} (case items {', '.join(map(str, pks))})"})

    # Overlap within a household: two items in force that exclude each other.
    for household_id, held in items_of_household.items():
        seen = set()
        for item_id in sorted(held):
            for other in sorted(excludes.get(item_id, set()) & held):
                pair = tuple(sorted((item_id, other)))
                if pair in seen:
                    continue
                seen.add(pair)
                findings.append({"kind": WorklistEntry.Kind.OVERLAP, "household_id": household_id, "person_id": None,
                                 "region_code": region_of[household_id],
                                 "item_codes": [names[pair[0]], names[pair[1]]],
                                 "detail": f"{names[pair[0]]} + {names[pair[1]]}"})

    # People covered twice: the same item (duplicate) or excluding items (overlap) across households.
    # Only people covered through two households or more matter here: found by the database.
    from django.db.models import Count

    through = CaseItem.covered.through.objects.filter(caseitem_id__in=active_benefits(on=on).values("pk"))
    twice = (through.values("person_id").annotate(households=Count("caseitem__household_id", distinct=True))
             .filter(households__gt=1).values("person_id"))
    covered = through.filter(person_id__in=twice).values_list(
        "person_id", "caseitem__household_id", "caseitem__item_id", "caseitem__region_code")
    per_person: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for person_id, household_id, item_id, region in covered.iterator(chunk_size=BATCH):
        per_person[person_id].append((household_id, item_id, region))
    for person_id, held in per_person.items():
        if len(held) < 2 or len({h for h, _i, _r in held}) < 2:
            continue  # within one household, already reported above
        if region_prefix and not any(r.startswith(region_prefix) for _h, _i, r in held):
            continue
        by_item: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for household_id, item_id, region in held:
            by_item[item_id].append((household_id, region))
        for item_id, places in by_item.items():
            if len({h for h, _r in places}) > 1:
                household_id, region = places[-1]
                findings.append({"kind": WorklistEntry.Kind.DUPLICATE, "household_id": household_id,
                                 "person_id": person_id, "region_code": region, "item_codes": [names[item_id]],
                                 "detail": f"{names[item_id]}: households {', '.join(str(h) for h, _r in places)}"})
        item_ids = set(by_item)
        for item_id in sorted(item_ids):
            for other in sorted(excludes.get(item_id, set()) & item_ids):
                if other <= item_id:
                    continue
                a, b = by_item[item_id][0], by_item[other][0]
                if a[0] == b[0]:
                    continue
                findings.append({"kind": WorklistEntry.Kind.OVERLAP, "household_id": b[0], "person_id": person_id,
                                 "region_code": b[1], "item_codes": [names[item_id], names[other]],
                                 "detail": f"{names[item_id]} ({a[0]}) + {names[other]} ({b[0]})"})

    # Missed: eligible by the latest screening, receiving nothing, no open application.
    findings.extend(_missed(on=on, region_prefix=region_prefix, names=names))
    if region_prefix:
        findings = [f for f in findings if f["region_code"].startswith(region_prefix)]
    return findings


def _missed(*, on: dt.date, region_prefix: str, names: dict[int, str]) -> list[dict]:
    # Missed assistance is about the low-income tiers and the monthly allowances; a household merely
    # eligible for a service (a family doctor, legal aid) is not "missed" when it has not asked.
    from django.db.models import Q

    from dajiuzhu.programs.models import ScreeningHit

    hits = ScreeningHit.objects.filter(~Q(item__tier="") | Q(item__periodic=True, item__kind="material"))
    if region_prefix:
        hits = hits.filter(region_code__startswith=region_prefix)
    eligible: dict[int, tuple[str, list[int]]] = {}
    for household_id, region, item_id in hits.values_list("household_id", "region_code", "item_id").iterator(
            chunk_size=BATCH):
        entry = eligible.setdefault(household_id, (region, []))
        entry[1].append(item_id)
    if not eligible:
        return []
    receiving = set(active_benefits(on=on, region_prefix=region_prefix).values_list("household_id", flat=True))
    pending = CaseItem.objects.filter(status=ItemStatus.PENDING)
    if region_prefix:
        pending = pending.filter(region_code__startswith=region_prefix)
    receiving |= set(pending.values_list("household_id", flat=True))
    out = []
    for household_id, (region, item_ids) in eligible.items():
        if household_id in receiving:
            continue
        codes = sorted(names[i] for i in item_ids)
        out.append({"kind": WorklistEntry.Kind.MISSED, "household_id": household_id, "person_id": None,
                    "region_code": region, "item_codes": codes, "detail": ", ".join(codes)})
    return out


def overlap_check_run(*, job, actor=None, region_prefix: str = "", on: dt.date | None = None) -> dict:
    """Run the check and store the worklist of this job (one transaction, one audit event)."""
    on = on or timezone.localdate()
    started = time.perf_counter()
    findings = find_problems(on=on, region_prefix=region_prefix)
    seconds = time.perf_counter() - started
    counts: dict[str, int] = defaultdict(int)  # keyed by the kind's value
    # Findings marked allowed are not raised again until the household's facts change (``cases.worklist``).
    allowed = allowed_keys()
    if allowed:
        findings = [f for f in findings if (f["household_id"], str(f["kind"]), ",".join(sorted(f["item_codes"])),
                                            facts_stamp(f["household_id"])) not in allowed]
    with transaction.atomic():
        rows = []
        for f in findings:
            counts[str(f["kind"].value if hasattr(f["kind"], "value") else f["kind"])] += 1
            rows.append(WorklistEntry(job_id=job.pk, township_code=_township(f["region_code"]),
                                      region_code=f["region_code"], kind=f["kind"], household_id=f["household_id"],
                                      person_id=f["person_id"], item_codes=f["item_codes"],
                                      detail=f["detail"][:300]))
        WorklistEntry.objects.bulk_create(rows, batch_size=BATCH)
        townships = len({r.township_code for r in rows})
        audit_record(actor=actor, action="cases.overlap_check", object_type="core.job", object_id=job.pk,
                     region_code=region_prefix.ljust(12, "0") if region_prefix else "",
                     new={"on": on, "region_prefix": region_prefix, "counts": dict(counts), "townships": townships})
    return {"on": on.isoformat(), "region_prefix": region_prefix, "counts": dict(counts), "townships": townships,
            "seconds": round(seconds, 3)}
