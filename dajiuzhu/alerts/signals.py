"""Signals of the alerts app (sent on commit).

- ``followup_recorded(sender=FollowUp, follow_up)`` — a worker recorded the follow-up visit of a warning
  (the portal tells the family).
"""

from django.dispatch import Signal

followup_recorded = Signal()
