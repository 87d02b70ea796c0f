"""Batch normalisation (issue 19): ``normalize_postings`` and the crawl pipeline's batches store exactly what
``normalize_posting`` gives one posting at a time, ROME classifier included, on every fixture feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from matching.normalize import normalize_posting, normalize_postings, reset_rome_classifier
from matching.types import RawPosting
from tests.feeds_support import replay, scrapy_crawl
from tests.test_feeds_platforms import FIXTURES

NOW = datetime(2026, 2, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _real_classifier():
    reset_rome_classifier()  # the ROME area's classifier, loaded (prebuilt) on first use
    yield
    reset_rome_classifier()


def _raws(name: str, feeds_dir: Path) -> list[RawPosting]:
    spider_cls, _ = FIXTURES[name]
    raws, _, _ = replay(spider_cls, feeds_dir / name)
    return raws


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_batch_equals_one_at_a_time_on_every_fixture_feed(name: str, feeds_dir: Path) -> None:
    raws = _raws(name, feeds_dir)
    one_by_one = [normalize_posting(raw, now=NOW).as_json() for raw in raws]
    reset_rome_classifier()  # no cache of the one-by-one path helps the batch
    batch = [p.as_json() for p in normalize_postings(_raws(name, feeds_dir), now=NOW)]
    assert batch == one_by_one
    assert any(offer.get("rome_code") for offer in batch)


def test_crawl_pipeline_batches_store_the_same_offers(tmp_path: Path, feeds_dir: Path) -> None:
    """The spider's items through the asynchronous batching pipeline (batches of 2, so that full and partial
    batches both happen) give the offers of ``normalize_posting`` one at a time."""
    out = tmp_path / "offers.jsonl"
    result = scrapy_crawl(
        "hellowork", feeds_dir / "hellowork.xml", out, "-a", "source=hw",
        "-s", "OHMYLOT_STORE_ENABLED=False", "-s", "OHMYLOT_NORMALIZE_BATCH=2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    crawled = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = []
    for raw in _raws("hellowork.xml", feeds_dir):
        raw.source = "hw"
        expected.append(json.loads(json.dumps(normalize_posting(raw).as_json(), default=str)))
    key = lambda offer: offer["source_id"]  # noqa: E731
    assert len(crawled) == len(expected) == 5
    assert sorted(crawled, key=key) == sorted(expected, key=key)
