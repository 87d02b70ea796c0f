"""The public board in Chromium (issue 23, budget of item 5): first contentful paint of ``/offres`` ≤ 1 s and
page weight ≤ 200 KB.

Serves the demo database (``ohmylot demo``; the board's first page is full: 20 of its ~280 open offers) with
``ohmylot serve`` (warmed), then opens ``/offres`` in Debian's Chromium (Playwright) in a new browser context
each time (empty cache, as a first visit), on two profiles:

- ``desktop``: 1280 × 800, no throttling (the loopback network);
- ``phone_slow_4g``: 375 × 740 and Lighthouse's mobile throttling (150 ms round trip, 1.6 Mbit/s down,
  750 kbit/s up, CPU 4× slower), through the DevTools protocol.

Figures per profile: first contentful paint (``performance.getEntriesByType('paint')``), median and worst of
the rounds; the bytes transferred (navigation and every resource: ``transferSize``, headers included) and
the decoded bytes; the number of requests. ``python -m bench web_paint`` (7 rounds), ``--quick`` (3).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from bench.web import start_server
from bench.web_cold import demo_database, wait_warm

CHROMIUM = os.environ.get("OHMYLOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PROFILES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}, "network": None, "cpu": 1},
    "phone_slow_4g": {"viewport": {"width": 375, "height": 740}, "cpu": 4,
                      "network": {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
                                  "uploadThroughput": 750_000 / 8}},
}
PAINTED_JS = """() => new Promise(resolve => new PerformanceObserver((list, observer) => {
  observer.disconnect(); resolve(true); }).observe({type: 'paint', buffered: true}))"""
# What the page loaded, as the browser saw it (same origin: every size is exposed).
MEASURE_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  const paint = performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint');
  const all = [nav, ...resources];
  return {
    fcp_ms: paint ? paint.startTime : null,
    transferred_bytes: all.reduce((sum, e) => sum + e.transferSize, 0),
    decoded_bytes: all.reduce((sum, e) => sum + e.decodedBodySize, 0),
    requests: all.length,
    resources: resources.map(e => [e.name.replace(location.origin, ''), e.transferSize]),
  };
}"""


def visit(browser, url: str, profile: dict) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """One first visit of ``url`` in a fresh context: what ``MEASURE_JS`` reports once the page loaded."""
    context = browser.new_context(locale="fr-FR", viewport=profile["viewport"])
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        if profile["network"]:
            cdp.send("Network.emulateNetworkConditions", profile["network"])
        if profile["cpu"] > 1:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": profile["cpu"]})
        page.goto(url, wait_until="load")
        # The paint entry is queued after the frame is presented: wait until it is there (an observer, not
        # Playwright's polling, which evaluates strings and the page's CSP forbids that).
        page.evaluate(PAINTED_JS)
        return page.evaluate(MEASURE_JS)
    finally:
        context.close()


def measure(base: str, rounds: int) -> dict[str, object]:
    figures: dict[str, object] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            visit(browser, f"{base}/offres", PROFILES["desktop"])  # the browser's own start-up, not counted
            for name, profile in PROFILES.items():
                visits = [visit(browser, f"{base}/offres", profile) for _ in range(rounds)]
                paints = [v["fcp_ms"] for v in visits if v["fcp_ms"] is not None]
                figures[name] = {
                    "fcp_median_ms": round(statistics.median(paints)) if paints else None,
                    "fcp_worst_ms": round(max(paints)) if paints else None,
                    "transferred_bytes": visits[-1]["transferred_bytes"],
                    "decoded_bytes": visits[-1]["decoded_bytes"],
                    "requests": visits[-1]["requests"],
                    "resources": visits[-1]["resources"],
                }
        finally:
            browser.close()
    return figures


def run(quick: bool = False) -> dict[str, object]:
    result: dict[str, object] = {"targets": {"fcp_ms": 1000, "weight_bytes": 200_000},
                                 "load_average_at_start": os.getloadavg()}
    folder = Path(tempfile.mkdtemp(prefix="ohmylot-bench-paint-"))
    try:
        url, sizes = demo_database(folder)
        result["database"] = sizes
        process, base = start_server(url, folder)
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                result["warm_up_s"] = wait_warm(client, 300)
            result.update(measure(base, 3 if quick else 7))
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result["load_average_at_end"] = os.getloadavg()
    return result
