"""Where later apps plug into the application path (they register from their ``AppConfig.ready()``).

``RESTRICTION_CHECKS``: callables ``(household) -> str | None``. A returned reason (e.g. a
dishonesty record, 失信) puts the whole application on the check-first path with every item
verified first ("一处失信、处处受限"). The credit app appends
``credit.selectors.household_restriction``-based check here.

``VERIFIERS``: callables ``(case, actor) -> object | None``, run when the investigation of a
check-first case starts (before its decision) and, for a trust-first decision, after it
(as a background job enqueued on commit). The checks app appends its economic-status
verification here.

``DECISION_CHECKS``: callables ``(actor) -> str | None`` run before an approver decides a case
(``case_decide``); a returned reason refuses the decision (the supervision app's 持证上岗:
no valid certificate where the county requires one).

``PUBLIC_NOTICE_LINKS``: callables ``(village_code) -> (label, url) | None``: links shown on the
public notice page (the supervision app's complaint and tip form).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RESTRICTION_CHECKS: list[Callable[[Any], str | None]] = []
VERIFIERS: list[Callable[[Any, Any], object | None]] = []
DECISION_CHECKS: list[Callable[[Any], str | None]] = []
PUBLIC_NOTICE_LINKS: list[Callable[[str], tuple[str, str] | None]] = []


def restriction_reason(household) -> str:
    """The first restriction any registered check reports for the household, or ""."""
    reasons = [reason for check in RESTRICTION_CHECKS if (reason := check(household))]
    return "; ".join(str(r) for r in reasons)


def decision_refusal(actor) -> str:
    """The first reason a registered check gives for refusing this approver's decision, or ""."""
    return next((str(reason) for check in DECISION_CHECKS if (reason := check(actor))), "")
