"""Signals sent when an item's benefit starts, stops or ends (sent on commit).

- ``case_item_decided(sender=CaseItem, case_item, outcome)`` — outcome "approved" or "refused".
- ``case_item_revoked(sender=CaseItem, case_item, revocation)``.
- ``case_item_ended(sender=CaseItem, case_item)``.

- ``notice_published(sender=PublicNotice, notice)`` — a case goes on the village noticeboard (公示).

The results app records assistance from them; the portal tells the family.
"""

from django.dispatch import Signal

case_item_decided = Signal()
case_item_revoked = Signal()
case_item_ended = Signal()
notice_published = Signal()
