"""Strength rules for the secrets read from the environment (used by ``config/settings.py``).

Pure Python (no Django import): the settings module calls it before the app registry exists.
A key is refused when it is a known example or development value, shorter than
``MIN_KEY_LENGTH`` characters, or made of too few distinct characters to carry the entropy its
length suggests ("aaaa…", "1234…" repeated).
"""

from __future__ import annotations

MIN_KEY_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 12

# Example, placeholder and development values shipped in this repository or common in guides.
KNOWN_WEAK = frozenset({
    "change-me", "changeme", "change_me", "secret", "password", "key", "test", "example", "default",
    "dev-insecure-field-key", "dev-insecure-dajiuzhu-key-do-not-use-in-production",
    "dev-insecure-audit-key",
})


def weak_key_reason(value: str) -> str:
    """Why ``value`` may not be used as a production key ('' when it may)."""
    if not value:
        return "it is empty"
    if value.strip().lower() in KNOWN_WEAK or "change-me" in value.lower() or "changeme" in value.lower():
        return "it is a known example or development value"
    if len(value) < MIN_KEY_LENGTH:
        return f"it is {len(value)} characters long; at least {MIN_KEY_LENGTH} are required"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return (f"it has only {len(set(value))} distinct characters; a random key has many more "
                f"(at least {MIN_DISTINCT_CHARACTERS})")
    return ""


def generate_hint() -> str:
    return 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
