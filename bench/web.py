"""Web benchmark: list and search pages under load, against ``ohmylot serve`` on 127.0.0.1.

Builds a SQLite database with N offers (each with one or two postings, some duplicated across sources),
M prospects and their matches, starts ``python -m jobs serve`` on an ephemeral port in a subprocess, signs
in, waits until every worker's background warm-up is over (a deploy waits for it too: measuring while the
workers build their ranking index measures the warm-up, not the pages), and drives a raw keep-alive HTTP/1.1
client (``bench.http_load``, ``concurrency`` requests in flight) over the staff and public list/search pages
and the JSON API. Reports p50 / p95 / p99 latencies per page, the throughput, the server's CPU per request
(all its processes, from ``/proc``) and the load client's own share of the CPU.

Target (issue 8): list and search pages p95 < 200 ms with 100,000 offers and 10,000 prospects.

``python -m bench.web`` (full: 100,000 offers, 10,000 prospects, 8 requests in flight),
``python -m bench.web --quick``; ``--postgres postgresql://postgres@127.0.0.1:5432/postgres`` runs it on
PostgreSQL: the bench creates a temporary database next to the one named (``ohmylot_bench_…``) and drops it
at the end. ``--concurrency N`` changes the requests in flight; ``--public-cache SECONDS`` sets the server's
``OHMYLOT_PUBLIC_CACHE_SECONDS`` (default: the server's own default; ``0`` measures every public page built).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text

from bench.http_load import load
from services.auth import create_user
from services.settings import WebSettings
from store.db import open_database
from store.models import Candidate, Match, Offer, Posting, Source
from web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "matching" / "data"
SECRET = "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD = "bench password 123"
TERRITORY = {"46", "12", "15", "19", "24", "47", "82"}

TITLES = [
    "Cuisinier", "Aide-soignant", "Infirmier", "Serveur", "Agent d'entretien", "Maçon", "Électricien",
    "Boulanger", "Comptable", "Assistant administratif", "Chauffeur poids lourd", "Plombier chauffagiste",
    "Vendeur", "Préparateur de commandes", "Agent de production", "Mécanicien automobile", "Éducateur spécialisé",
    "Auxiliaire de vie", "Professeur des écoles", "Développeur web", "Technicien de maintenance", "Pharmacien",
    "Médecin généraliste", "Kinésithérapeute", "Secrétaire médical", "Agent d'accueil", "Commis de cuisine",
    "Réceptionniste", "Ouvrier agricole", "Viticulteur", "Conducteur de bus", "Menuisier", "Couvreur",
    "Jardinier paysagiste", "Animateur", "Aide à domicile", "Magasinier", "Responsable de rayon", "Boucher",
    "Chef de chantier",
]
CONTRACTS = ["CDI", "CDI", "CDI", "CDD", "CDD", "interim", "saisonnier", "apprentissage", "titulaire", "contractuel"]
FIRST = ["Léa", "Tom", "Inès", "Lucas", "Chloé", "Hugo", "Emma", "Louis", "Jade", "Arthur", "Manon", "Jules"]
# Real descriptions run to a few kilobytes: rows as wide as real ones make the scans honest.
BLURB = (
    "Rejoignez une équipe engagée au cœur du Lot, entre vallées et causses. Vous participez à l'activité "
    "quotidienne de la structure, accueillez le public, assurez le suivi des tâches confiées et travaillez en "
    "lien avec les autres services. Profil : sens du contact, rigueur, autonomie ; une première expérience est "
    "appréciée, les débutants motivés sont les bienvenus. Avantages : mutuelle, tickets restaurant, prime "
    "annuelle, aide au logement pour les nouveaux arrivants, accompagnement du conjoint dans sa recherche "
    "d'emploi par le programme Oh my Lot !. Poste à pourvoir rapidement, temps plein ou partiel selon profil. "
) * 2
LAST = ["Martin", "Bernard", "Durand", "Petit", "Roux", "Moreau", "Fournier", "Girard", "Lambert", "Faure"]


def _communes() -> list[dict[str, str]]:
    with (DATA / "communes.csv").open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["departement"] in TERRITORY and row["lat"]]


def _rome_codes() -> list[tuple[str, str]]:
    with (DATA / "rome_codes.csv").open(encoding="utf-8") as handle:
        return [(row["code"], row["label"]) for row in csv.DictReader(handle)]


def build_database(url: str, *, offers: int, prospects: int, seed: int = 46) -> dict[str, float]:
    """Fill a fresh database with realistic-looking offers, postings, prospects and matches."""
    rng = random.Random(seed)
    started = time.perf_counter()
    db = open_database(url)
    communes = _communes()
    romes = _rome_codes()
    now = datetime.now(UTC)
    sources = [{"id": f"source-{i:02d}", "platform": "jsonld", "name": f"Partenaire {i:02d}",
                "url": f"https://partenaire{i}.example.fr/", "trust": 0.5, "active": True} for i in range(25)]
    employers = [f"Entreprise {rng.choice(LAST)} {i}" for i in range(3000)]
    offer_rows, posting_rows = [], []
    for i in range(1, offers + 1):
        commune = rng.choice(communes)
        code, label = rng.choice(romes)
        title = f"{rng.choice(TITLES)} {rng.choice(['H/F', '(H/F)', '', 'confirmé', 'débutant accepté'])}".strip()
        published = now - timedelta(days=rng.randint(0, 400), minutes=rng.randint(0, 1440))
        open_ = rng.random() < 0.7
        row = {
            "id": i, "title": title, "title_clean": title.replace(" H/F", "").replace(" (H/F)", ""),
            "employer_name": rng.choice(employers),
            "description_html": f"<p>{title} à {commune['name']}. Poste {label.lower()}.</p><p>{BLURB}</p>",
            "description_text": f"{title} à {commune['name']}. Poste {label.lower()}.\n\n{BLURB}",
            "contract_type": rng.choice(CONTRACTS), "working_time": rng.choice(["full_time", "part_time"]),
            "salary_min": float(rng.randint(1700, 3000)), "salary_max": None, "salary_period": "month",
            "rome_code": code, "rome_label": label, "commune_insee": commune["insee"],
            "commune_name": commune["name"], "postal_code": commune["postal_codes"].split("|")[0][:5],
            "departement": commune["departement"], "epci": commune["epci"] or None,
            "lat": float(commune["lat"]), "lon": float(commune["lon"]), "location_level": "commune",
            "published_at": published, "expires_at": published + timedelta(days=rng.randint(20, 200)),
            "status": "open" if open_ else "closed", "published": True, "flags": [],
            "created_at": published, "updated_at": published,
        }
        offer_rows.append(row)
        for copy in range(1 if rng.random() < 0.8 else 2):
            source = sources[(i + copy * 7) % len(sources)]["id"]
            posting_rows.append({
                "source_id": source, "source_ref": f"{i}-{copy}", "url": f"https://example.fr/o/{i}/{copy}",
                "offer_id": i, "title": title, "status": row["status"], "first_seen_at": published,
                "last_seen_at": published, "partners": [], "raw": {}, "flags": [],
            })
    candidate_rows, match_rows = [], []
    for i in range(1, prospects + 1):
        commune = rng.choice(communes)
        candidate_rows.append({
            "id": i, "first_name": rng.choice(FIRST), "last_name": f"{rng.choice(LAST)}{i}",
            "email": f"prospect{i}@example.org", "desired_jobs": rng.choice(TITLES).lower(),
            "current_place": commune["name"], "commune_insee": commune["insee"],
            "lat": float(commune["lat"]), "lon": float(commune["lon"]), "rome_codes": [], "contract_types": [],
            "target_area": {"epcis": [commune["epci"]]} if commune["epci"] else {},
            "consent_contact": True, "consent_share": rng.random() < 0.8, "status": "met",
            "last_contact_at": now - timedelta(days=rng.randint(0, 700)), "created_at": now, "updated_at": now,
        })
        for rank in range(1, 11):
            match_rows.append({"candidate_id": i, "offer_id": rng.randint(1, offers), "score": 1 - rank / 20,
                               "rank": rank, "reasons": ["Métier proche", "À moins de 30 km"], "computed_at": now})
    seen: set[tuple[int, int]] = set()
    match_rows = [m for m in match_rows if (k := (m["candidate_id"], m["offer_id"])) not in seen and not seen.add(k)]
    with db.engine.begin() as conn:
        conn.execute(insert(Source), sources)
        for table, rows in ((Offer, offer_rows), (Posting, posting_rows), (Candidate, candidate_rows),
                            (Match, match_rows)):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[start:start + 5000])
    with db.session() as session:
        create_user(session, "bench@ohmylot.fr", role="staff", password=PASSWORD, full_name="Bench")
        create_user(session, "referent@ohmylot.fr", role="referent", password=PASSWORD,
                    territory=["200023737"], full_name="Référent Cahors")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    db.engine.dispose()
    return {"build_s": round(time.perf_counter() - started, 1), "offers": offers, "postings": len(posting_rows),
            "prospects": prospects, "matches": len(match_rows)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, data_dir: Path, *, workers: int = 1,
                 public_cache: float | None = None) -> tuple[subprocess.Popen, str]:
    """``python -m jobs serve`` on an ephemeral port; returns the process and its base URL."""

    port = _free_port()
    extra = {} if public_cache is None else {"OHMYLOT_PUBLIC_CACHE_SECONDS": str(public_cache)}
    env = dict(os.environ, **extra, OHMYLOT_DATABASE_URL=url, OHMYLOT_DATA_DIR=str(data_dir), OHMYLOT_ENV="production",
               OHMYLOT_SECRET_KEY=SECRET, OHMYLOT_PUBLIC_URL=f"http://127.0.0.1:{port}",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # The server's log goes to a file: an unread pipe fills up (64 KB) and then blocks the server mid-request.
    log_path = data_dir / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jobs", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
             str(workers)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text(errors='replace')[-500:]}")
        try:
            if httpx.get(f"{base}/offres/rss.xml", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start within 60 s")


def wait_for_warm_up(log_path: Path, workers: int, *, timeout: float = 1800) -> float:
    """Seconds waited until each worker logged the end of its background warm-up (``web.warm``)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if log_path.read_text(errors="replace").count('"message": "warm-up finished') >= workers:
            return round(time.perf_counter() - started, 1)
        time.sleep(1)
    raise RuntimeError(f"the workers' warm-up did not finish within {timeout:.0f} s")


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and all its live descendants, from ``/proc``."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo.extend(children.get(current, []))
    return total


def _login(base: str, email: str = "bench@ohmylot.fr") -> str:
    """The session cookie header (the cookie is Secure: sent by hand over plain http here)."""

    response = httpx.post(f"{base}/login", data={"email": email, "password": PASSWORD},
                          headers={"Origin": base}, follow_redirects=False, timeout=60)
    match = re.match(r"([^=]+)=([^;]+)", response.headers["set-cookie"])
    assert match, response.text
    return f"{match.group(1)}={match.group(2)}"


async def _load(base: str, targets: list[tuple[str, str, bool]], *, cookies: dict[bool, str], rounds: int,
                concurrency: int, timeout: float = 30) -> tuple[dict[str, list[float]], float, int]:
    """The httpx load loop of the previous runs (kept for the warm-up rounds; the measure uses ``_raw_load``)."""

    latencies: dict[str, list[float]] = {name: [] for name, _, _ in targets}
    queue: asyncio.Queue[tuple[str, str, bool]] = asyncio.Queue()
    for _ in range(rounds):
        for target in targets:
            queue.put_nowait(target)
    errors = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            name, path, staff = queue.get_nowait()
            headers = {"Cookie": cookies[staff]} if staff else {}
            started = time.perf_counter()
            response = await client.get(base + path, headers=headers)
            latencies[name].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors += 1

    started = time.perf_counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, errors


def _raw_load(base: str, targets: list[tuple[str, str, bool]], *, cookies: dict[bool, str], rounds: int,
              concurrency: int) -> tuple[dict[str, list[float]], float, int, float]:
    """``rounds`` of every target through the cheap client; also returns the client's CPU seconds."""

    requests = [(name, path, cookies[who]) for _ in range(rounds) for name, path, who in targets]
    return asyncio.run(load(base, requests, concurrency=concurrency))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 1)


TARGETS = [
    ("public board", "/offres", False),
    ("public search: text", "/offres?q=cuisinier", False),
    ("public search: accents, feminine", "/offres?q=INFIRMI%C3%88RE", False),
    ("public search: two words", "/offres?q=aide%20soignante", False),
    ("public search: place + radius", "/offres?lieu=Figeac&rayon=30", False),
    ("public search: contract + domain", "/offres?contrat=CDD&domaine=J15", False),
    ("public board: page 50", "/offres?page=50", False),
    ("api offers: text", "/api/offers?q=infirmier", False),
    ("staff offers", "/equipe/offres", True),
    ("staff search: text", "/equipe/offres?q=boulanger", True),
    ("staff search: source + closed", "/equipe/offres?source=source-03&statut=closed", True),
    ("staff search: EPCI + text", "/equipe/offres?epci=200023737&q=agent", True),
    ("staff prospects", "/equipe/prospects", True),
    ("staff prospects: search", "/equipe/prospects?q=martin", True),
    ("staff prospects: search job", "/equipe/prospects?q=%C3%A9lectricienne", True),
    ("référent prospects", "/equipe/prospects", "referent"),  # type: ignore[list-item]
]


def cpu_per_request(url: str, *, repeat: int = 5) -> dict[str, float]:
    """CPU milliseconds the app spends on one request of each page (in-process, best of ``repeat``).

    Unlike latencies, this does not depend on what else the machine runs: it is the service time the
    load test queues behind.
    """
    # The public cache is off here: this is the CPU of building each page, which a cached answer skips.
    app = create_app(WebSettings(env="production", secret_key=SECRET, public_url="https://bench.invalid",
                                 public_cache_seconds=0, warm_up=False), database=open_database(url))
    clients = {}
    for who, email in ((True, "bench@ohmylot.fr"), ("referent", "referent@ohmylot.fr"), (False, None)):
        client = TestClient(app, base_url="https://bench.invalid", follow_redirects=False)
        if email:
            client.post("/login", data={"email": email, "password": PASSWORD})
        clients[who] = client
    figures = {}
    for name, path, who in TARGETS:
        client = clients[who]
        client.get(path)
        samples = []
        for _ in range(repeat):
            started = time.process_time()
            client.get(path)
            samples.append((time.process_time() - started) * 1000)
        figures[name] = round(min(samples), 1)
    return figures


def _postgres_database(admin_url: str) -> tuple[str, object]:
    """A new empty database next to ``admin_url``'s; returns its URL and a function that drops it."""

    base = "postgresql+psycopg://" + admin_url.split("://", 1)[1]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"ohmylot_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{base.rsplit('/', 1)[0]}/{name}", drop


def run(quick: bool = False, *, postgres: str | None = None, concurrency: int | None = None,
        public_cache: float | None = None) -> dict[str, object]:
    """Build the data, serve it, load it; figures per page."""
    offers, prospects = (1_000, 100) if quick else (100_000, 10_000)
    rounds, concurrency, workers = (2, concurrency or 4, 1) if quick else (40, concurrency or 8, 2)
    folder = Path(tempfile.mkdtemp(prefix="ohmylot-bench-web-"))
    url, drop = (f"sqlite:///{folder / 'bench.sqlite3'}", None) if not postgres else _postgres_database(postgres)
    process = None
    try:
        built = build_database(url, offers=offers, prospects=prospects)
        process, base = start_server(url, folder, workers=workers, public_cache=public_cache)
        staff_cookie = _login(base)
        referent_cookie = _login(base, "referent@ohmylot.fr")
        targets = [(n, p, s) for n, p, s in TARGETS]
        cookies = {True: staff_cookie, "referent": referent_cookie, False: ""}  # type: ignore[dict-item]
        # Warm-up: caches of the filter choices, SQLite page cache, gazetteer load; the first requests wait for
        # each worker's start-up warm-up (offer index of 100,000 offers), hence the long timeout, then a second
        # round so that both workers are warm. Measured apart ("warm_up_s"): a deploy waits for it.
        warm_started = time.perf_counter()
        for _ in range(2):
            asyncio.run(_load(base, targets, cookies=cookies, rounds=1, concurrency=2,  # type: ignore[arg-type]
                              timeout=600))
        warm_up_s = round(time.perf_counter() - warm_started, 1)
        background_warm_up_s = wait_for_warm_up(folder / "serve.log", workers)
        load_before = os.getloadavg()[0]
        server_cpu = process_tree_cpu(process.pid)
        latencies, elapsed, errors, client_cpu = _raw_load(base, targets, cookies=cookies,  # type: ignore[arg-type]
                                                           rounds=rounds, concurrency=concurrency)
        server_cpu = process_tree_cpu(process.pid) - server_cpu
        load_after = os.getloadavg()[0]
        cpu = cpu_per_request(url, repeat=2 if quick else 5)
        pages = {
            name: {"p50_ms": _pct(v, 0.5), "p95_ms": _pct(v, 0.95), "p99_ms": _pct(v, 0.99), "n": len(v),
                   "cpu_ms": cpu[name]}
            for name, v in latencies.items()
        }
        total = sum(len(v) for v in latencies.values())
        worst = max(p["p95_ms"] for p in pages.values())
        return {
            **built,
            "concurrency": concurrency,
            "warm_up_s": warm_up_s,
            "background_warm_up_waited_s": background_warm_up_s,
            "requests": total,
            "errors": errors,
            "throughput_rps": round(total / elapsed, 1),
            "all_p95_ms": _pct([x for v in latencies.values() for x in v], 0.95),
            "worst_page_p95_ms": worst,
            "target_p95_ms": 200,
            "target_met": worst < 200 and errors == 0,
            "worst_page_cpu_ms": max(cpu.values()),
            "server_cpu_ms_per_request": round(server_cpu / total * 1000, 1),
            "client_cpu_ms_per_request": round(client_cpu / total * 1000, 2),
            "client_cpu_share": round(client_cpu / max(client_cpu + server_cpu, 1e-9), 3),
            "cpu_use_of_2_cores": round((server_cpu + client_cpu) / elapsed / (os.cpu_count() or 1), 2),
            "load_average_1min": [round(load_before, 1), round(load_after, 1)],
            "pages": pages,
            "load_tool": f"bench.http_load (raw HTTP/1.1), {concurrency} in flight, {rounds} rounds per page",
            "public_cache_s": "server default" if public_cache is None else public_cache,
            "server": f"python -m jobs serve --workers {workers} (uvicorn), {'PostgreSQL' if postgres else 'SQLite'}",
        }
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)
        if drop is not None:
            drop()  # type: ignore[operator]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Web pages under load (p50/p95/p99 per page).")
    parser.add_argument("--quick", action="store_true", help="1,000 offers, a few seconds")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL URL: benchmark on a temporary database there")
    parser.add_argument("--concurrency", type=int, help="requests in flight (default 8; 4 with --quick)")
    parser.add_argument("--public-cache", type=float, metavar="SECONDS",
                        help="OHMYLOT_PUBLIC_CACHE_SECONDS of the server (0: every public page built)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.quick, postgres=args.postgres, concurrency=args.concurrency,
                         public_cache=args.public_cache), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
