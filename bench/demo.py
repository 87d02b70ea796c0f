"""Demo stages: the time of each stage of ``ohmylot demo`` (crawl per source, import, dedupe, match) and of
the whole demo, on a fresh SQLite database, then a second run on the same database (no count may change)."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

from jobs.demo import run_demo
from store.db import open_database


def run(quick: bool = False) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="ohmylot-bench-demo-") as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'demo.sqlite3'}")
        first = run_demo(db, data_dir=Path(tmp), today=date(2026, 11, 25))
        result: dict[str, object] = {
            "first_run_timings_s": {k: round(v, 3) for k, v in first.timings.items()},
            "postings": first.postings,
            "offers": first.offers,
            "duplicates_merged": first.duplicates_merged,
            "candidates": first.candidates,
            "matches": first.matches,
        }
        if not quick:
            second = run_demo(db, data_dir=Path(tmp), today=date(2026, 11, 25))
            result["second_run_timings_s"] = {k: round(v, 3) for k, v in second.timings.items()}
            keys = ("postings", "offers", "duplicates_merged", "candidates", "matches")
            result["second_run_same_counts"] = all(getattr(first, k) == getattr(second, k) for k in keys)
        db.engine.dispose()
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
