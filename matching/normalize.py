"""Raw posting → normalised posting (first version: title, identity and text only).

The normalisation issue replaces the body with the gazetteer, the ROME classifier and the field parsers;
the signature stays.
"""

from __future__ import annotations

import re
from datetime import datetime

from matching.types import NormalizedPosting, RawPosting

_SPACES = re.compile(r"\s+")


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def normalize_posting(raw: RawPosting, *, now: datetime | None = None) -> NormalizedPosting:
    """Normalise one raw posting; never raises. A posting without title gets ``drop_reason``."""
    title = _clean(raw.title) or ""
    source_id = _clean(raw.source_id) or _clean(raw.url) or ""
    posting = NormalizedPosting(
        source=raw.source,
        source_id=source_id,
        url=_clean(raw.url),
        title=title,
        title_clean=title,
        employer=_clean(raw.employer),
        description_text=_clean(raw.description),
        rome_code=_clean(raw.rome_code),
        rome_label=_clean(raw.rome_label),
        location_label=_clean(raw.location) or _clean(raw.city),
        apply_url=_clean(raw.apply_url),
        partners=list(raw.partners or []),
    )
    if not title:
        posting.drop_reason = "missing_title"
    elif not source_id:
        posting.drop_reason = "missing_id"
    return posting
