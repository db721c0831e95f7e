"""Forms of the social-forces pages (input only; the services decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dajiuzhu.accounts.models import Department

from .models import ServiceKind

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MONTH = forms.TextInput(attrs={"type": "month"})


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=30)
    authority = forms.CharField(label=_("Registration authority"), max_length=120)
    kind = forms.CharField(label=_("Kind of organisation"), max_length=60, required=False)
    services = forms.MultipleChoiceField(label=_("Services offered"), choices=ServiceKind.choices,
                                         widget=forms.CheckboxSelectMultiple)
    area_codes = forms.CharField(label=_("Service area (region codes, one per line)"), widget=forms.Textarea(
        attrs={"rows": 3}))
    contact_name = forms.CharField(label=_("Contact person"), max_length=60)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    document = forms.CharField(label=_("Qualification document"), max_length=120, required=False)
    document_number = forms.CharField(label=_("Document number"), max_length=60, required=False)
    document_expires = forms.DateField(label=_("Document valid until"), required=False, widget=DATE)


class ProjectForm(forms.Form):
    name = forms.CharField(label=_("Project"), max_length=120)
    department = forms.ModelChoiceField(label=_("Buying department"), queryset=Department.objects.all())
    budget = forms.DecimalField(label=_("Budget (yuan)"), max_digits=14, decimal_places=2)
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE)
    organisations = forms.ModelMultipleChoiceField(label=_("Contracted organisations"), queryset=None,
                                                   widget=forms.CheckboxSelectMultiple)
    target_groups = forms.CharField(label=_("Target groups"), max_length=300, required=False)
    visits_per_person_month = forms.IntegerField(label=_("Visits per person per month"), min_value=0, initial=1)
    price_visit = forms.DecimalField(label=_("Price of a home visit"), required=False, decimal_places=2)
    price_care_hour = forms.DecimalField(label=_("Price of an hour of care"), required=False, decimal_places=2)
    price_counselling = forms.DecimalField(label=_("Price of a counselling session"), required=False, decimal_places=2)
    price_training_day = forms.DecimalField(label=_("Price of a training day"), required=False, decimal_places=2)

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = organisations

    def prices(self) -> dict:
        return {kind: self.cleaned_data[f"price_{kind}"] for kind in ServiceKind.values
                if self.cleaned_data.get(f"price_{kind}") is not None}


class OrderForm(forms.Form):
    household_number = forms.CharField(label=_("Household number"), max_length=32)
    project = forms.ModelChoiceField(label=_("Project"), queryset=None)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    kind = forms.ChoiceField(label=_("Service"), choices=ServiceKind.choices)
    quantity = forms.DecimalField(label=_("Units"), initial=1, decimal_places=2)
    needs = forms.CharField(label=_("Needs"), max_length=300, required=False)
    due_on = forms.DateField(label=_("Due"), required=False, widget=DATE)

    def __init__(self, *args, projects=None, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["organisation"].queryset = organisations


class ReferForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Project"), queryset=None)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    kind = forms.ChoiceField(label=_("Service"), choices=ServiceKind.choices, initial=ServiceKind.COUNSELLING)
    needs = forms.CharField(label=_("What the family needs"), max_length=300)

    def __init__(self, *args, projects=None, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["organisation"].queryset = organisations


class AcceptForm(forms.Form):
    worker = forms.ModelChoiceField(label=_("Worker"), queryset=None)

    def __init__(self, *args, workers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = workers


class ReasonForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Send to"), queryset=None, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class VisitForm(forms.Form):
    started_at = forms.DateTimeField(label=_("Started"), widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M"])
    ended_at = forms.DateTimeField(label=_("Ended"), widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M"])
    done = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 4}))
    photos = forms.FileField(label=_("Photos"), required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}))
    confirmed_by = forms.CharField(label=_("Confirmed by (the resident or a family member)"), max_length=60,
                                   required=False)
    resident_confirmed = forms.BooleanField(label=_("The resident confirms the service"), required=False)


class RateForm(forms.Form):
    score = forms.TypedChoiceField(label=_("Rating"), coerce=int, choices=[(i, str(i)) for i in range(5, 0, -1)])
    comment = forms.CharField(label=_("Comment"), max_length=300, required=False)


class DrawForm(forms.Form):
    month = forms.CharField(label=_("Month"), widget=MONTH)
    count = forms.IntegerField(label=_("How many"), min_value=1, max_value=500, initial=5)
    seed = forms.CharField(label=_("Seed (optional)"), max_length=40, required=False)


class CallBackForm(forms.Form):
    reached = forms.BooleanField(label=_("The resident was reached"), required=False)
    service_confirmed = forms.BooleanField(label=_("The resident confirms the service"), required=False)
    satisfaction = forms.TypedChoiceField(label=_("Satisfaction"), coerce=int, required=False, empty_value=None,
                                          choices=[("", "—")] + [(i, str(i)) for i in range(5, 0, -1)])
    complaint = forms.CharField(label=_("Complaint"), max_length=300, required=False)


class MonthForm(forms.Form):
    month = forms.CharField(label=_("Month"), widget=MONTH)


class VolunteerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    region_code = forms.CharField(label=_("Region code"), max_length=12)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    skills = forms.CharField(label=_("Skills"), max_length=200, required=False)


class HoursForm(forms.Form):
    volunteer = forms.ModelChoiceField(label=_("Volunteer"), queryset=None)
    on = forms.DateField(label=_("Date"), widget=DATE)
    hours = forms.DecimalField(label=_("Hours"), decimal_places=2)

    def __init__(self, *args, volunteers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = volunteers


class WishForm(forms.Form):
    household_number = forms.CharField(label=_("Household number"), max_length=32)
    title = forms.CharField(label=_("Wish"), max_length=60)
    description = forms.CharField(label=_("Description (never the family's name or address)"), max_length=300,
                                  required=False)
    value = forms.DecimalField(label=_("Estimated value (yuan)"), decimal_places=2)


class ClaimForm(forms.Form):
    donor = forms.CharField(label=_("Donor"), max_length=120)
    is_company = forms.BooleanField(label=_("A company"), required=False)


class DeliverForm(forms.Form):
    delivered_on = forms.DateField(label=_("Delivered on"), widget=DATE)
