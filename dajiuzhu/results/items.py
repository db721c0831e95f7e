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
        ItemInfo("tekun_centralised", "特困人员集中供养", "living", "tekun", True),
        ItemInfo("temporary", "临时救助", "temporary", "", False),
        ItemInfo("temp_emergency", "临时救助（急难型）", "temporary", "", False),
        ItemInfo("temp_expenditure", "临时救助（支出型）", "temporary", "", False),
        ItemInfo("temp_small", "小额临时救助（乡镇先行救助）", "temporary", "", False),
        ItemInfo("orphan", "孤儿基本生活保障", "children", "", True),
        ItemInfo("unsupported_child", "事实无人抚养儿童基本生活补贴", "children", "", True),
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
    "tekun": ("tekun", "tekun_centralised"),
    "temporary": ("temporary", "temp_emergency", "temp_expenditure", "temp_small"),
    "orphan": ("orphan", "unsupported_child"),
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
        item = AssistanceItem.objects.filter(code=code).select_related("category").first()
        if item is not None:
            return info_of(item)
    return KNOWN.get(code, ItemInfo(code))


def info_of(item) -> ItemInfo:
    """An ``ItemInfo`` from a ``programs.AssistanceItem``."""
    category = getattr(item, "category", None)
    return ItemInfo(item.code, item.name, getattr(category, "code", category) or "", item.tier or "",
                    bool(item.periodic))


def report_line(item_code: str, tier: str = "", category: str = "") -> str:
    """Which line of the monthly report a record counts on ('' for none)."""
    for line, codes in REPORT_LINES.items():
        if item_code in codes:
            return line
    if tier in ("dibao", "tekun"):
        return tier
    if category == "temporary":
        return "temporary"
    return ""
