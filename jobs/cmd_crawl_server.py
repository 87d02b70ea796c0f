"""``ohmylot crawl-server``: the pre-loaded crawl worker (``crawlers.worker``), for the IT person.

It loads Scrapy, the spiders, the models and the reference indexes once, then every crawl of this machine
(``ohmylot crawl``, the scheduler, the web app's « collecter ») that uses the same data directory is forked
from it instead of starting a ``scrapy crawl`` process (about 2 s of CPU less each). SIGTERM or Ctrl-C stops
it cleanly (running crawls are asked to close and recorded). When the code is upgraded, the worker refuses
the next crawl (it runs as a subprocess) and this command starts again on the new code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from jobs.console import err, require
from jobs.errors import UserError


def crawl_server(
    data_dir: Path | None = typer.Option(
        None, "--dossier", help="Dossier de données (par défaut : OHMYLOT_DATA_DIR) ; le socket y est créé."
    ),
) -> None:
    """Lance le serveur de collecte préchargé (une collecte = un processus fils) ; arrêt par SIGTERM ou Ctrl-C."""
    from crawlers.runner import crawl_data_dir  # on use: keeps CLI start-up fast
    from crawlers.worker import EXIT_CODE_CHANGED, WorkerError, configure_worker_logging, run_worker

    require(crawling=True)
    if os.environ.get("OHMYLOT_CRAWL_SERVER", "").strip().lower() in ("off", "0", "no", "non"):
        raise UserError("OHMYLOT_CRAWL_SERVER=off : les collectes n'utilisent pas de serveur préchargé")
    directory = data_dir.expanduser() if data_dir else crawl_data_dir(os.environ)
    configure_worker_logging()
    try:
        code = run_worker(directory)
    except WorkerError as exc:
        raise UserError(str(exc)) from exc
    except OSError as exc:
        raise UserError(f"serveur de collecte impossible à lancer : {exc.strerror or exc}") from exc
    if code == EXIT_CODE_CHANGED:
        err.print("Le code a changé : le serveur de collecte redémarre.")
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "jobs", *sys.argv[1:]])  # noqa: S606 - ourselves, new code
    err.print("Serveur de collecte arrêté.")


def register(app: typer.Typer) -> None:
    app.command("crawl-server")(crawl_server)
