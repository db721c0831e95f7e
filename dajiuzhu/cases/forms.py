"""Forms of the cases pages (parsing only; the rules live in the services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dajiuzhu.registry.models import Employment, Health, Housing, LabourCapacity, Relation

from .models import Channel
from .workflow import TRANSITIONS, WORKER_STEPS

MEMBER_ROWS = 6
MEMBER_FIELDS = ("name", "id_number", "relation", "health", "disability_category", "disability_grade", "adl_failed",
                 "labour", "employment")

FACT_FIELDS = (
    ("monthly_wages", _("wages per month")),
    ("monthly_business_income", _("net business income per month")),
    ("monthly_property_income", _("net property income per month")),
    ("monthly_transfer_income", _("net transfer income per month")),
    ("monthly_excluded_income", _("excluded income per month")),
    ("deposits", _("deposits")),
    ("securities", _("securities")),
    ("commercial_insurance", _("commercial insurance")),
    ("annual_medical_expense", _("self-paid medical costs, 12 months")),
    ("annual_education_expense", _("education costs, 12 months")),
    ("annual_rehabilitation_expense", _("disability rehabilitation costs, 12 months")),
    ("annual_basic_living_expense", _("other basic living costs, 12 months")),
)
COUNT_FIELDS = (
    ("vehicles", _("vehicles")),
    ("vehicles_for_disability", _("vehicles used for a disability")),
    ("extra_houses", _("houses beyond the one lived in")),
)


class ApplicationForm(forms.Form):
    """The window's one form: the applicant's ID, (a new household), declared facts, items, signatures."""

    id_number = forms.CharField(label=_("applicant's ID number"), max_length=24)
    household_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    region_code = forms.CharField(label=_("residence village code (new household)"), max_length=12, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    hukou_region_code = forms.CharField(label=_("registration (户籍) village code"), max_length=12, required=False)
    housing = forms.ChoiceField(label=_("housing condition"), choices=Housing.choices, initial=Housing.SAFE)
    items = forms.MultipleChoiceField(label=_("assistance items asked for"), widget=forms.CheckboxSelectMultiple)
    promise_signed = forms.BooleanField(label=_("the applicant signed the credit promise (信用承诺)"), required=False)
    authorisation_signed = forms.BooleanField(
        label=_("the applicant and every adult member signed the data-check authorisation (授权书)"), required=False)
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, item_choices=(), channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in FACT_FIELDS:
            self.fields[name] = forms.DecimalField(label=label, required=False, min_value=0, decimal_places=2,
                                                   max_digits=12)
        for name, label in COUNT_FIELDS:
            self.fields[name] = forms.IntegerField(label=label, required=False, min_value=0, max_value=99)
        self.fields["items"].choices = list(item_choices)
        self.fields["channel"] = forms.ChoiceField(label=_("channel"), choices=list(channels) or Channel.choices)

    @property
    def fact_names(self):
        return [n for n, _l in FACT_FIELDS] + [n for n, _l in COUNT_FIELDS]

    def fact_fields(self):
        return [self[n] for n in self.fact_names]

    def facts(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.fact_names}
        data["housing"] = self.cleaned_data.get("housing") or Housing.SAFE
        return {k: ("" if v is None else str(v)) for k, v in data.items()}

    def member_rows(self) -> list[dict]:
        """The raw member rows (member-N-field) of a new household, as parse_member takes them."""
        rows = []
        for i in range(MEMBER_ROWS):
            row = {f: (self.data.get(f"member-{i}-{f}") or "").strip() for f in MEMBER_FIELDS}
            if row["name"] or row["id_number"]:
                rows.append(row)
        return rows


MEMBER_CHOICES = {
    "relation": Relation.choices,
    "health": Health.choices,
    "labour": LabourCapacity.choices,
    "employment": Employment.choices,
}


class TransitionForm(forms.Form):
    step = forms.ChoiceField(choices=[(name, TRANSITIONS[name].label) for name in WORKER_STEPS])
    opinion = forms.CharField(label=_("opinion or record"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("decision"), choices=[("approve", _("approve")), ("refuse", _("refuse"))])
    opinion = forms.CharField(label=_("opinion"), widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(forms.Form):
    action = forms.ChoiceField(label=_("review outcome"), choices=[
        ("confirm", _("confirm")), ("adjust", _("change the amount")), ("revoke", _("revoke")), ("end", _("end"))])
    amount = forms.DecimalField(label=_("new monthly amount"), required=False, min_value=0, decimal_places=2,
                                max_digits=12)
    reason = forms.CharField(label=_("reason or note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    not_due_from = forms.DateField(label=_("not due from (revocation)"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    dishonest = forms.BooleanField(label=_("false declaration (失信)"), required=False)


class AppealForm(forms.Form):
    grounds = forms.CharField(label=_("grounds of the appeal"), widget=forms.Textarea(attrs={"rows": 3}))


class AppealDecisionForm(forms.Form):
    uphold = forms.ChoiceField(label=_("decision"), choices=[("1", _("uphold (change the decision)")),
                                                             ("0", _("dismiss"))])
    amount = forms.DecimalField(label=_("monthly amount if approved"), required=False, min_value=0, decimal_places=2,
                                max_digits=12)
    note = forms.CharField(label=_("reasons"), widget=forms.Textarea(attrs={"rows": 3}))


class ObjectionForm(forms.Form):
    text = forms.CharField(label=_("your objection"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    contact = forms.CharField(label=_("contact (optional)"), max_length=60, required=False)
