"""Distributed crawl: two Scrapy workers share one Redis queue and duplicate filter (issue 9 point 4).

Every URL is fetched once (robots.txt aside: each worker reads it itself) and every posting stored once.
Needs the local Redis (127.0.0.1:6379); skipped with a reason when it is down, except under CI.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from crawlers.distributed import distributed_settings, reset_run
from crawlers.runner import run_crawl
from crawlers.sandbox.server import serve
from crawlers.sandbox.site import Sandbox
from store.models import Posting

REDIS_URL = os.environ.get("OHMYLOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = [pytest.mark.db, pytest.mark.slow]


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis required in CI but unreachable: {exc}")
        pytest.skip(f"Redis unreachable ({REDIS_URL}): {exc}")
    return REDIS_URL


def test_two_workers_fetch_every_url_once_and_store_every_posting_once(db, redis_url) -> None:
    sandbox = Sandbox(today=date(2026, 11, 25))
    log = []
    key = f"test-{uuid.uuid4().hex[:8]}"
    with serve(sandbox.handle, log=log) as base:
        sandbox.set_base_url(base)
        reset_run(redis_url, key)
        settings = {**distributed_settings(key, redis_url, workers=2, base_delay=0), "LOG_LEVEL": "WARNING",
                    "OHMYLOT_DISTRIBUTED_IDLE": 2}
        outcomes = []

        def worker() -> None:
            outcomes.append(run_crawl("sandbox-sante-lot", url=f"{base}/sites/sante-lot/offres", spider="jsonld",
                                      settings=settings, timeout=180, env={"OHMYLOT_DATABASE_URL": db.url}))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        reset_run(redis_url, key)

    assert [o.returncode for o in outcomes] == [0, 0]
    expected = len(sandbox.site_postings("sante-lot"))
    fetched = Counter(r.path + ("?" + "&".join(f"{k}={v[0]}" for k, v in sorted(r.query.items())) if r.query else "")
                      for r in log if r.path != "/robots.txt")
    assert fetched, "nothing was fetched"
    assert max(fetched.values()) == 1, [url for url, n in fetched.items() if n > 1]
    posting_pages = [url for url in fetched if url.endswith(".html")]
    assert len(posting_pages) == expected
    assert sum(o.items_scraped for o in outcomes) == expected
    with db.session() as session:
        stored = session.scalar(select(func.count()).select_from(Posting).where(Posting.source_id == "sandbox-sante-lot"))
        distinct = session.scalar(select(func.count(func.distinct(Posting.source_ref))).where(Posting.source_id == "sandbox-sante-lot"))
    assert stored == distinct == expected
