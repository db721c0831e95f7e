"""The full texts a resident reads and signs online: the credit promise (信用承诺书) and the authorisation
for checks (家庭经济状况核对授权书). Their versions are the cases app's, so a signature records exactly the
text that was shown."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PROMISE_TITLE = _("Credit promise (信用承诺书)")
PROMISE_PARAGRAPHS = [
    _("I promise that what I and my family have declared about our members, income, property and spending is "
      "true, complete and up to date."),
    _("I know that the assistance is decided at once on what I declare and checked afterwards against the "
      "records of the departments; if the check finds that we were not entitled, the assistance stops."),
    _("If I have declared something false or hidden something, I will pay back what was paid without "
      "entitlement, and the false declaration will be recorded in the credit record of the county."),
    _("When our income, property, members or circumstances change, I will report it within one month."),
]
AUTHORISATION_TITLE = _("Authorisation to check the family's economic situation (授权书)")
AUTHORISATION_PARAGRAPHS = [
    _("I, and the adult members of my family for whom I sign, allow the civil affairs office to ask the "
      "departments (public security, human resources and social security, housing, vehicles, banks, "
      "market supervision, tax, medical insurance and others) about our income, property and spending."),
    _("The information is used only to decide and review our assistance, is kept confidential and is not "
      "given to anyone else."),
    _("This authorisation holds while our application is decided and for as long as we receive assistance."),
]
