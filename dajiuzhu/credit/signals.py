"""Signals of the credit record for apps below it, sent on commit.

``record_took_effect(sender=DishonestyRecord, record=…)``: a dishonesty record is in force from now
(today: on creation; a hearing step would send it when the decision after the hearing is final).
``record_ended(sender=DishonestyRecord, record=…, how="lifted"|"expired")``: it is no longer in force."""

from django.dispatch import Signal

record_took_effect = Signal()
record_ended = Signal()
