"""The main job, end to end on a local sandbox: crawl → normalise → store → deduplicate → match.

``run_demo()`` starts the sandbox of partner sources on 127.0.0.1 (an ephemeral port), crawls each sandbox
source with the real spiders (``scrapy crawl`` subprocesses, politeness delays off for the local server
only), imports the job-fair file of prospects, deduplicates the postings into offers, ranks the offers for
every prospect, and returns a summary. Running it twice on one database changes no count: postings are
identified by source and source id, prospects by e-mail and phone.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from crawlers.runner import run_crawl
from crawlers.sandbox.generator import PROSPECT_HEADERS, generate_prospects, prospect_rows
from crawlers.sandbox.server import serve
from crawlers.sandbox.site import Sandbox
from crawlers.worker_spawn import crawl_worker
from services.candidate_import import import_candidates
from services.matching import household_places, matches_for_candidate, rerank_database
from services.welcome_demo import seed_welcome
from store.db import Database
from store.dedup import dedupe_database
from store.models import Candidate, Household, Match, Offer, Posting

#: sandbox sources: (registry id, spider, path of the start URL, extra spider arguments)
SANDBOX_SOURCES: list[tuple[str, str, str, dict[str, str]]] = [
    ("sandbox-sante-lot", "jsonld", "/sites/sante-lot/offres", {}),
    ("sandbox-lot-territoires", "jsonld", "/sites/lot-territoires/sitemap.xml", {}),
    ("sandbox-quercy-industrie", "jsonld", "/sites/quercy-industrie/offres", {}),
    ("sandbox-vallee-dordogne-tourisme", "jsonld", "/sites/vallee-dordogne-tourisme/offres", {}),
    ("sandbox-hellowork", "hellowork", "/feeds/hellowork.xml", {}),
    (
        "sandbox-francetravail",
        "francetravail",
        "/francetravail/partenaire/offresdemploi/v2/offres/search",
        {"token_url": "/francetravail/connexion/oauth2/access_token?realm=/partenaire"},
    ),
]
#: crawl policy for the local sandbox only: no delay, but robots.txt still obeyed
SANDBOX_CRAWL_SETTINGS: dict[str, object] = {
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "AUTOTHROTTLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
}
EVENT_NAME = "Salon TAF Toulouse (démo)"
SHOWN_PROSPECTS = 3


@dataclass
class DemoSummary:
    """What ``ohmylot demo`` prints (and ``--json`` emits)."""

    database: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    postings: int = 0
    offers: int = 0
    duplicates_merged: int = 0
    candidates: int = 0
    matches: int = 0
    with_commune: float = 0.0
    with_rome: float = 0.0
    prospects: list[dict[str, Any]] = field(default_factory=list)
    household: dict[str, Any] | None = None
    welcome: dict[str, Any] = field(default_factory=dict)
    import_report: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "sources": self.sources,
            "postings": self.postings,
            "offers": self.offers,
            "duplicates_merged": self.duplicates_merged,
            "candidates": self.candidates,
            "matches": self.matches,
            "offers_with_commune": round(self.with_commune, 4),
            "offers_with_rome": round(self.with_rome, 4),
            "prospects": self.prospects,
            "household": self.household,
            "welcome": self.welcome,
            "import": self.import_report,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }


Progress = Callable[[str], None]


def write_prospects_file(path: Path, seed: int = 46) -> Path:
    """The job-fair spreadsheet of the demo: ``;``-separated, UTF-8 with BOM, as a tablet export looks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(PROSPECT_HEADERS)
        writer.writerows(prospect_rows(generate_prospects(seed)))
    return path


def _crawl_sandbox(base_url: str, progress: Progress, timings: dict[str, float]) -> list[dict[str, Any]]:
    """Crawl every sandbox source, three ``scrapy crawl`` subprocesses at a time (the machine has few cores,
    and each subprocess spends most of its time starting up and loading the reference data)."""
    env = {
        "OHMYLOT_SANDBOX_URL": base_url,
        "OHMYLOT_FT_CLIENT_ID": "sandbox",
        "OHMYLOT_FT_CLIENT_SECRET": "sandbox",
    }

    def crawl(entry: tuple[str, str, str, dict[str, str]]) -> dict[str, Any]:
        source_id, spider, path, extra = entry
        args = {key: base_url + value if value.startswith("/") else value for key, value in extra.items()}
        started = time.perf_counter()
        progress(f"collecte de {source_id} …")
        outcome = run_crawl(
            source_id,
            url=base_url + path,
            spider=spider,
            settings=SANDBOX_CRAWL_SETTINGS,
            spider_args=args,
            timeout=600,
            env=env,
        )
        timings[f"crawl:{source_id}"] = time.perf_counter() - started
        if outcome.returncode != 0 and not outcome.items_scraped:
            raise RuntimeError(f"la collecte de {source_id} a échoué (code {outcome.returncode})")
        return {
            "id": source_id,
            "platform": spider,
            "status": outcome.status,
            "items": outcome.items_scraped,
            "dropped": outcome.items_dropped,
            "new": outcome.new,
            "updated": outcome.updated,
        }

    with ThreadPoolExecutor(max_workers=3) as pool:
        return list(pool.map(crawl, SANDBOX_SOURCES))


def run_demo(
    db: Database, *, data_dir: Path, today: date | None = None, progress: Progress | None = None
) -> DemoSummary:
    """Run the whole pipeline on the sandbox and return the summary."""
    say = progress or (lambda _message: None)
    timings: dict[str, float] = {}
    summary = DemoSummary(database=db.display_url)
    started = time.perf_counter()

    sandbox = Sandbox(today=today or date.today())
    crawl_results = _crawl_in_sandbox(db, sandbox, say, timings)

    step = time.perf_counter()
    say("import des prospects du salon …")
    summary.import_report = _import_prospects(db, data_dir, sandbox.today)
    timings["import"] = time.perf_counter() - step

    step = time.perf_counter()
    say("dédoublonnage des annonces …")
    with db.session() as session:
        dedupe_database(session)
    timings["dedupe"] = time.perf_counter() - step

    step = time.perf_counter()
    say("rapprochement offres × prospects …")
    with db.session() as session:
        rerank_database(session)
    timings["match"] = time.perf_counter() - step

    with db.session() as session:
        _count(session, summary, crawl_results)
        _show_examples(session, summary)

    step = time.perf_counter()
    say("accueil : référents, annuaire, ambassadeurs …")
    with db.session() as session:
        summary.welcome = seed_welcome(session, EVENT_NAME)
        session.commit()
    timings["welcome"] = time.perf_counter() - step

    timings["total"] = time.perf_counter() - started
    summary.timings = timings
    return summary


def _crawl_in_sandbox(db: Database, sandbox: Sandbox, say: Progress, timings: dict[str, float]) -> list[dict[str, Any]]:
    """Serve the sandbox on 127.0.0.1 and crawl each of its sources into ``db``."""
    step = time.perf_counter()
    old_env = {k: os.environ.get(k) for k in ("OHMYLOT_DATABASE_URL",)}
    os.environ["OHMYLOT_DATABASE_URL"] = db.url  # the crawl subprocesses store into the same database
    try:
        with serve(sandbox.handle) as base_url:
            sandbox.set_base_url(base_url)
            timings["sandbox"] = time.perf_counter() - step
            say(f"bac à sable des sources partenaires : {base_url}")
            step = time.perf_counter()
            with crawl_worker({"OHMYLOT_DATABASE_URL": db.url}) as worker:  # every crawl forks from it
                timings["crawl_server"] = time.perf_counter() - step
                say("serveur de collecte préchargé prêt" if worker.ready else "collectes sans serveur préchargé")
                crawl_results = _crawl_sandbox(base_url, say, timings)
            timings["crawl"] = time.perf_counter() - step
    finally:
        for key, value in old_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return crawl_results


def _import_prospects(db: Database, data_dir: Path, day: date) -> dict[str, Any]:
    """Import the job-fair file of the demo; its report in figures."""
    prospects_file = write_prospects_file(data_dir / "demo" / "salon-taf-toulouse.csv")
    report = import_candidates(
        db, prospects_file, event=EVENT_NAME, event_date=day, event_place="Toulouse", event_kind="salon"
    )
    return {
        "file": str(prospects_file),
        "imported": report.imported,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": len(report.rejected),
        "warnings": len(report.warnings),
    }


def _count(session: Any, summary: DemoSummary, crawl_results: list[dict[str, Any]]) -> None:
    """Postings per source, offers, merged duplicates, field coverage, prospects and matches."""
    per_source = dict(session.execute(select(Posting.source_id, func.count()).group_by(Posting.source_id)).all())
    for result in crawl_results:
        result["postings"] = per_source.get(result["id"], 0)
    summary.sources = crawl_results
    sandbox_ids = [r["id"] for r in crawl_results]
    in_demo = Posting.source_id.in_(sandbox_ids)

    def count(*where: Any, model: Any = Posting) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    summary.postings = count(in_demo)
    demo_offers = Offer.id.in_(select(Posting.offer_id).where(in_demo, Posting.offer_id.is_not(None)))
    summary.offers = count(demo_offers, model=Offer)
    summary.duplicates_merged = count(in_demo, Posting.offer_id.is_not(None)) - summary.offers
    total = summary.offers or 1
    summary.with_commune = count(demo_offers, Offer.commune_insee.is_not(None), model=Offer) / total
    summary.with_rome = count(demo_offers, Offer.rome_code.is_not(None), model=Offer) / total
    summary.candidates = session.scalar(select(func.count()).select_from(Candidate)) or 0
    summary.matches = session.scalar(select(func.count()).select_from(Match)) or 0


def _show_examples(session: Any, summary: DemoSummary) -> None:
    """Three prospects with their five best offers and the reasons, then one household."""
    # the first prospects (in import order) that have offers, so that the summary shows reasons
    matched = select(Match.candidate_id).distinct()
    shown = session.scalars(
        select(Candidate)
        .where(Candidate.anonymized_at.is_(None), Candidate.id.in_(matched))
        .order_by(Candidate.id)
        .limit(SHOWN_PROSPECTS)
    ).all()
    for candidate in shown:
        top = matches_for_candidate(session, candidate.id, limit=5)
        summary.prospects.append(
            {
                "candidate_id": candidate.id,
                "name": f"{candidate.first_name or ''} {candidate.last_name or ''}".strip(),
                "desired_jobs": candidate.desired_jobs,
                "place": candidate.current_place,
                "matches": [_match_json(session, match) for match in top],
            }
        )
    # one household: the first whose two members both find work somewhere, else the first one
    chosen = None
    for household in session.scalars(select(Household).order_by(Household.id)):
        places = household_places(session, household.id, limit=3)
        if chosen is None or (places and not chosen[1]):
            chosen = (household, places)
        if places:
            break
    if chosen is not None:
        household, places = chosen
        members = [f"{m.first_name} {m.last_name} ({m.desired_jobs})" for m in household.members]
        summary.household = {"household_id": household.id, "members": members, "places": _jsonable(places)}


def _match_json(session: Any, match: Any) -> dict[str, Any]:
    offer = session.get(Offer, match.offer_id)
    return {
        "offer_id": match.offer_id,
        "title": offer.title if offer else None,
        "employer": offer.employer_name if offer else None,
        "place": offer.commune_name if offer else None,
        "score": round(float(match.score), 3),
        "reasons": list(match.reasons or []),
    }


def _jsonable(value: Any) -> Any:
    """Dataclasses and objects from the matching layer, as plain JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, str | int | bool) or value is None:
        return value
    if hasattr(value, "__dict__"):
        return {k: _jsonable(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)
