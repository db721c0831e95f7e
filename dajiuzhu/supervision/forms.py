from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Complaint, Holiday, LimitKind, SpotCheck, Step, Unit


class LimitForm(forms.Form):
    item = forms.CharField(label=_("assistance item (code)"), max_length=60)
    step = forms.ChoiceField(label=_("step"), choices=Step.choices)
    days = forms.IntegerField(label=_("days"))
    unit = forms.ChoiceField(label=_("unit"), choices=Unit.choices)
    kind = forms.ChoiceField(label=_("limit"), choices=LimitKind.choices)


class HolidaysForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2040)
    rows = forms.CharField(label=_("one range a line: name, holiday|workday, from, to"), widget=forms.Textarea)

    def parsed(self) -> list[dict]:
        out = []
        for line in self.cleaned_data["rows"].splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            parts += [""] * (4 - len(parts))
            out.append({"name": parts[0], "kind": parts[1], "starts_on": parts[2], "ends_on": parts[3]})
        return out


class DrawForm(forms.Form):
    month = forms.DateField(label=_("month (its first day)"), widget=forms.DateInput(attrs={"type": "date"}))
    size = forms.IntegerField(label=_("sample size (blank: the county's share)"), required=False)
    seed = forms.IntegerField(label=_("seed (blank: a new random seed)"), required=False)


class AssignForm(forms.Form):
    checker = forms.CharField(label=_("checker's user name"), max_length=150)


class RecordForm(forms.Form):
    visited_on = forms.DateField(label=_("visited on"), widget=forms.DateInput(attrs={"type": "date"}))
    members_present = forms.CharField(label=_("members found at home"), required=False, max_length=2000)
    housing = forms.CharField(label=_("housing found"), required=False, max_length=2000)
    income_seen = forms.CharField(label=_("income seen"), required=False, max_length=2000)
    assets_seen = forms.CharField(label=_("assets seen"), required=False, max_length=2000)
    notes = forms.CharField(label=_("other facts"), required=False, widget=forms.Textarea)
    outcome = forms.ChoiceField(label=_("outcome"), choices=SpotCheck.Outcome.choices)
    difference = forms.CharField(label=_("difference"), required=False, widget=forms.Textarea)
    photos = forms.FileField(label=_("photo (JPEG or PNG)"), required=False)


class PublicComplaintForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Complaint.Kind.choices)
    notice = forms.IntegerField(label=_("about the notice"), required=False, widget=forms.Select)
    text = forms.CharField(label=_("what happened"), widget=forms.Textarea, max_length=4000)
    anonymous = forms.BooleanField(label=_("anonymous"), required=False, initial=True)
    contact = forms.CharField(label=_("contact (if not anonymous)"), required=False, max_length=60)


class ComplaintForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Complaint.Kind.choices)
    region = forms.CharField(label=_("village or township code"), max_length=12)
    case_number = forms.CharField(label=_("application number"), required=False, max_length=32)
    text = forms.CharField(label=_("what happened"), widget=forms.Textarea, max_length=4000)
    anonymous = forms.BooleanField(label=_("anonymous"), required=False, initial=True)
    contact = forms.CharField(label=_("contact (if not anonymous)"), required=False, max_length=60)


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("answer"), widget=forms.Textarea)


KIND_CHOICES = Holiday.Kind.choices


class SettingForm(forms.Form):
    spot_share = forms.DecimalField(label=_("share of decided cases drawn each month"), max_digits=5,
                                    decimal_places=4)
    spot_minimum = forms.IntegerField(label=_("at least this many per stratum"))
    spot_strata = forms.ChoiceField(label=_("strata"), choices=[("township", _("by township")),
                                                                ("township_item", _("by township and item"))])
    certificate_required = forms.BooleanField(label=_("a valid certificate is required to decide"), required=False)
    certificate_months = forms.IntegerField(label=_("certificate valid for (months)"))
    complaint_days = forms.IntegerField(label=_("complaint answer time limit (working days)"))


class WeightsForm(forms.Form):
    """One weight per indicator of the ranking (a new formula version when saved)."""

    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in indicators:
            self.fields[f"w_{key}"] = forms.DecimalField(label=label, min_value=0, max_value=1000, decimal_places=2)

    def weights(self) -> dict:
        return {k[2:]: v for k, v in self.cleaned_data.items() if k.startswith("w_")}


class CourseForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=120)
    kind = forms.ChoiceField(label=_("kind"), choices=[("policy", _("policy")), ("systems", _("systems")),
                                                       ("ethics", _("ethics"))])
    hours = forms.DecimalField(label=_("hours"), max_digits=5, decimal_places=1)


class SessionForm(forms.Form):
    course = forms.IntegerField(label=_("course"), widget=forms.Select)
    starts_at = forms.DateTimeField(label=_("starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    hours = forms.DecimalField(label=_("hours"), max_digits=5, decimal_places=1)
    place = forms.CharField(label=_("place"), max_length=120)


class AttendanceForm(forms.Form):
    session = forms.IntegerField(label=_("session"), widget=forms.Select)
    usernames = forms.CharField(label=_("user names of the attendees, one a line"), widget=forms.Textarea)


class ExamForm(forms.Form):
    course = forms.IntegerField(label=_("course"), widget=forms.Select)
    title = forms.CharField(label=_("title"), max_length=120)
    questions_per_attempt = forms.IntegerField(label=_("questions per attempt"), min_value=1, max_value=100)
    pass_mark = forms.IntegerField(label=_("pass mark (%)"), min_value=1, max_value=100)
    minutes = forms.IntegerField(label=_("time allowed (minutes)"), min_value=1, max_value=600)


class QuestionForm(forms.Form):
    exam = forms.IntegerField(label=_("exam"), widget=forms.Select)
    text = forms.CharField(label=_("question"), widget=forms.Textarea)
    choices = forms.CharField(label=_("choices, one a line"), widget=forms.Textarea)
    answer = forms.IntegerField(label=_("number of the right choice (1 = the first)"), min_value=1)
