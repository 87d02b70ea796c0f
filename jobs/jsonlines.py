"""Reading JSON Lines files given to the offline commands (``dedupe --input``, ``match --offers``…)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any


def json_objects(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """``(line number, object, None)`` for every JSON object line, ``(line number, None, reason)`` for a line
    that is not one (reason in French); blank lines are skipped. Decoding errors propagate to the caller."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"JSON invalide ({exc.msg})"
            continue
        if not isinstance(data, dict):
            yield number, None, "un objet JSON est attendu"
            continue
        yield number, data, None
