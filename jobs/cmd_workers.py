"""``ohmylot crawl-workers``: a distributed crawl of one source by several Scrapy workers sharing Redis."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import typer

from jobs.console import err, out, require
from jobs.errors import UserError

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.


def crawl_workers(
    source_id: str = typer.Argument(..., help="Source à collecter (voir « ohmylot sources list »)."),
    workers: int = typer.Option(
        2, "--workers", "-w", min=1, max=64, help="Nombre de travailleurs sur cette machine."
    ),
    redis_url: str = typer.Option(
        "redis://127.0.0.1:6379/0", "--redis", envvar="OHMYLOT_REDIS_URL",
        help="Redis partagé par les travailleurs.",
    ),
    run_key: str = typer.Option(
        None, "--run-key", help="Clé commune aux travailleurs d'une même collecte (défaut : SOURCE-AAAAMMJJ)."
    ),
    reset: bool = typer.Option(
        True, "--reset/--no-reset", help="Vide la file et le filtre de doublons avant de démarrer (la 1re machine)."
    ),
    url: str = typer.Option(None, "--url", help="URL de départ (sinon celle du registre)."),
    delay: float = typer.Option(1.0, "--delay", min=0, help="Délai de politesse d'un travailleur seul (s)."),
    timeout: float = typer.Option(3600, "--timeout", min=1, help="Durée maximale de chaque travailleur (s)."),
) -> None:
    """Collecte distribuée : N travailleurs Scrapy partagent une file et un filtre de doublons dans Redis."""
    import redis  # on use: keeps CLI start-up fast

    from crawlers.distributed import distributed_settings, reset_run  # on use: keeps CLI start-up fast
    from crawlers.runner import run_crawl  # on use: keeps CLI start-up fast

    require(crawling=True)
    key = run_key or f"{source_id}-{datetime.now(UTC):%Y%m%d}"
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except (redis.RedisError, ValueError) as exc:
        raise UserError(f"Redis injoignable ({redis_url}) : {exc}") from exc
    if reset:
        reset_run(redis_url, key)
    settings = distributed_settings(key, redis_url, workers=workers, base_delay=delay)
    outcomes: list[object] = []
    lock = threading.Lock()

    def work() -> None:
        outcome = run_crawl(source_id, url=url, settings=settings, timeout=timeout)
        with lock:
            outcomes.append(outcome)

    err.print(f"{workers} travailleur(s) pour {source_id}, clé de collecte « {key} », Redis {redis_url}")
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = sum(getattr(o, "items_scraped", 0) for o in outcomes)
    failed = [o for o in outcomes if getattr(o, "returncode", 1) != 0]
    for index, outcome in enumerate(outcomes, 1):
        out.print(f"  travailleur {index} : {getattr(outcome, 'items_scraped', 0)} annonces, "
                  f"code {getattr(outcome, 'returncode', '?')}")
    out.print(f"Total : {total} annonces collectées par {workers} travailleur(s).")
    if failed:
        raise UserError(f"{len(failed)} travailleur(s) en échec")


def register(app: typer.Typer) -> None:
    app.command("crawl-workers")(crawl_workers)
