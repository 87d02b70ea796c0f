"""Bad feeds never close stored postings (issue 3 "Bad input", RELIABILITY.md C5): crawl the real HelloWork
feed into the database, then replay broken versions of it with ``scrapy crawl``; a valid but shorter feed is
the control that does close postings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from crawlers.drops import IDENTIFIED_KEY, INCOMPLETE_KEY
from crawlers.extensions import assess_run
from crawlers.spiders.hellowork import HelloWorkSpider
from crawlers.spiders.spreadsheet import SpreadsheetSpider
from crawlers.spiders.talentsoft_json import TalentsoftJsonSpider
from tests.feeds_support import BROKEN, DATA, replay, scrapy_crawl

SOURCE = "feeds-lifecycle"


def _crawl(path: Path, tmp_path: Path) -> list[dict]:
    out = tmp_path / "out.jsonl"
    result = scrapy_crawl("hellowork", path, out, "-a", f"source={SOURCE}", "-s", "OHMYLOT_CLOSE_AFTER_MISSES=1")
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _state(database_url: str) -> tuple[dict[str, str], list[tuple[str, dict, list[str]]]]:
    from store.db import open_database
    from store.models import CrawlRun, Posting

    db = open_database(database_url, auto_upgrade=False)
    try:
        with db.session() as session:
            postings = {p.source_ref: p.status for p in session.scalars(select(Posting).where(
                Posting.source_id == SOURCE))}
            runs = [(r.status, dict(r.drops or {}), [h["kind"] for h in (r.stats or {}).get("health", [])])
                    for r in session.scalars(
                select(CrawlRun).where(CrawlRun.source_id == SOURCE).order_by(CrawlRun.id))]
    finally:
        db.engine.dispose()
    return postings, runs


@pytest.mark.db
def test_broken_feeds_close_nothing_and_a_shorter_valid_feed_does(database_url: str, tmp_path: Path):
    # the offline replay of the real feed: normalised offers written by -O, and stored
    rows = _crawl(DATA / "hellowork.xml", tmp_path)
    assert [r["source_id"] for r in rows] == ["68087320", "68090104", "68110296", "68111676", "68113693"]
    assert rows[0]["title"] == "Manager en Stratégie Management et Organisation H/F"
    assert rows[0]["source"] == SOURCE
    assert rows[1]["employer"] == "Lactalis"
    assert rows[1]["location"]["postal_code"] == "53000"
    postings, runs = _state(database_url)
    assert sorted(postings.values()) == ["open"] * 5
    assert runs[-1][0] == "success"

    # a truncated feed: its two complete jobs are read, the cut one is a drop, the run is partial
    rows = _crawl(BROKEN / "hellowork-truncated.xml", tmp_path)
    assert [r["source_id"] for r in rows] == ["68087320", "68090104"]
    postings, runs = _state(database_url)
    assert runs[-1][0] == "partial"
    assert runs[-1][1] == {"invalid_xml": 1}
    assert "truncated_feed" in runs[-1][2]  # the source's crawl health shows the truncation
    assert sorted(postings.values()) == ["open"] * 5

    # control: the same two complete jobs as a well-formed feed is a successful run that lists only them
    truncated = (BROKEN / "hellowork-truncated.xml").read_bytes()
    shorter = tmp_path / "hellowork-two-jobs.xml"
    shorter.write_bytes(truncated[: truncated.rindex(b"</job>") + len(b"</job>")] + b"\n</root>\n")
    _crawl(shorter, tmp_path)
    postings, runs = _state(database_url)
    assert runs[-1][0] == "success"
    assert postings["68087320"] == postings["68090104"] == "open"
    assert sorted(postings.values()).count("closed") == 3


def test_document_drops_make_the_run_partial():
    # the same verdict as the truncated feed above, for the other broken documents (checked without a crawl)
    for spider_cls, path in ((HelloWorkSpider, BROKEN / "error-page.html"),
                             (TalentsoftJsonSpider, BROKEN / "talentsoft-invalid.json"),
                             (HelloWorkSpider, BROKEN / "hellowork-truncated.xml")):
        _, stats, _ = replay(spider_cls, path)
        assert stats[INCOMPLETE_KEY] == 1, path
        assert stats.get(IDENTIFIED_KEY, 0) == 0, path
        assert assess_run({**stats, "item_scraped_count": 1}, "finished").status == "partial", path


def test_spreadsheet_row_drops_say_whether_the_posting_is_known():
    # FC-03 has a reference but no title: its stored posting stays alive (identified drop);
    # the row with an unquoted separator has no usable id: the run is partial.
    _, stats, _ = replay(SpreadsheetSpider, DATA / "synthetic" / "offres-ferme-cp1252.csv")
    assert stats[IDENTIFIED_KEY] == 1
    assert stats[INCOMPLETE_KEY] == 1
