"""What an item code means for the results database: its name, category and tier.

The programs catalogue (``programs.AssistanceItem``) is the authority when it has the code;
departments' own items that are not in the catalogue keep the free code and name they deliver.
``KNOWN`` names the items the statistical report counts, so a record is classified even
before (or without) the catalogue.
"""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext_lazy as _


@dataclasses.dataclass(frozen=True)
class ItemInfo:
    code: str
    name: str = ""
    category: str = ""
    tier: str = ""
    periodic: bool = False


KNOWN: dict[str, ItemInfo] = {
    info.code: info
    for info in [
        ItemInfo("dibao", "最低生活保障", "living", "dibao", True),
        ItemInfo("dibao_single", "单人保", "living", "dibao", True),
        ItemInfo("tekun", "特困人员供养", "living", "tekun", True),
        ItemInfo("temporary", "临时救助", "temporary", "", False),
        ItemInfo("temporary_urgent", "临时救助（急难）", "temporary", "", False),
        ItemInfo("orphan", "孤儿基本生活费", "children", "orphan", True),
        ItemInfo("de_facto_orphan", "事实无人抚养儿童生活费", "children", "orphan", True),
        ItemInfo("disability_living", "困难残疾人生活补贴", "disability", "", True),
        ItemInfo("disability_care", "重度残疾人护理补贴", "disability", "", True),
        ItemInfo("medical", "医疗救助", "medical", "", False),
        ItemInfo("education", "教育救助", "education", "", False),
        ItemInfo("housing", "住房救助", "housing", "", False),
        ItemInfo("employment", "就业救助", "employment", "", False),
        ItemInfo("disaster", "受灾人员救助", "disaster", "", False),
        ItemInfo("judicial", "司法救助", "judicial", "", False),
    ]
}

# The lines of the monthly statistical report (民政统计报表) and the item codes each counts.
REPORT_LINES = {
    "dibao": ("dibao", "dibao_single"),
    "tekun": ("tekun",),
    "temporary": ("temporary", "temporary_urgent"),
    "orphan": ("orphan", "de_facto_orphan"),
    "disability": ("disability_living", "disability_care"),
}
REPORT_LINE_LABELS = {
    "dibao": _("minimum living allowance"),
    "tekun": _("extreme poverty support"),
    "temporary": _("temporary assistance"),
    "orphan": _("orphans"),
    "disability": _("disability allowances"),
}


def describe(code: str) -> ItemInfo:
    """The catalogue's view of ``code`` (programs when it knows the code, else ``KNOWN``)."""
    try:
        from dajiuzhu.programs.models import AssistanceItem  # type: ignore[attr-defined]
    except ImportError:
        AssistanceItem = None  # noqa: N806
    if AssistanceItem is not None:
        item = AssistanceItem.objects.filter(code=code).first()
        if item is not None:
            return ItemInfo(code, getattr(item, "name", code), getattr(item, "category", "") or "",
                            getattr(item, "tier", "") or "", bool(getattr(item, "periodic", False)))
    return KNOWN.get(code, ItemInfo(code))


def report_line(item_code: str, tier: str = "", category: str = "") -> str:
    """Which line of the monthly report a record counts on ('' for none)."""
    for line, codes in REPORT_LINES.items():
        if item_code in codes:
            return line
    if tier in ("dibao", "tekun", "orphan"):
        return tier
    if category == "temporary":
        return "temporary"
    return ""
