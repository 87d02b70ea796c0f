"""A raw field value as bounded text: what every field parser (``matching.parsers``, ``matching.dates``,
``matching.titles``) reads first."""

from __future__ import annotations

from matching.text import fast_fold

MAX_FIELD_LEN = 5_000  # parsers look at the first characters only: a field is never longer


def bounded_text(value: object, limit: int = MAX_FIELD_LEN) -> str:
    """Any value as a bounded, stripped string ("" for None)."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, (list, tuple, set)):
        value = " ".join(bounded_text(v, limit) for v in value)
    elif isinstance(value, dict):
        value = " ".join(bounded_text(v, limit) for v in value.values())
    text = str(value)
    if len(text) > limit:
        text = text[:limit]
    return text.strip()


def folded_text(value: object, limit: int = MAX_FIELD_LEN) -> str:
    """``bounded_text`` folded (lower case, no accents) for matching."""
    return fast_fold(bounded_text(value, limit))
