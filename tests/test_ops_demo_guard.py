"""The demo never leaves its sandbox in a production database (issue 22): it refuses a database holding other
data unless told, and then removes its sandbox sources, postings, offers and prospects when done."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.ops_support import run_cli

pytestmark = [pytest.mark.db, pytest.mark.slow]


def _counts(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from store.models import Candidate, CrawlRun, Event, Offer, Posting, Source, User

    with db.session() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Source, CrawlRun, Posting, Offer, Candidate, Event, User)}


def test_demo_refuses_a_production_database_then_cleans_up_when_told(db, database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from services.auth import create_user
    from store.crawls import finish_run, start_run
    from store.postings import ensure_source

    with db.session() as session:
        ensure_source(session, "cdg46", platform="jsonld")
        run = start_run(session, "cdg46")
        finish_run(session, run.id, status="success", finish_reason="finished", items_scraped=4)
        create_user(session, "equipe@ohmylot.fr", role="staff", password="un mot de passe solide 2026")
    before = _counts(db)
    env = {"OHMYLOT_DATABASE_URL": database_url, "OHMYLOT_DATA_DIR": str(tmp_path)}

    refused = run_cli("demo", "--json", env=env)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "1 source(s) hors bac à sable" in refused.stderr
    assert "--allow-non-empty" in refused.stderr
    assert _counts(db) == before

    told = run_cli("demo", "--json", "--today", "2026-11-25", "--allow-non-empty", env=env, timeout=900)
    assert told.returncode == 0, told.stderr[-3000:]
    assert "Bac à sable retiré" in told.stderr
    assert _counts(db) == before  # nothing of the sandbox left, nothing of ours lost
