"""Forms of the jobs and training pages (input only; the services decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dajiuzhu.accounts.models import Department

DATE = forms.DateInput(attrs={"type": "date"})


class JobForm(forms.Form):
    title = forms.CharField(label=_("Post"), max_length=60)
    region_code = forms.CharField(label=_("Place (region code)"), max_length=12)
    department = forms.ModelChoiceField(label=_("Funding department"), queryset=Department.objects.all())
    hours_per_month = forms.IntegerField(label=_("Hours per month"), min_value=1, max_value=208)
    monthly_pay = forms.DecimalField(label=_("Pay per month (yuan)"), decimal_places=2)
    positions = forms.IntegerField(label=_("Positions"), min_value=1, initial=1)
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE, required=False)


class PlacementForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    start = forms.DateField(label=_("From"), widget=DATE)
    contract_number = forms.CharField(label=_("Contract number"), max_length=40)
    contract_end = forms.DateField(label=_("Contract until"), widget=DATE)


class WageForm(forms.Form):
    month = forms.CharField(label=_("Month"), widget=forms.TextInput(attrs={"type": "month"}))
    days_worked = forms.IntegerField(label=_("Days worked"), min_value=0, max_value=31)
    amount = forms.DecimalField(label=_("Wage (yuan)"), decimal_places=2)


class ExitForm(forms.Form):
    on = forms.DateField(label=_("Left on"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CourseForm(forms.Form):
    name = forms.CharField(label=_("Course"), max_length=120)
    provider = forms.CharField(label=_("Provider"), max_length=120)
    region_code = forms.CharField(label=_("Place (region code)"), max_length=12)
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE)
    days = forms.IntegerField(label=_("Training days"), min_value=1)
    capacity = forms.IntegerField(label=_("Places"), min_value=1)


class EnrolForm(forms.Form):
    household_number = forms.CharField(label=_("Household number"), max_length=32)
    name = forms.CharField(label=_("Member's name"), max_length=60)


class CompleteForm(forms.Form):
    days_attended = forms.IntegerField(label=_("Days attended"), min_value=0)
    on = forms.DateField(label=_("Recorded on"), widget=DATE)
    certificate = forms.CharField(label=_("Certificate"), max_length=60, required=False)


class FollowUpForm(forms.Form):
    on = forms.DateField(label=_("Followed up on"), widget=DATE)
    employed = forms.BooleanField(label=_("Employed"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
