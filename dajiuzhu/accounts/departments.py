"""The departments of the integrated assistance (17 that give assistance) and the data
providers of the economic-status verification (MZ/T 072-2024)."""

from __future__ import annotations

# (code, Chinese name, gives assistance)
DEPARTMENTS: list[tuple[str, str, bool]] = [
    ("civil_affairs", "民政局", True),
    ("hr_social_security", "人力资源和社会保障局", True),
    ("medical_insurance", "医疗保障局", True),
    ("education", "教育和体育局", True),
    ("housing", "住房和城乡建设局", True),
    ("emergency", "应急管理局", True),
    ("disabled_federation", "残疾人联合会", True),
    ("health", "卫生健康局", True),
    ("justice", "司法局", True),
    ("court", "人民法院", True),
    ("trade_union", "总工会", True),
    ("womens_federation", "妇女联合会", True),
    ("youth_league", "共青团县委", True),
    ("red_cross", "红十字会", True),
    ("charity", "慈善总会", True),
    ("agriculture", "农业农村局（乡村振兴）", True),
    ("veterans", "退役军人事务局", True),
    # Data providers for the verification only.
    ("police", "公安局", False),
    ("property_registry", "不动产登记中心", False),
    ("market_regulation", "市场监督管理局", False),
    ("tax", "税务局", False),
    ("housing_fund", "住房公积金中心", False),
    ("banks", "银行业金融机构", False),
]


def ensure_departments() -> int:
    from .models import Department

    created = 0
    for code, name, gives in DEPARTMENTS:
        _, was_created = Department.objects.update_or_create(code=code, defaults={"name": name, "gives_assistance": gives})
        created += was_created
    return created
