from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .datatypes import DATA_TYPES, owned_types
from .models import Decision


class DeliveryForm(forms.Form):
    data_type = forms.ChoiceField(label=_("Data type"))
    file = forms.FileField(label=_("File (CSV or XLSX, in the template's layout)"))

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        owned = owned_types(department)
        self.fields["data_type"].choices = [(code, spec.label) for code, spec in DATA_TYPES.items() if code in owned]


class VerifyForm(forms.Form):
    as_of = forms.DateField(label=_("Reference date"), initial=timezone.localdate,
                            widget=forms.DateInput(attrs={"type": "date"}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    amount = forms.DecimalField(label=_("New monthly amount (adjust)"), required=False, min_value=0, decimal_places=2)
    not_due_from = forms.DateField(label=_("Not due from (revoke)"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    dishonest = forms.BooleanField(label=_("False declaration: write a dishonesty record"), required=False)
    dishonesty_reason = forms.ChoiceField(label=_("Kind of dishonesty"), required=False,
                                          choices=[("concealment", _("concealed income or assets")),
                                                   ("forgery", _("forged or false documents"))])


class BatchForm(forms.Form):
    as_of = forms.DateField(label=_("Reference date"), initial=timezone.localdate,
                            widget=forms.DateInput(attrs={"type": "date"}))
