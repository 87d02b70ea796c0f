"""Per-host pacing helpers shared by the robots and Retry-After middlewares (RELIABILITY.md C2, C4).

Scrapy paces requests per download *slot* (one per host here). ``raise_host_delay`` makes a host's delay at
least a value (``Crawl-delay``), for the slot in use and for a slot re-created later (``DOWNLOAD_SLOTS``
settings of the downloader). ``pause_host`` holds every request to a host for some seconds (``Retry-After``)
by moving the slot's "last request" time into the future.
"""

from __future__ import annotations

import time
from typing import Any

import scrapy.core.downloader as downloader_module
from scrapy.http import Request

# A slot with no delay never waits; pausing it needs a tiny one (1 ms does not change throughput).
_MIN_DELAY = 0.001


def _downloader_and_key(crawler: Any, request: Request) -> tuple[Any, str] | None:
    engine = getattr(crawler, "engine", None)
    downloader = getattr(engine, "downloader", None)
    if downloader is None or not hasattr(downloader, "get_slot_key"):
        return None
    return downloader, downloader.get_slot_key(request)


def raise_host_delay(crawler: Any, request: Request, delay: float) -> float:
    """Make the delay between two requests to ``request``'s host at least ``delay`` seconds; returns it."""
    found = _downloader_and_key(crawler, request)
    if found is None:
        return delay
    downloader, key = found
    per_slot = downloader.per_slot_settings.setdefault(key, {})
    per_slot["delay"] = max(float(per_slot.get("delay", 0) or 0), delay, float(getattr(downloader, "_delay", 0) or 0))
    slot = downloader.slots.get(key)
    if slot is not None:
        slot.delay = max(slot.delay, delay)
    return per_slot["delay"]


def _clock() -> float:
    """The clock the downloader compares ``Slot.lastseen`` with (monotonic since Scrapy 2.13, wall time before)."""
    clock = getattr(downloader_module, "monotonic", None) or getattr(downloader_module, "time", time.time)
    return clock()


def pause_host(crawler: Any, request: Request, seconds: float) -> bool:
    """Hold requests to ``request``'s host for ``seconds`` from now; False when the slot is unknown."""
    found = _downloader_and_key(crawler, request)
    if found is None:
        return False
    downloader, key = found
    slot = downloader.slots.get(key)
    if slot is None:
        return False
    if slot.delay <= 0:
        slot.delay = _MIN_DELAY
    # The downloader waits ``delay - (now - lastseen)``: a lastseen in the future extends the wait.
    slot.lastseen = max(slot.lastseen, _clock() + seconds - slot.delay)
    return True
