"""Bad feeds never close stored postings (issue 3 "Bad input", RELIABILITY.md C5): crawl the real HelloWork
feed into the database, then replay broken versions of it with ``scrapy crawl``; a valid but shorter feed is
the control that does close postings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from crawlers.drops import IDENTIFIED_KEY, INCOMPLETE_KEY
from crawlers.spiders.spreadsheet import SpreadsheetSpider
from tests.feeds_support import BROKEN, DATA, replay, scrapy_crawl

SOURCE = "feeds-lifecycle"


def _crawl(path: Path, tmp_path: Path) -> None:
    result = scrapy_crawl("hellowork", path, tmp_path / "out.jsonl", "-a", f"source={SOURCE}",
                          "-s", "OHMYLOT_CLOSE_AFTER_MISSES=1")
    assert result.returncode == 0, result.stderr[-3000:]


def _state(database_url: str) -> tuple[dict[str, str], list[tuple[str, dict]]]:
    from store.db import open_database
    from store.models import CrawlRun, Posting

    db = open_database(database_url, auto_upgrade=False)
    try:
        with db.session() as session:
            postings = {p.source_ref: p.status for p in session.scalars(select(Posting).where(
                Posting.source_id == SOURCE))}
            runs = [(r.status, dict(r.drops or {})) for r in session.scalars(
                select(CrawlRun).where(CrawlRun.source_id == SOURCE).order_by(CrawlRun.id))]
    finally:
        db.engine.dispose()
    return postings, runs


@pytest.mark.db
def test_broken_feeds_close_nothing_and_a_shorter_valid_feed_does(database_url: str, tmp_path: Path):
    _crawl(DATA / "hellowork.xml", tmp_path)
    postings, runs = _state(database_url)
    assert sorted(postings.values()) == ["open"] * 5
    assert runs[-1][0] == "success"

    for broken in ("hellowork-truncated.xml", "error-page.html"):
        _crawl(BROKEN / broken, tmp_path)
        postings, runs = _state(database_url)
        assert runs[-1][0] in ("partial", "failed"), runs[-1]
        assert sorted(postings.values()) == ["open"] * 5, broken
    assert runs[-2][1] == {"invalid_xml": 1}
    assert runs[-1][1] == {"not_a_feed": 1}

    # control: the same two complete jobs as a well-formed feed is a successful run that lists only them
    truncated = (BROKEN / "hellowork-truncated.xml").read_bytes()
    shorter = tmp_path / "hellowork-two-jobs.xml"
    shorter.write_bytes(truncated[: truncated.rindex(b"</job>") + len(b"</job>")] + b"\n</root>\n")
    _crawl(shorter, tmp_path)
    postings, runs = _state(database_url)
    assert runs[-1][0] == "success"
    assert postings["68087320"] == postings["68090104"] == "open"
    assert sorted(postings.values()).count("closed") == 3


def test_spreadsheet_row_drops_say_whether_the_posting_is_known():
    # FC-03 has a reference but no title: its stored posting stays alive (identified drop);
    # the row with an unquoted separator has no usable id: the run is partial.
    _, stats, _ = replay(SpreadsheetSpider, DATA / "synthetic" / "offres-ferme-cp1252.csv")
    assert stats[IDENTIFIED_KEY] == 1
    assert stats[INCOMPLETE_KEY] == 1
