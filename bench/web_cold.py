"""Cold first visits (issue 23): how long the first request of each page takes right after ``ohmylot serve``
started, with the caches warmed in the background at start-up (default) and without (``OHMYLOT_WARM_UP=0``),
against the same page visited again (warm). Also the weight of the public board (HTML + CSS + icon).

Target: first visits ≤ 500 ms (login, a prospect page, a household page, the board).

``python -m bench web_cold`` (5,000 offers, 1,000 prospects), ``--quick`` (1,000 offers, 100 prospects).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.web import PASSWORD, build_database, start_server

WAIT_S = 60
PAGES = [("prospect", "/equipe/prospects/1"), ("foyer", "/equipe/foyers/{household}"), ("offres", "/offres"),
         ("offre", "/offres/{offer}"), ("a_faire", "/equipe/a-faire")]


def _household(url: str) -> tuple[int, int]:
    """Make prospects 1 and 2 one household; returns (household id, an open offer id)."""
    from sqlalchemy import select

    from store.db import open_database
    from store.models import Candidate, Household, Offer

    db = open_database(url)
    with db.session() as session:
        household = Household(label="bench")
        session.add(household)
        session.flush()
        for candidate_id in (1, 2):
            session.get(Candidate, candidate_id).household_id = household.id
        offer_id = session.scalar(select(Offer.id).where(Offer.status == "open", Offer.published.is_(True)).limit(1))
        result = household.id, offer_id
    db.engine.dispose()
    return result


def _visits(base: str, household: int, offer: int) -> dict[str, dict[str, float]]:
    import httpx

    figures: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base, timeout=300, follow_redirects=False, headers={"Origin": base}) as client:
        started = time.perf_counter()
        response = client.post("/login", data={"email": "bench@ohmylot.fr", "password": PASSWORD})
        first = time.perf_counter() - started
        cookie = response.headers["set-cookie"].split(";", 1)[0]
        started = time.perf_counter()
        client.post("/login", data={"email": "bench@ohmylot.fr", "password": PASSWORD})
        figures["login"] = {"first_ms": round(first * 1000), "again_ms": round((time.perf_counter() - started) * 1000)}
        for name, path in PAGES:
            path = path.format(household=household, offer=offer)
            times = []
            for _ in range(2):
                started = time.perf_counter()
                page = client.get(path, headers={"Cookie": cookie})
                times.append(time.perf_counter() - started)
                assert page.status_code == 200, (path, page.status_code)
            figures[name] = {"first_ms": round(times[0] * 1000), "again_ms": round(times[1] * 1000)}
        board = client.get("/offres")
        weight = len(board.content) + len(client.get("/static/ohmylot.css").content)
        weight += len(client.get("/static/favicon.svg").content)
        figures["offres_weight_bytes"] = {"bytes": weight}  # type: ignore[dict-item]
    return figures


def _one_start(url: str, folder: Path, household: int, offer: int, *, warm: bool) -> dict[str, object]:
    os.environ["OHMYLOT_WARM_UP"] = "1" if warm else "0"
    process, base = start_server(url, folder)
    try:
        # The first visit comes a minute after the (nightly) restart; the warm-up runs meanwhile.
        time.sleep(WAIT_S)
        return _visits(base, household, offer)
    finally:
        process.terminate()
        process.wait(timeout=30)
        os.environ.pop("OHMYLOT_WARM_UP", None)


def run(quick: bool = False) -> dict[str, object]:
    offers, prospects = (1_000, 100) if quick else (5_000, 1_000)
    folder = Path(tempfile.mkdtemp(prefix="ohmylot-bench-cold-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    try:
        built = build_database(url, offers=offers, prospects=prospects)
        household, offer = _household(url)
        cold = _one_start(url, folder, household, offer, warm=False)
        warmed = _one_start(url, folder, household, offer, warm=True)
        pages = [name for name in warmed if name != "offres_weight_bytes"]
        worst = max(warmed[name]["first_ms"] for name in pages)  # type: ignore[index]
        return {
            **built,
            "without_warm_up": cold,
            "with_warm_up": warmed,
            "worst_first_visit_ms": worst,
            "target_first_visit_ms": 500,
            "target_met": worst <= 500,
            "load_average_1min": round(os.getloadavg()[0], 1),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
