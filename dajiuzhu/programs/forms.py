"""Forms of the catalogue editor; they parse input, the services validate and save."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Acceptance, ApprovalLevel, Area, AssistanceItem, Kind, Tier, Unit

TEXTAREA = {"rows": 3, "cols": 80, "spellcheck": "false", "class": "rule"}


def parse_parameters(text: str) -> dict:
    """``name = value`` per line → dict (values kept as text; the service checks them)."""
    out = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise forms.ValidationError(_("line %(n)d: write name = value") % {"n": number})
        name, value = (part.strip() for part in line.split("=", 1))
        if value.lower() in {"true", "false"}:
            out[name] = value.lower() == "true"
        else:
            out[name] = value
    return out


def format_parameters(parameters: dict) -> str:
    return "\n".join(f"{name} = {value}" for name, value in (parameters or {}).items())


class ItemForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=60)
    name = forms.CharField(label=_("name"), max_length=100)
    category = forms.ChoiceField(label=_("category"))
    department = forms.ChoiceField(label=_("department"))
    kind = forms.ChoiceField(label=_("material or service"), choices=Kind.choices)
    periodic = forms.BooleanField(label=_("paid monthly"), required=False)
    approval_level = forms.ChoiceField(label=_("approval level"), choices=ApprovalLevel.choices)
    acceptance = forms.ChoiceField(label=_("acceptance"), choices=Acceptance.choices)
    village_proxy = forms.BooleanField(label=_("a village worker may apply on a resident's behalf"), required=False)
    online_application = forms.BooleanField(label=_("residents may apply online (掌上办)"), required=False)
    tier = forms.ChoiceField(label=_("roster tier it confers"), choices=Tier.choices, required=False)
    eligibility = forms.CharField(label=_("eligibility rule"), widget=forms.Textarea(attrs=TEXTAREA))
    benefit = forms.CharField(label=_("benefit formula"), required=False, widget=forms.Textarea(attrs=TEXTAREA),
                              help_text=_("Yuan per month for a periodic item, once for a one-off item; blank for a "
                                          "service without a cash amount."))
    parameters = forms.CharField(label=_("parameters"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3, "cols": 40, "spellcheck": "false"}),
                                 help_text=_("One per line: name = value; a rule names it as item.name."))
    household_ceiling = forms.DecimalField(label=_("ceiling per household"), required=False, min_value=Decimal("0.01"),
                                           decimal_places=2, max_digits=14)
    cap_at_ceiling = forms.BooleanField(label=_("cap at the ceiling"), required=False)
    excludes = forms.MultipleChoiceField(label=_("not together with"), required=False,
                                         widget=forms.SelectMultiple(attrs={"size": 6}))
    documents = forms.CharField(label=_("required documents"), required=False,
                                widget=forms.Textarea(attrs={"rows": 3, "cols": 40}), help_text=_("One per line."))
    reason_eligible = forms.CharField(label=_("reason when eligible"), required=False, max_length=300)
    reason_ineligible = forms.CharField(label=_("reason when not eligible"), required=False, max_length=300)
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    active = forms.BooleanField(label=_("active"), required=False, initial=True)
    proactive = forms.BooleanField(label=_("found by screening"), required=False, initial=True)
    note = forms.CharField(label=_("note on this change"), required=False, max_length=300)

    def __init__(self, *args, item: AssistanceItem | None = None, **kwargs):
        from dajiuzhu.accounts.models import Department

        from .models import Category

        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.code, c.name) for c in Category.objects.order_by("order")]
        self.fields["department"].choices = [(d.code, d.name) for d in Department.objects.filter(gives_assistance=True)]
        others = AssistanceItem.objects.order_by("category__order", "order", "code")
        if item is not None:
            others = others.exclude(pk=item.pk)
            self.fields["code"].disabled = True
        self.fields["excludes"].choices = [(i.code, f"{i.name} ({i.code})") for i in others]

    def clean_parameters(self):
        return parse_parameters(self.cleaned_data.get("parameters", ""))

    @staticmethod
    def initial_for(item: AssistanceItem) -> dict:
        return {
            "code": item.code, "name": item.name, "category": item.category.code, "department": item.department.code,
            "kind": item.kind, "periodic": item.periodic, "approval_level": item.approval_level,
            "acceptance": item.acceptance, "village_proxy": item.village_proxy,
            "online_application": item.online_application, "tier": item.tier,
            "eligibility": item.eligibility, "benefit": item.benefit,
            "parameters": format_parameters(item.parameters), "household_ceiling": item.household_ceiling,
            "cap_at_ceiling": item.cap_at_ceiling, "excludes": list(item.excludes.values_list("code", flat=True)),
            "documents": "\n".join(item.documents or []), "reason_eligible": item.reason_eligible,
            "reason_ineligible": item.reason_ineligible, "description": item.description, "active": item.active,
            "proactive": item.proactive,
        }

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("code", None)
        data.pop("note", None)
        return data


class StandardForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    area = forms.ChoiceField(label=_("area"), choices=Area.choices)
    name = forms.CharField(label=_("name"), max_length=60)
    amount = forms.DecimalField(label=_("amount"), min_value=0, decimal_places=4, max_digits=16)
    unit = forms.ChoiceField(label=_("unit"), choices=Unit.choices)
    label = forms.CharField(label=_("label"), required=False, max_length=100)


class ScreeningForm(forms.Form):
    region_prefix = forms.CharField(label=_("region code prefix"), max_length=12)
    on = forms.DateField(label=_("date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
