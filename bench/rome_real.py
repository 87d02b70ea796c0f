"""Prints ``services.quality_rome.evaluate()`` as JSON (see that module): ``PYTHONPATH=. python -m bench.rome_real``."""

from __future__ import annotations

import json
import sys

from services.quality_rome import evaluate

if __name__ == "__main__":
    try:
        print(json.dumps(evaluate(), indent=2, ensure_ascii=False))
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(0) from None
