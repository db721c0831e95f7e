"""Forms of the portal, in the words a family uses (labels are plain Chinese in zh mode)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ChangeReport

NUM = {"inputmode": "numeric", "autocomplete": "off"}
MONEY = {"inputmode": "decimal", "autocomplete": "off"}


def _count(label, help_text=""):
    return forms.IntegerField(label=label, min_value=0, max_value=30, initial=0, required=False, help_text=help_text,
                              widget=forms.NumberInput(attrs=NUM))


def _money(label, help_text=""):
    return forms.DecimalField(label=label, min_value=0, max_value=Decimal("10000000"), decimal_places=2,
                              max_digits=12, initial=0, required=False, help_text=help_text,
                              widget=forms.NumberInput(attrs={**MONEY, "step": "0.01"}))


class SignInForm(forms.Form):
    id_number = forms.CharField(label=_("ID card number"), max_length=18, min_length=15,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                              "spellcheck": "false"}))
    phone = forms.CharField(label=_("Mobile phone"), max_length=11, min_length=11,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code from the SMS"), max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))


class EstimateForm(forms.Form):
    urban = forms.TypedChoiceField(label=_("Where do you live?"), coerce=lambda v: v == "1", initial="0",
                                   choices=[("0", _("in a village")), ("1", _("in a town community"))],
                                   widget=forms.RadioSelect)
    members = forms.IntegerField(label=_("How many people live in your family?"), min_value=1, max_value=30,
                                 initial=2, widget=forms.NumberInput(attrs=NUM))
    my_age = forms.IntegerField(label=_("Your age"), min_value=0, max_value=120, initial=45,
                                widget=forms.NumberInput(attrs=NUM))
    over_60 = _count(_("How many are 60 or older?"))
    under_16 = _count(_("How many are children under 16?"))
    students = _count(_("How many are at school?"))
    able_to_work = _count(_("How many aged 16 to 59 can work?"))
    unemployed = _count(_("Of them, how many have no job now?"))
    disabled = _count(_("How many have a disability certificate?"))
    severely_disabled = _count(_("Of them, how many are grade 1 or 2?"))
    seriously_ill = _count(_("How many have a serious illness?"))
    chronic_ill = _count(_("How many have a long-term illness?"))
    monthly_wages = _money(_("Wages of the whole family per month (yuan)"))
    monthly_other_income = _money(_("Other income per month: farming, business, pensions, rent (yuan)"))
    savings = _money(_("Savings, deposits and investments of the family (yuan)"))
    vehicles = _count(_("How many cars does the family own?"))
    extra_houses = _count(_("Houses besides the one you live in"))
    medical_expense = _money(_("Medical costs you paid yourselves in the last 12 months (yuan)"))
    education_expense = _money(_("School costs in the last 12 months (yuan)"))
    housing = forms.ChoiceField(label=_("Your house"), initial="safe", choices=[
        ("safe", _("safe to live in")), ("c_class", _("partly dangerous")), ("d_class", _("dangerous")),
        ("none", _("we have no house of our own"))])
    my_disability_grade = forms.TypedChoiceField(label=_("Do you have a disability certificate?"), coerce=int,
                                                 initial="0", choices=[
        ("0", _("no")), ("1", _("grade 1")), ("2", _("grade 2")), ("3", _("grade 3")), ("4", _("grade 4"))])
    my_seriously_ill = forms.BooleanField(label=_("I have a serious illness"), required=False)
    emergency = forms.BooleanField(label=_("Recently a sudden hardship hit us (fire, accident, disaster, sudden "
                                           "serious illness)"), required=False)

    def answers(self):
        from .estimate import Answers

        data = {k: (v if v is not None else 0) for k, v in self.cleaned_data.items()}
        return Answers(**data)


class FactsForm(forms.Form):
    """What the family declares with an application (pre-filled from the registry)."""

    monthly_wages = _money(_("Wages of the whole family per month (yuan)"))
    monthly_business_income = _money(_("Net income from farming or business per month (yuan)"))
    monthly_property_income = _money(_("Rent and interest per month (yuan)"))
    monthly_transfer_income = _money(_("Pensions and money from relatives per month (yuan)"))
    deposits = _money(_("Bank deposits (yuan)"))
    securities = _money(_("Shares and funds (yuan)"))
    commercial_insurance = _money(_("Commercial insurance (yuan)"))
    vehicles = _count(_("Cars owned"))
    extra_houses = _count(_("Houses besides the one you live in"))
    annual_medical_expense = _money(_("Medical costs paid yourselves, last 12 months (yuan)"))
    annual_education_expense = _money(_("School costs, last 12 months (yuan)"))
    housing = forms.ChoiceField(label=_("Your house"), initial="safe", choices=[
        ("safe", _("safe to live in")), ("c_class", _("partly dangerous")), ("d_class", _("dangerous")),
        ("none", _("we have no house of our own"))])

    FIELDS = ("monthly_wages", "monthly_business_income", "monthly_property_income", "monthly_transfer_income",
              "deposits", "securities", "commercial_insurance", "vehicles", "extra_houses", "annual_medical_expense",
              "annual_education_expense", "housing")

    @classmethod
    def initial_from(cls, facts) -> dict:
        if facts is None:
            return {}
        return {name: getattr(facts, name) for name in cls.FIELDS}

    def raw_facts(self) -> dict:
        return {k: ("" if v is None else str(v)) for k, v in self.cleaned_data.items() if k in self.FIELDS}


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photo"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}))


class AppealForm(forms.Form):
    grounds = forms.CharField(label=_("Why do you think the decision is wrong?"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))


class ObjectionForm(forms.Form):
    text = forms.CharField(label=_("What is wrong with this notice?"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 4}))


class ChangeForm(forms.Form):
    kind = forms.ChoiceField(label=_("What changed?"), choices=ChangeReport.Kind.choices, widget=forms.RadioSelect)
    person = forms.TypedChoiceField(label=_("Who?"), coerce=int, required=False, empty_value=None)
    happened_on = forms.DateField(label=_("When?"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Anything else we should know"), required=False, max_length=300,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("a new baby (not yet registered)"))] + [(p.pk, p.name) for p in members]
        self.fields["happened_on"].initial = timezone.localdate()


class ProxyForm(FactsForm):
    id_number = forms.CharField(label=_("ID card number of the applicant"), max_length=18, min_length=15,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    item = forms.ChoiceField(label=_("Item applied for"))
    signature = forms.CharField(required=False, widget=forms.HiddenInput)
    signed_form = forms.FileField(label=_("Or: photo of the signed paper form"), required=False,
                                  widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}))
    photo = forms.FileField(label=_("Photo of a document"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(i.code, i.name) for i in items]


class RequestForm(forms.Form):
    what = forms.CharField(label=_("Document asked for"), max_length=100)
    due = forms.DateField(label=_("by"), widget=forms.DateInput(attrs={"type": "date"}))


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("Why is it returned?"), max_length=300)
