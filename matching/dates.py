"""Date parsing for job offers (split from ``matching.parsers``, which re-exports it).

Formats: ISO 8601 (with or without offset, "Z", " UTC"), ``YYYYMMDD``, ``dd/mm/YYYY[ HH:MM[:SS]]``, RFC 822
("Wed, 26 Feb 2025 16:40:27 +0100"), French ("12 mars 2026", "1er mars 2026"). Times without an offset are
Paris time. Results are timezone-aware UTC; years outside 1990–2100 are rejected. Total: never raises.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from matching.field_text import bounded_text as _text
from matching.text import fold

try:
    from zoneinfo import ZoneInfo

    PARIS: Any = ZoneInfo("Europe/Paris")
except Exception:  # noqa: BLE001 - no tz database: fall back to UTC rather than fail
    PARIS = UTC


_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "mar": 3, "avril": 4,
    "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
    "january": 1, "february": 2, "feb": 2, "march": 3, "april": 4, "apr": 4, "may": 5, "june": 6, "jun": 6,
    "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "october": 10, "november": 11,
    "december": 12,
}
_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?(Z)?$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+(?:a\s+)?(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?$")
_FRENCH = re.compile(
    r"^(?:[a-z]+\.?,?\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})(?:\s*(?:a|,)?\s*(\d{1,2})\s*[:h]\s*(\d{2})?)?$"
)
_RFC822_HINT = re.compile(r"^[A-Za-z]{3},?\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}")


def _build(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
           micro: int = 0, tz: Any = None) -> datetime | None:
    if not 1990 <= year <= 2100:
        return None
    try:
        value = datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return None
    value = value.replace(tzinfo=tz or PARIS)
    return value.astimezone(UTC)


def _offset(text: str | None) -> Any:
    if not text:
        return None
    upper = text.upper()
    if upper in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if upper[0] == "-" else 1
    digits = upper[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4])
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date(text: object, *, naive: Any = None) -> datetime | None:
    """A timezone-aware UTC datetime from the date formats offers use, or None (see module docstring).

    Times without an offset are read in ``naive`` (default Paris time; ``UTC`` for values a database stored
    in UTC)."""
    naive = naive or PARIS
    if isinstance(text, datetime):
        value = text if text.tzinfo else text.replace(tzinfo=naive)
        value = value.astimezone(UTC)
        return value if 1990 <= value.year <= 2100 else None
    if isinstance(text, date):
        return _build(text.year, text.month, text.day, tz=naive)
    raw = _text(text, 100)
    if not raw or len(raw) > 60:
        return None
    try:
        return _parse_date(raw, naive)
    except (ValueError, OverflowError, TypeError, IndexError):
        return None


def parse_day(text: object, *, naive: Any = None) -> date | None:
    """The calendar date of ``parse_date(text, naive=naive)`` where it was written (a date alone stays that
    day: "2026-03-01" is 1 March, not the UTC day of Paris midnight)."""
    value = parse_date(text, naive=naive)
    return value.astimezone(naive or PARIS).date() if value else None


def _parse_date(raw: str, naive: Any) -> datetime | None:
    m = _ISO.match(raw)
    if m:
        y, mo, d, h, mi, s, frac, tz = m.groups()
        micro = int((frac or "0")[:6].ljust(6, "0"))
        offset = _offset(tz) if tz else None
        if tz and offset is None:
            return None
        return _build(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro, offset or naive)
    m = _COMPACT.match(raw)
    if m:
        y, mo, d, h, mi, s, z = m.groups()
        return _build(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                      tz=UTC if z else naive)
    folded = fold(raw).strip()
    m = _DMY.match(folded)
    if m:
        d, mo, y, h, mi, s = m.groups()
        return _build(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), tz=naive)
    m = _FRENCH.match(folded)
    if m:
        d, month_name, y, h, mi = m.groups()
        month = _MONTHS.get(month_name)
        if month:
            return _build(int(y), month, int(d), int(h or 0), int(mi or 0), tz=naive)
        return None
    if _RFC822_HINT.match(raw):
        try:
            value = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=naive)
        value = value.astimezone(UTC)
        return value if 1990 <= value.year <= 2100 else None
    return None
