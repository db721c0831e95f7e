"""Signals of the registry for apps below it (sent on commit)."""

from django.dispatch import Signal

# person_died(sender=Person, person=Person, on=date): a death was recorded.
person_died = Signal()
