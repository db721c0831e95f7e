"""Model fields for personal data."""

from __future__ import annotations

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Stored as AES-GCM ciphertext, read back as plain text.

    Pair it with a blind-index column (``crypto.blind_index``) for lookups and a masked
    column for lists, so pages that show many rows never decrypt anything.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)
