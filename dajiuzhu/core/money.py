"""Money is Decimal yuan, rounded to the fen (or as the county sets), never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models

ZERO = Decimal("0.00")


def money(value: object, *, places: int | None = None, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round to the configured number of places (fen by default), half up."""
    places = settings.MONEY_PLACES if places is None else places
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number.quantize(Decimal(1).scaleb(-places), rounding=rounding)


class MoneyField(models.DecimalField):
    """Yuan with two decimal places, up to a trillion."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs
