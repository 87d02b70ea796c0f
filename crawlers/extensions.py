"""Crawl-run recording (RELIABILITY.md C5, C7): one ``CrawlRun`` row per crawl, postings stored through it.

``CrawlRunRecorder`` is a Scrapy extension. When the spider opens it opens the configured database
(``OHMYLOT_DATABASE_URL``), syncs the spider's source from the registry (or creates a minimal source row
for an ad-hoc ``scrapy crawl``), and creates the run (or takes the one the runner created:
``-s OHMYLOT_RUN_ID=N``). ``StorePipeline`` hands it batches of postings. When the spider closes it:

1. judges the run (``assess_run``): ``success``, ``partial`` or ``failed``, with the reasons;
2. keeps alive the postings the run met but could not parse (``crawlers.drops``);
3. after a *successful* run only, closes postings missed ``OHMYLOT_CLOSE_AFTER_MISSES`` (2) runs in a row
   (never in a worker of a distributed crawl, ``OHMYLOT_DISTRIBUTED``, which sees only part of the source);
   after any run, closes postings whose expiry date is past;
4. writes the run's statistics: items, drops by reason, errors, finish reason, field coverage, health.

While the spider runs it gives the run's heartbeat (``store/leases.py``). A crawl started by hand while the
source is being crawled already is refused: the spider closes at once (``source_busy``), nothing is stored.

Settings: ``OHMYLOT_STORE_ENABLED`` (True), ``OHMYLOT_RUN_ID`` (none), ``OHMYLOT_LEASE_KEY`` (the runner's
lease), ``OHMYLOT_CLOSE_AFTER_MISSES`` (2), ``OHMYLOT_HEALTH_MIN_RATIO`` (0.5), ``OHMYLOT_HEALTH_HISTORY`` (5).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawlers.drops import DROP_PREFIX, IDENTIFIED_KEY, INCOMPLETE_KEY
from crawlers.managed import find_source
from crawlers.monitors import RunFigures, check_run
from crawlers.pipelines import COVERAGE_FIELDS
from store.crawls import finish_run, recent_runs, start_run, sync_sources
from store.db import open_database
from store.leases import SourceBusy, beat, lease_timing
from store.models import CrawlRun
from store.postings import PostingInput, close_expired, close_missing, ensure_source, mark_seen, upsert_postings

logger = logging.getLogger(__name__)

#: French labels of the reasons a run is not successful (shown by ``ohmylot crawl`` and ``sources health``)
PARTIAL_REASONS = {
    "finish_reason": "arrêt anormal",
    "errors": "erreurs",
    "incomplete_pages": "pages illisibles",
    "unidentified_drops": "offres rejetées sans identifiant",
    "http_errors": "réponses HTTP en erreur",
    "robots_forbidden": "pages interdites par robots.txt",
    "robots_unavailable": "robots.txt indisponible",
    "spider_exceptions": "exceptions du robot",
    "store_errors": "erreurs d'écriture en base",
    "no_items": "aucune offre",
}


@dataclass(frozen=True)
class RunAssessment:
    """The verdict on a finished run: ``status`` and the reason codes of a non-success."""

    status: str
    reasons: tuple[str, ...] = ()


def assess_run(stats: Mapping[str, Any], finish_reason: str | None) -> RunAssessment:
    """Judge a run from its Scrapy stats (pure). Only ``success`` may close missing postings (C5)."""

    def get(key: str) -> int:
        value = stats.get(key, 0)
        return int(value) if isinstance(value, int | float) else 0

    items = get("item_scraped_count")
    drops = sum(int(v) for k, v in stats.items() if k.startswith(DROP_PREFIX) and isinstance(v, int | float))
    reasons: list[str] = []
    if finish_reason != "finished":
        reasons.append("finish_reason")
    if error_count(stats):
        reasons.append("errors")
    if get(INCOMPLETE_KEY):
        reasons.append("incomplete_pages")
    elif drops > get(IDENTIFIED_KEY):
        # a spider counted drops without saying which posting they were (see crawlers.drops)
        reasons.append("unidentified_drops")
    if get("httperror/response_ignored_count"):
        reasons.append("http_errors")
    if get("robotstxt/forbidden"):
        reasons.append("robots_forbidden")
    if get("robotstxt/fail_closed"):
        reasons.append("robots_unavailable")
    if get("spider_exceptions/count"):
        reasons.append("spider_exceptions")
    if get("ohmylot/store_errors"):
        reasons.append("store_errors")
    if items == 0:
        reasons.append("no_items")
    if not reasons:
        return RunAssessment("success")
    if items == 0 and reasons != ["no_items"]:
        return RunAssessment("failed", tuple(reasons))
    return RunAssessment("partial", tuple(reasons))


def error_count(stats: Mapping[str, Any]) -> int:
    """Errors logged by the run, without Scrapy's "Gave up retrying" lines: the request's failure is then
    handled by its errback (counted as a drop) or logged once more as an error."""

    def get(key: str) -> int:
        value = stats.get(key, 0)
        return int(value) if isinstance(value, int | float) else 0

    return max(0, get("log_count/ERROR") - get("retry/max_reached")) + get("log_count/CRITICAL")


def field_coverage(stats: Mapping[str, Any], fields: Iterable[str]) -> dict[str, float]:
    """Share of valid offers with each field filled, from ``offers/field/<name>/missing`` counters."""
    valid = int(stats.get("offers/valid", 0) or 0)
    if not valid:
        return {}
    return {name: round(1 - int(stats.get(f"offers/field/{name}/missing", 0) or 0) / valid, 4) for name in fields}


def _drops(stats: Mapping[str, Any]) -> dict[str, int]:
    return {
        key[len(DROP_PREFIX) :]: int(value)
        for key, value in stats.items()
        if key.startswith(DROP_PREFIX) and isinstance(value, int | float)
    }


@dataclass
class _Totals:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    reopened: int = 0
    closed: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class CrawlRunRecorder:
    """Owns the database and the ``CrawlRun`` of one crawl (see the module docstring)."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        if not settings.getbool("OHMYLOT_STORE_ENABLED", True):
            raise NotConfigured("OHMYLOT_STORE_ENABLED is false")
        self.crawler = crawler
        self.preassigned_run_id = settings.getint("OHMYLOT_RUN_ID", 0) or None
        self.lease_key = settings.get("OHMYLOT_LEASE_KEY") or secrets.token_hex(16)
        self.refused = False
        self.stop_beating = threading.Event()
        self.close_after = max(1, settings.getint("OHMYLOT_CLOSE_AFTER_MISSES", 2))
        # A worker of a distributed crawl sees only part of its source: it never closes missing postings.
        self.distributed = settings.getbool("OHMYLOT_DISTRIBUTED", False)
        self.min_ratio = settings.getfloat("OHMYLOT_HEALTH_MIN_RATIO", 0.5)
        self.history_size = settings.getint("OHMYLOT_HEALTH_HISTORY", 5)
        self.db: Any = None
        self.run_id: int | None = None
        self.source_id: str | None = None
        self.protected: set[str] = set()
        self.totals = _Totals()
        self.started = time.monotonic()
        crawler.ohmylot_recorder = self
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlRunRecorder:
        return cls(crawler)

    # -- opening -------------------------------------------------------------------------------------

    def spider_opened(self, spider: Any) -> None:
        self.open()

    def open(self) -> None:
        """Open the database, sync the source and create (or adopt) the run; idempotent."""
        if self.db is not None or self.refused:
            return

        spider = self.crawler.spider
        self.source_id = getattr(spider, "source_id", None) or spider.name
        # The runner has already migrated the database when it hands us a run.
        self.db = open_database(auto_upgrade=self.preassigned_run_id is None)
        entry = None
        with self.db.session() as session:
            try:
                entry = find_source(self.source_id, session)
            except ValueError as exc:
                logger.error("registre des sources illisible : %s", exc)
            if entry is not None:
                sync_sources(session, [entry], prune=False)
            else:
                ensure_source(session, self.source_id, platform=spider.name)
            run = session.get(CrawlRun, self.preassigned_run_id) if self.preassigned_run_id else None
            if run is None or run.source_id != self.source_id:
                try:
                    run = start_run(session, self.source_id, lease_key=self.lease_key)
                except SourceBusy as exc:
                    self._refuse(str(exc))
                    return
            self.run_id = run.id
        spider.crawl_run_id = self.run_id
        # A thread, not a reactor call: long synchronous work (loading reference data) must not silence it.
        threading.Thread(target=self._beat_until_closed, name="ohmylot-heartbeat", daemon=True).start()
        logger.info("Collecte n° %s de la source %s", self.run_id, self.source_id)

    def _refuse(self, message: str) -> None:
        logger.error(message)
        self.refused = True
        self.crawler.stats.set_value("ohmylot/refused", message)
        self.crawler.engine.close_spider(self.crawler.spider, "source_busy")

    def _beat_until_closed(self) -> None:
        interval = lease_timing().heartbeat_s
        while not self.stop_beating.wait(interval):
            try:
                with self.db.session() as session:
                    beat(session, self.run_id, key=self.lease_key)
            except Exception:  # noqa: BLE001 - a busy database delays one beat; the next one comes soon
                logger.warning("signe de vie de la collecte n° %s non enregistré", self.run_id, exc_info=True)

    # -- during the crawl ----------------------------------------------------------------------------

    def protect(self, refs: Iterable[str]) -> None:
        """Postings met but not parsed (ids or URLs): kept alive at the end of the run."""
        self.protected.update(ref for ref in refs if ref)

    def store(self, batch: list[Any]) -> None:
        """Upsert a batch of ``CrawlItem``s; a database error is logged (the run becomes partial)."""
        self.open()
        if self.refused:
            return
        stats = self.crawler.stats
        try:
            with self.db.session() as session:
                result = upsert_postings(
                    session,
                    self.source_id,
                    [PostingInput(item.posting, item.raw) for item in batch],
                    run_id=self.run_id,
                )
                run = session.get(CrawlRun, self.run_id)
                if run is not None:  # progress for ``ohmylot crawl``
                    run.items_scraped = int(stats.get_value("item_scraped_count", 0)) + len(batch)
                    run.items_new = self.totals.new + result.new
                    run.items_updated = self.totals.updated + result.updated
                    run.items_dropped = int(stats.get_value("item_dropped_count", 0))
        except Exception:  # noqa: BLE001 - reported, the crawl goes on (and the run is partial)
            stats.inc_value("ohmylot/store_errors")
            logger.exception("écriture en base impossible pour %d offre(s)", len(batch))
            return
        self.totals.new += result.new
        self.totals.updated += result.updated
        self.totals.unchanged += result.unchanged
        self.totals.reopened += result.reopened
        self.totals.closed += result.closed_expired
        stats.inc_value("offers/stored/new", result.new)
        stats.inc_value("offers/stored/updated", result.updated)
        stats.inc_value("offers/stored/unchanged", result.unchanged)

    # -- closing -------------------------------------------------------------------------------------

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.stop_beating.set()
        if self.db is None or self.run_id is None:
            return
        try:
            self._finish(reason)
        except Exception:  # noqa: BLE001 - never hide the crawl's own outcome behind a recording error
            logger.exception("enregistrement de la collecte n° %s impossible", self.run_id)
        finally:
            self.db.engine.dispose()

    def _finish(self, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats())
        assessment = assess_run(stats, reason)
        closed_missing = closed_expired = kept = 0
        coverage = field_coverage(stats, COVERAGE_FIELDS)
        with self.db.session() as session:
            kept = mark_seen(session, self.source_id, self.protected, run_id=self.run_id)
            if assessment.status == "success" and not self.distributed:
                closed_missing = close_missing(session, self.source_id, self.run_id, misses=self.close_after)
            closed_expired = close_expired(session, self.source_id, run_id=self.run_id)
            history = [
                RunFigures(run.status, run.items_scraped, run.finish_reason, run.errors, run.field_coverage or {},
                           run.stats or {}, run.started_at)
                for run in recent_runs(session, self.source_id, limit=20, before_id=self.run_id)
            ]
            items = int(stats.get("item_scraped_count", 0))
            errors = error_count(stats)
            current = session.get(CrawlRun, self.run_id)
            figures = RunFigures(assessment.status, items, reason, errors, coverage, stats,
                                 current.started_at if current is not None else None)
            issues = check_run(figures, history, min_ratio=self.min_ratio, history_size=self.history_size)
            for issue in issues:
                logger.warning("Santé de la collecte %s : %s", self.source_id, issue.message)
            summary = {
                key: value for key, value in stats.items() if isinstance(value, int | float | str) and "/" in key
            }
            summary.update(
                {
                    "partial_reasons": list(assessment.reasons),
                    "health": [issue.as_dict() for issue in issues],
                    "kept_alive": kept,
                    "closed_missing": closed_missing,
                    "closed_expired": closed_expired + self.totals.closed,
                    "unchanged": self.totals.unchanged,
                    "reopened": self.totals.reopened,
                    "duration_s": round(time.monotonic() - self.started, 3),
                }
            )
            finish_run(
                session,
                self.run_id,
                status=assessment.status,
                finish_reason=reason,
                items_scraped=items,
                items_dropped=int(stats.get("item_dropped_count", 0)),
                new=self.totals.new,
                updated=self.totals.updated,
                closed=closed_missing + closed_expired + self.totals.closed,
                errors=errors,
                drops=_drops(stats),
                field_coverage=coverage,
                stats=summary,
            )
        logger.info(
            "Collecte n° %s : %s (%s), %d offre(s), %d nouvelle(s), %d mise(s) à jour, %d fermée(s)",
            self.run_id,
            assessment.status,
            ", ".join(assessment.reasons) or reason,
            items,
            self.totals.new,
            self.totals.updated,
            closed_missing + closed_expired + self.totals.closed,
        )
