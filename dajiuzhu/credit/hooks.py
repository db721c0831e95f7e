"""Signals of the credit record, sent on commit, for apps that pass restrictions on (e.g. an exchange).

- ``record_in_force(sender=DishonestyRecord, record)`` — a record took effect (after its hearing, or at
  once for a department's list).
- ``record_ended(sender=DishonestyRecord, record)`` — a record in force was lifted or expired.

Participating departments also fetch the same changes through the department data channel
(``GET /api/v1/checks/restrictions?since=…``).
"""

from django.dispatch import Signal

record_in_force = Signal()
record_ended = Signal()
