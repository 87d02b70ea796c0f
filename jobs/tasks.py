"""The work the scheduler runs (and operators can run by hand), one function per job kind.

Each function takes the opened database and returns a JSON-able ``detail`` dict for the run ledger; a
``"failed": True`` entry marks the run failed without an exception (e.g. a crawl that timed out).
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from crawlers.runner import CrawlSetupError, run_crawl
from services.mail import MailNotConfigured, StaffSettings, build_message, send
from services.network.common import OutreachSettings
from services.network.digests import send_digest
from store import privacy
from store.db import Database
from store.dedup import dedupe_database
from store.models import Candidate, CrawlRun, Match, Offer, Posting, User

log = logging.getLogger("ohmylot.jobs")

#: a match is "good" for the référents' digest from this score on (scores are in [0, 1])
DIGEST_MIN_SCORE = 0.5


def crawl_source(
    db: Database,
    source_id: str,
    *,
    timeout: float = 3600.0,
    url: str | None = None,
    spider: str | None = None,
    settings: dict[str, object] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Crawl one registered source in a ``scrapy crawl`` subprocess, killed after ``timeout`` (J3).

    ``url``, ``spider``, ``settings`` and ``env`` override the registry (the demo sandbox, tests)."""
    try:
        outcome = run_crawl(
            source_id, url=url, spider=spider, settings=settings, timeout=timeout,
            env={**(env or {}), "OHMYLOT_DATABASE_URL": db.url},
        )
    except CrawlSetupError as exc:  # e.g. the source is being crawled already (one crawl of a source at a time)
        return {"source": source_id, "failed": True, "error": str(exc)}
    detail = {
        "source": source_id,
        "returncode": outcome.returncode,
        "status": outcome.status,
        "items": outcome.items_scraped,
        "dropped": outcome.items_dropped,
        "new": outcome.new,
        "updated": outcome.updated,
        "closed": outcome.closed,
        "duration_s": outcome.duration_s,
    }
    if outcome.timed_out:
        detail.update(failed=True, error=f"collecte arrêtée après {timeout:.0f} s (délai dépassé)")
    elif outcome.returncode != 0:
        detail.update(failed=True, error=f"scrapy a terminé avec le code {outcome.returncode}")
    return detail


def post_crawl_chain(db: Database, *, now: datetime | None = None) -> dict[str, Any]:
    """Deduplicate → re-rank → notify the référents of new good matches."""
    # Imported here: scikit-learn costs seconds and `ohmylot scheduler list` loads this module.
    from services.matching import rerank_database

    with db.session() as session:
        dedup = dedupe_database(session, now=now)
    with db.session() as session:
        rerank = rerank_database(session, now=now)
    digest = send_referent_digests(db, now=now)
    result = {"dedupe": _plain(dedup), "rerank": _plain(rerank), "digest": digest}
    if digest.get("failed"):  # the chain's e-mails are part of its work: not sent means failed
        result.update(failed=True, error=digest["error"])
    return result


def send_referent_digests(db: Database, *, now: datetime | None = None) -> dict[str, Any]:
    """One e-mail per référent listing the new good matches of their prospects; marks them notified."""
    now = now or datetime.now(UTC)
    by_referent: dict[int, list[tuple[Candidate, Offer, Match]]] = defaultdict(list)
    with db.session() as session:
        rows = session.execute(
            select(Match, Candidate, Offer)
            .join(Candidate, Candidate.id == Match.candidate_id)
            .join(Offer, Offer.id == Match.offer_id)
            .where(
                Match.notified_at.is_(None),
                Match.score >= DIGEST_MIN_SCORE,
                Candidate.referent_id.is_not(None),
                Candidate.anonymized_at.is_(None),
                Offer.status == "open",
            )
            .order_by(Candidate.id, Match.score.desc())
        ).all()
        for match, candidate, offer in rows:
            by_referent[candidate.referent_id].append((candidate, offer, match))  # type: ignore[index]
        sent, skipped, reason = 0, 0, ""
        for referent_id, items in by_referent.items():
            referent = session.get(User, referent_id)
            if referent is None or not referent.active:
                continue
            lines = [f"Bonjour {referent.full_name or ''},".replace(" ,", ","), "",
                     "Nouvelles offres bien adaptées à vos prospects :", ""]
            for candidate, offer, match in items:
                lines.append(f"- {candidate.first_name} {candidate.last_name} : {offer.title} — "
                             f"{offer.employer_name or 'employeur non précisé'}, {offer.commune_name or ''} "
                             f"(score {match.score:.2f})")
            lines += ["", "Retrouvez le détail et les raisons dans l'espace équipe d'ohmylot.", "", "Oh my Lot !"]
            message = build_message([referent.email], f"ohmylot — {len(items)} nouveau(x) rapprochement(s)",
                                    "\n".join(lines))
            try:
                send(message)
            except (MailNotConfigured, OSError, smtplib.SMTPException) as exc:
                skipped += 1
                reason = str(exc)
                continue
            for _candidate, _offer, match in items:
                match.notified_at = now
            sent += 1
    result: dict[str, Any] = {"referents": len(by_referent), "sent": sent, "not_sent": skipped}
    if skipped:  # a job whose e-mail could not be sent is a failure (the matches stay to notify next time)
        result.update(failed=True, error=f"{skipped} avis aux référents non envoyé(s) : {reason}")
    return result


def crawl_health_report(db: Database, *, now: datetime | None = None, days: int = 7) -> dict[str, Any]:
    """The weekly crawl-health report for staff: runs per source over ``days`` days, failures, alerts."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days)
    with db.session() as session:
        runs = session.scalars(select(CrawlRun).where(CrawlRun.started_at >= since).order_by(CrawlRun.source_id)).all()
        per_source: dict[str, list[CrawlRun]] = defaultdict(list)
        for run in runs:
            per_source[run.source_id].append(run)
        lines = [f"Santé de la collecte — {days} derniers jours", ""]
        problems = 0
        for source_id, source_runs in sorted(per_source.items()):
            good = [r for r in source_runs if r.status == "success"]
            failed = [r for r in source_runs if r.status != "success"]
            items = [r.items_scraped for r in good]
            lines.append(f"- {source_id} : {len(source_runs)} collecte(s), {len(failed)} en échec, "
                         f"annonces {min(items) if items else 0}–{max(items) if items else 0}")
            problems += bool(failed)
    recipients = StaffSettings().recipients()
    result: dict[str, Any] = {"sources": len(per_source), "sources_with_failures": problems, "sent": False,
                              "report": lines}
    if not recipients:
        return {**result, "failed": True, "error": "rapport non envoyé : aucun destinataire (OHMYLOT_STAFF_EMAILS)"}
    try:
        send(build_message(recipients, "ohmylot — santé hebdomadaire de la collecte", "\n".join(lines)))
    except (MailNotConfigured, OSError, smtplib.SMTPException) as exc:
        return {**result, "failed": True, "error": f"rapport non envoyé : {exc}"}
    return {**result, "sent": True}


def expire_offers(db: Database, *, now: datetime | None = None) -> dict[str, Any]:
    """Close postings past their expiry date, and offers whose postings are all closed."""
    now = now or datetime.now(UTC)
    closed_postings = closed_offers = 0
    with db.session() as session:
        dated = select(Posting).where(Posting.status == "open", Posting.expires_at.is_not(None))
        for posting in session.scalars(dated):
            expires = posting.expires_at
            if expires is not None and (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) < now:
                posting.status, posting.closed_at, posting.closed_reason = "closed", now, "expired"
                closed_postings += 1
        session.flush()
        for offer in session.scalars(select(Offer).where(Offer.status == "open")):
            statuses = [p.status for p in offer.postings]
            if statuses and all(status == "closed" for status in statuses):
                offer.status, offer.closed_at = "closed", now
                closed_offers += 1
    return {"closed_postings": closed_postings, "closed_offers": closed_offers}


def privacy_purge(db: Database, *, wet_run: bool, now: datetime | None = None) -> dict[str, Any]:
    """The retention purge of prospects' personal data (dry run unless ``wet_run``)."""
    with db.session() as session:
        result = privacy.purge(session, wet_run=wet_run, now=now)
    return {"wet_run": wet_run, **_plain(result)}


def purge_logs(db: Database, *, now: datetime | None = None) -> dict[str, Any]:
    """Crawl logs, run ledger and audit log past their retention period (services/retention.py)."""
    from services.retention import purge_logs as purge
    from store.settings import get_store_settings

    with db.session() as session:
        return purge(session, get_store_settings().resolved_data_dir() / "logs", now=now)


def talent_digest(db: Database, *, territory: str = "46", now: datetime | None = None) -> dict[str, Any]:
    """The weekly talent digest to the network's members of a territory (only profiles not yet sent)."""
    with db.session() as session:
        report = send_digest(session, OutreachSettings(), territory=territory, actor="planificateur", now=now)
        return {
            "members": len(report.members),
            "profiles": len(report.profiles),
            "sent": report.sent,
            "up_to_date": report.up_to_date,
            "failures": len(report.failures),
            "failed": bool(report.failures) and not report.sent,
            "error": "; ".join(report.failures[:3]) or None,
        }


def welcome_digest(db: Database, *, now: datetime | None = None) -> dict[str, Any]:
    """The weekly e-mail of each référent accueil: their households' next settling steps, stale directory entries."""
    import os

    from services import mail
    from services.referents import send_weekly_digests

    today = (now or datetime.now(UTC)).date()
    with db.session() as session:
        try:
            report = send_weekly_digests(session, send=mail.send, public_url=os.environ.get("OHMYLOT_PUBLIC_URL", ""),
                                         today=today)
        except (mail.MailNotConfigured, OSError) as exc:
            session.rollback()
            return {"failed": True, "error": str(exc)}
        session.commit()
    return {"referents": len(report), "households": sum(report.values())}


def _plain(value: Any) -> Any:
    """A dataclass or object of the store layer as a JSON-able dict."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: v if isinstance(v, str | int | float | bool | None) else str(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return value
    return {"result": str(value)}
