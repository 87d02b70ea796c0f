"""Request ids, access logs and Prometheus metrics of the web app; ``/healthz``, ``/readyz``, ``/metrics``.

``ObservabilityMiddleware`` (pure ASGI) gives each request an id (``X-Request-ID``, also on the response
and in every log line of the request), writes one access-log line per request (method, route, status,
duration) and counts requests and latencies per route template. ``/metrics`` adds, at scrape time, the
crawl and scheduler figures read from the database (``services.operations``), so that crawls run by the
scheduler or by hand in other processes are counted.

Keep ``/metrics`` and ``/readyz`` for the monitoring network: the reverse proxy should not publish them.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from services.operations import crawl_figures, job_outcomes, readiness
from store.logs import request_id

access_log = logging.getLogger("ohmylot.web.access")
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,80}$")
router = APIRouter(include_in_schema=False)


class WebMetrics:
    """The app's own metrics, in a registry of its own (one per app: tests build many apps)."""

    def __init__(self, database: Any) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("ohmylot_http_requests", "HTTP requests served", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("ohmylot_http_request_duration_seconds", "Time to serve an HTTP request",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        # -1 until the start-up warm-up (web.warm) is over: a deploy can wait for a warm server before
        # sending it visitors.
        self.warm_up_seconds = Gauge("ohmylot_web_warm_up_seconds", "How long the start-up warm-up took "
                                     "(-1 while it runs or when it is off)", registry=self.registry)
        self.warm_up_seconds.set(-1)
        self.warm_up_failed_steps = Gauge("ohmylot_web_warm_up_failed_steps", "Warm-up steps that failed",
                                          registry=self.registry)
        self.registry.register(DatabaseCollector(database))


class DatabaseCollector(Collector):
    """Crawl and scheduler figures, read from the database at each scrape."""

    def __init__(self, database: Any) -> None:
        self.database = database

    def collect(self) -> Iterator[Any]:
        items = CounterMetricFamily("ohmylot_crawl_items", "Postings scraped, per source (all kept runs)",
                                    labels=["source"])
        dropped = CounterMetricFamily("ohmylot_crawl_dropped", "Postings dropped, per source and reason",
                                      labels=["source", "reason"])
        new = CounterMetricFamily("ohmylot_crawl_new", "New postings stored, per source", labels=["source"])
        runs = CounterMetricFamily("ohmylot_crawl_runs", "Crawl runs, per source and outcome",
                                   labels=["source", "status"])
        last_ok = GaugeMetricFamily("ohmylot_crawl_last_run_success",
                                    "1 when the last crawl of the source succeeded", labels=["source"])
        last_time = GaugeMetricFamily("ohmylot_crawl_last_run_finished_timestamp_seconds",
                                      "When the last crawl of the source finished", labels=["source"])
        jobs = CounterMetricFamily("ohmylot_scheduler_job_runs", "Scheduled job runs, per job and outcome",
                                   labels=["job", "status"])
        try:
            figures = crawl_figures(self.database)
            outcomes = job_outcomes(self.database)
        except Exception:  # noqa: BLE001 - a scrape must answer even when the database is away
            access_log.warning("metrics: database unreachable, crawl and job figures left out")
            return
        for entry in figures:
            source = entry["source"]
            items.add_metric([source], entry["items"])
            new.add_metric([source], entry["new"])
            reasons = entry["drops"] or ({"unspecified": entry["dropped"]} if entry["dropped"] else {})
            for reason, count in sorted(reasons.items()):
                dropped.add_metric([source, reason], count)
            for status, count in sorted(entry["runs"].items()):
                runs.add_metric([source, status], count)
            last_ok.add_metric([source], 1.0 if entry["last_status"] == "success" else 0.0)
            if entry["last_finished"] is not None:
                last_time.add_metric([source], entry["last_finished"])
        for (job, status), count in sorted(outcomes.items()):
            jobs.add_metric([job, status], count)
        yield from (items, dropped, new, runs, last_ok, last_time, jobs)


class ObservabilityMiddleware:
    """Request id, access log and request metrics (see the module docstring)."""

    def __init__(self, app: Any, *, metrics: WebMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), "")
        rid = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or ("/static" if scope["path"].startswith("/static/")
                                                                  else "unmatched")
            method = scope.get("method", "GET")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            client = (scope.get("client") or ("-",))[0]
            access_log.info("%s %s %s", method, scope["path"], status, extra={
                "request_id": rid, "method": method, "path": scope["path"], "route": route, "status": status,
                "duration_ms": round(elapsed * 1000, 1), "client": client,
            })
            request_id.reset(token)


@router.get("/healthz")
def healthz() -> JSONResponse:
    """The process is up and answers (no database access: a liveness probe)."""
    return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Database reachable, schema current, scheduler alive, no source failing for long: 200, else 503."""
    report = readiness(request.app.state.db)
    return JSONResponse(report, status_code=200 if report["ready"] else 503, headers={"cache-control": "no-store"})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text format."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
