"""Short names of the facts in the words a family understands (for reasons and the editor)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

FACT_LABELS = {
    "household_size": _("household members"),
    "monthly_income": _("household monthly income"),
    "per_capita_income": _("household monthly income per person"),
    "financial_assets": _("household financial assets"),
    "per_capita_financial_assets": _("financial assets per person"),
    "vehicles": _("vehicles"),
    "vehicles_non_disability": _("vehicles (other than one used for a disability)"),
    "extra_houses": _("houses beyond the one lived in"),
    "annual_rigid_expense": _("rigid spending over 12 months"),
    "annual_medical_expense": _("self-paid medical costs over 12 months"),
    "annual_education_expense": _("education costs over 12 months"),
    "annual_income": _("household income over 12 months"),
    "housing_code": _("housing condition"),
    "safe_water": _("safe drinking water"),
    "has_facts": _("economic situation on record"),
    "is_urban": _("urban resident"),
    "members_over_60": _("members aged 60 or over"),
    "members_under_16": _("members under 16"),
    "members_under_18": _("members under 18"),
    "disabled_members": _("members with a disability"),
    "severely_disabled_members": _("members with a severe disability"),
    "seriously_ill_members": _("seriously ill members"),
    "chronic_ill_members": _("chronically ill members"),
    "max_adl_failed": _("daily-living items a member cannot manage"),
    "labour_members": _("members able to work"),
    "unemployed_able_members": _("unemployed members able to work"),
    "students": _("members in school"),
    "head_age": _("age of the head of household"),
    "applicant_age": _("age of the applicant"),
    "applicant_disability_grade": _("disability grade of the applicant"),
    "applicant_adl_failed": _("daily-living items the applicant cannot manage"),
    "applicant_labour": _("labour capacity of the applicant"),
    "applicant_seriously_ill": _("the applicant is seriously ill"),
    "applicant_student": _("the applicant is in school"),
    "applicant_able_supporters": _("legal supporters able to support the applicant"),
    "has_event": _("an emergency struck the household"),
    "event_days": _("days since the emergency"),
    "event_loss": _("loss of the emergency"),
    "event_house": _("damage to the house in the emergency"),
    "event_injured": _("people injured in the emergency"),
    "event_deaths": _("people who died in the emergency"),
    "tier_dibao": _("receives the minimum living allowance"),
    "tier_tekun": _("is supported as extremely poor"),
    "tier_near_poor": _("is a near-poor household"),
    "tier_rigid": _("is a rigid-expenditure hardship household"),
}


def fact_label(name: str) -> str:
    return str(FACT_LABELS.get(name, name))
