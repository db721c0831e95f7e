"""Signals of the results app (sent on commit).

- ``payments_paid(sender=PaymentLine, batch, lines)`` — the bank's return file confirmed these lines paid
  (the portal tells each family).
"""

from django.dispatch import Signal

payments_paid = Signal()
