"""Forms of the alerts pages (parsing only; the services decide)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dajiuzhu.accounts.models import Department

from .models import DisasterEvent, FollowUp


class FollowUpForm(forms.Form):
    visited_on = forms.DateField(label=_("Visit date"), initial=timezone.localdate,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=FollowUp.Outcome.choices, widget=forms.RadioSelect)
    case_id = forms.IntegerField(label=_("Application number (id)"), required=False, min_value=1)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all(), required=False)
    organisation = forms.CharField(label=_("Social organisation"), required=False, max_length=120)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class DisasterForm(forms.Form):
    region_code = forms.CharField(label=_("Area (township or village code)"), max_length=12)
    kind = forms.ChoiceField(label=_("Kind"), choices=DisasterEvent.Kind.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label=_("Description"), required=False, max_length=200)
