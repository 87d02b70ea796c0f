"""The speed benchmark's postings are all distinct (no cache can help) and its feed is one the spider reads."""

from __future__ import annotations

from pathlib import Path

from bench.speed import distinct_jobs, write_feed
from crawlers.spiders.hellowork import HelloWorkSpider
from tests.feeds_support import drops, replay


def test_titles_and_descriptions_are_all_distinct() -> None:
    jobs = distinct_jobs(30_000)
    assert len({job["title"] for job in jobs}) == 30_000
    assert len({job["description"] for job in jobs}) == 30_000
    assert len({job["job_id"] for job in jobs}) == 30_000
    assert distinct_jobs(50) == distinct_jobs(50)  # the same run after run


def test_the_feed_is_read_by_the_hellowork_spider(tmp_path: Path) -> None:
    jobs = distinct_jobs(7, seed=1)
    raws, stats, _ = replay(HelloWorkSpider, write_feed(tmp_path / "feed.xml", jobs))
    assert [raw.title for raw in raws] == [job["title"] for job in jobs]
    assert [raw.postal_code for raw in raws] == [job["postal_code"] for job in jobs]
    assert drops(stats) == {}
