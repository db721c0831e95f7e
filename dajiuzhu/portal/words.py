"""Plain Chinese for a resident: money, dates, an item's decision and a case's timeline.

Nothing here shows a rule expression, a code or an English word: reasons are the evaluator's sentences
(the benefit formula line left out), statuses are phrases a family understands.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dajiuzhu.core.money import money


def yuan(amount) -> str:
    if amount is None:
        return ""
    return _("%(amount)s yuan") % {"amount": f"{money(Decimal(amount)):,.2f}"}


def day(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return _("%(y)d-%(m)d-%(d)d") % {"y": value.year, "m": value.month, "d": value.day}


def month(value) -> str:
    return _("%(y)d-%(m)d") % {"y": value.year, "m": value.month}


def plain(sentence: str) -> str:
    """A reason sentence with the comparison and arithmetic signs of the rule language said in words
    (“残疾成员数 > 0” → “残疾成员数 大于 0”) and its brackets dropped."""
    words = ((" >= ", _("at least")), (" ≥ ", _("at least")), (" <= ", _("at most")), (" ≤ ", _("at most")),
             (" > ", _("more than")), (" < ", _("less than")), (" == ", _("equal to")), (" = ", _("equal to")),
             (" × ", _("times")), (" * ", _("times")))
    text = str(sentence)
    for sign, word in words:
        text = text.replace(sign, f" {word} ")
    for bracket in "()（）":
        text = text.replace(bracket, "")
    return " ".join(text.split())


def item_reasons(case_item) -> list[str]:
    """The evaluator's sentences, in words, without the arithmetic line of the benefit."""
    reasons = [str(r) for r in (case_item.reasons or [])]
    if case_item.amount is not None and reasons:
        reasons = reasons[:-1]
    return [plain(r) for r in reasons]


def decision_sentence(case_item) -> str:
    from dajiuzhu.cases.models import ItemStatus

    name = case_item.item.name
    if case_item.status == ItemStatus.APPROVED:
        if case_item.amount is not None and case_item.periodic:
            return _("“%(item)s” is granted: %(amount)s a month from %(month)s.") % {
                "item": name, "amount": yuan(case_item.amount), "month": month(case_item.effective_from)}
        if case_item.amount is not None:
            return _("“%(item)s” is granted: %(amount)s once.") % {"item": name, "amount": yuan(case_item.amount)}
        return _("“%(item)s” is granted.") % {"item": name}
    if case_item.status == ItemStatus.REFUSED:
        return _("“%(item)s” is not granted.") % {"item": name}
    if case_item.status == ItemStatus.REVOKED:
        return _("“%(item)s” has been stopped.") % {"item": name}
    if case_item.status == ItemStatus.ENDED:
        return _("“%(item)s” has ended.") % {"item": name}
    return _("“%(item)s” is being checked by the township.") % {"item": name}


STEP_WORDS = {
    "investigate": gettext_lazy("The township started checking your family's situation."),
    "record_home_visit": gettext_lazy("A worker visited your home."),
    "record_deliberation": gettext_lazy("The village discussed your application."),
    "township_opinion": gettext_lazy("The township gave its opinion."),
    "publish_notice": gettext_lazy("Your application was put on the village noticeboard."),
    "close_notice": gettext_lazy("The public notice ended."),
    "objection": gettext_lazy("Someone objected during the public notice; the township checks again."),
    "issue_decision_notice": gettext_lazy("The decision letter was issued."),
    "withdraw": gettext_lazy("The application was withdrawn."),
    "verify": gettext_lazy("Your declaration was checked against the departments' records."),
    "review_confirm": gettext_lazy("The yearly review confirmed your assistance."),
    "adjust": gettext_lazy("The amount was changed after a review."),
    "revoke": gettext_lazy("The assistance was stopped."),
    "end": gettext_lazy("The assistance ended."),
    "appeal_lodge": gettext_lazy("You appealed the decision."),
    "appeal_decide": gettext_lazy("Your appeal was decided."),
}


def timeline(case, events, notices) -> list[dict]:
    """The case's steps in plain words, oldest first: received, decided, public notice until a date,
    checked, confirmed or adjusted."""
    from dajiuzhu.cases.models import Channel

    rows: list[dict] = []
    for event in events:
        text = ""
        if event.action == "submit":
            how = {Channel.ONLINE: _("online"), Channel.PROXY: _("through your village service room"),
                   Channel.WINDOW: _("at the township window")}.get(case.channel, "")
            text = _("Your application was received %(how)s.") % {"how": how}
        elif event.action == "decide_by_rule" or event.action == "decide_item":
            if event.case_item is not None and event.case_item.requested:
                text = decision_sentence(event.case_item)
        elif event.action == "accept" and case.status != "decided":
            text = _("The township window accepted your application and checks it before deciding.")
        elif event.action == "decide":
            text = _("The application was decided.")
        elif event.action == "publish_notice":
            notice = next((n for n in notices), None)
            text = (_("Your application is on the village noticeboard until %(date)s.") % {"date": day(notice.ends_on)}
                    if notice else STEP_WORDS["publish_notice"])
        elif event.action in STEP_WORDS:
            text = str(STEP_WORDS[event.action])
        if text:
            rows.append({"at": event.at, "day": day(event.at), "text": text})
    return rows
