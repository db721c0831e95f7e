"""Events that concern a family become messages in its inbox (and an SMS): decisions, public notices,
payments and warning follow-up visits. Connected in ``PortalConfig.ready()``; each runs after the commit
of the change it reports (the signals are sent on commit) and never breaks it."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from dajiuzhu.alerts import signals as alert_signals
from dajiuzhu.cases import signals as case_signals
from dajiuzhu.results import signals as result_signals

from .models import Message

logger = logging.getLogger("dajiuzhu.portal")


def _safely(post):
    try:
        post()
    except Exception:  # noqa: BLE001 - a message that cannot be written must not undo the change it reports
        logger.exception("portal message not written")


def on_decided(sender, case_item, outcome, **kwargs):
    from . import words
    from .services import message_post

    if not case_item.requested:
        return  # letters list only the items the family asked for
    reasons = words.item_reasons(case_item)
    body = words.decision_sentence(case_item)
    if outcome == "refused" and reasons:
        body += " " + _("Why:") + " " + "；".join(reasons)
    _safely(lambda: message_post(household=case_item.household, kind=Message.Kind.DECISION, case=case_item.case,
                                 event_key=f"decided:{case_item.pk}:{outcome}", title=_("Decision"), body=body))


def on_notice(sender, notice, **kwargs):
    from . import words
    from .services import message_post

    case = notice.case
    _safely(lambda: message_post(
        household=case.household, kind=Message.Kind.NOTICE, case=case, event_key=f"notice:{notice.pk}",
        title=_("Public notice"),
        body=_("Your application %(number)s is on the village noticeboard until %(date)s.")
        % {"number": case.number, "date": words.day(notice.ends_on)}))


def on_paid(sender, batch, lines, **kwargs):
    from . import words
    from .services import message_post

    for line in lines:
        _safely(lambda line=line: message_post(
            household=line.household, kind=Message.Kind.PAYMENT, event_key=f"paid:{line.pk}",
            title=_("Payment made"),
            body=_("%(amount)s of “%(item)s” for %(month)s has been paid to your account.")
            % {"amount": words.yuan(line.amount), "item": line.item_name, "month": words.month(batch.month)}))


def on_followup(sender, follow_up, **kwargs):
    from . import words
    from .services import message_post

    alert = follow_up.alert
    _safely(lambda: message_post(
        household=alert.household, kind=Message.Kind.FOLLOW_UP, event_key=f"followup:{follow_up.pk}",
        title=_("Home visit"),
        body=_("A worker visited your family on %(date)s. If you need help, reply through 掌上办 or call your "
               "village service room.") % {"date": words.day(follow_up.visited_on)}))


case_signals.case_item_decided.connect(on_decided, dispatch_uid="portal.case_item_decided")
case_signals.notice_published.connect(on_notice, dispatch_uid="portal.notice_published")
result_signals.payments_paid.connect(on_paid, dispatch_uid="portal.payments_paid")
alert_signals.followup_recorded.connect(on_followup, dispatch_uid="portal.followup_recorded")
