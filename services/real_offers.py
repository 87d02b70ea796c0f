"""The real France Travail offers of ``tests/data/real_offers`` (built by ``bench/real_offers.py``, not committed).

``load_offers`` reads the built file and gives each offer its ``split`` (tuning / test, by title); it is empty
when the file has not been built, and ``MISSING`` says how to build it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from matching.rome import title_key

OUT_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "real_offers" / "offers.jsonl"


def split_of(title: str) -> str:
    """``tuning`` (6 in 10) or ``test``, decided by the folded title so that one title never sits in both parts."""
    bucket = int(hashlib.sha1(title_key(title).encode(), usedforsecurity=False).hexdigest(), 16) % 10
    return "tuning" if bucket < 6 else "test"


def load_offers(path: Path = OUT_FILE) -> list[dict]:
    """The built offers, each with its ``split``; empty when the file has not been built."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    for row in rows:
        row["split"] = split_of(row["title"])
    return rows


# Sources that are a keyword search rather than every offer of a place ("data" jobs): a biased sample of the
# codes employers choose, so they are left out of the code prior and reported apart.
KEYWORD_SOURCES = frozenset({"anp67x/France-Travail-API-project"})


def from_keyword_search(offer: dict) -> bool:
    """True for an offer of a keyword-search source (``KEYWORD_SOURCES``)."""
    return str(offer.get("source", "")).split(":")[0] in KEYWORD_SOURCES


MISSING = (
    "offres réelles absentes : construisez tests/data/real_offers/offers.jsonl avec "
    "`PYTHONPATH=. python -m bench.real_offers --mirror DOSSIER` (voir tests/data/real_offers/README.md)"
)
