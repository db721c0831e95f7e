from django import forms
from django.utils.translation import gettext_lazy as _

from .services import LiftReason


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Name, ID number or reference"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("any"))] + [("proposed", _("proposed: the family is heard first")),
                                                           ("active", _("active")), ("lifted", _("lifted early")),
                                                           ("expired", _("expired")),
                                                           ("withdrawn", _("withdrawn after the hearing"))])


class AppealForm(forms.Form):
    grounds = forms.CharField(label=_("Grounds of the appeal"), widget=forms.Textarea(attrs={"rows": 3}))


class AppealDecisionForm(forms.Form):
    uphold = forms.TypedChoiceField(label=_("Decision"), coerce=lambda v: v == "1",
                                    choices=[("1", _("uphold and lift the record")), ("0", _("reject"))])
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class LiftForm(forms.Form):
    kind = forms.ChoiceField(label=_("Why"), choices=[(LiftReason.REPAYMENT, _("overpayment repaid")),
                                                    (LiftReason.APPEAL, _("appeal")),
                                                    (LiftReason.OTHER, _("other"))])
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("The family's statement"), widget=forms.Textarea(attrs={"rows": 3}))
    answered_on = forms.DateField(label=_("Given on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class HearingDecisionForm(forms.Form):
    list_person = forms.TypedChoiceField(label=_("Decision"), coerce=lambda v: v == "1",
                                         choices=[("1", _("the listing takes effect")),
                                                  ("0", _("withdraw the intended listing"))])
    consideration = forms.CharField(label=_("How the statement was considered"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
