"""Prints ``services.quality_rank.evaluate()`` as JSON (see that module): ``PYTHONPATH=. python -m bench.rank_real``."""

from __future__ import annotations

import json
import sys

from services.quality_rank import evaluate

if __name__ == "__main__":
    try:
        print(json.dumps(evaluate(split=sys.argv[1] if len(sys.argv) > 1 else "test"), indent=2, ensure_ascii=False))
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
