"""Crawl policy (RELIABILITY.md C2–C4) for every spider of the project, run verdicts (C5) and health
monitors with fake histories (C7). No network, no database."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from crawlers import settings as project_settings
from crawlers.base import OhmylotSpider
from crawlers.extensions import assess_run, error_count, field_coverage
from crawlers.monitors import RunFigures, check_run, coverage_issues, item_count_issue
from crawlers.ratelimit import parse_retry_after

ROOT = Path(__file__).resolve().parent.parent


def spider_classes() -> dict[str, type]:
    loader = SpiderLoader.from_settings(Settings({"SPIDER_MODULES": project_settings.SPIDER_MODULES}))
    return {name: loader.load(name) for name in loader.list()}


def test_project_settings_are_polite_and_bounded() -> None:
    s = project_settings
    assert s.ROBOTSTXT_OBEY is True
    assert s.CONCURRENT_REQUESTS_PER_DOMAIN == 1
    assert s.DOWNLOAD_DELAY >= 1
    assert s.DOWNLOAD_DELAY_JITTER == 0  # a floor, never randomised below a second
    assert re.search(r"\+https?://", s.USER_AGENT)
    assert s.DOWNLOAD_TIMEOUT <= 30
    assert s.DOWNLOAD_MAXSIZE <= 10 * 1024 * 1024
    assert s.CLOSESPIDER_TIMEOUT > 0
    assert s.CLOSESPIDER_ERRORCOUNT > 0
    assert s.CLOSESPIDER_TIMEOUT_NO_ITEM > 0
    assert s.RETRY_TIMES <= 2
    assert {500, 502, 503, 504, 408} <= set(s.RETRY_HTTP_CODES)
    assert 429 not in s.RETRY_HTTP_CODES  # 429 is handled by RetryAfterMiddleware
    assert s.DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"] is None
    assert "crawlers.robots.FailClosedRobotsTxtMiddleware" in s.DOWNLOADER_MIDDLEWARES


def test_every_spider_is_a_platform_spider_with_allowed_domains() -> None:
    classes = spider_classes()
    assert {"jsonld", "francetravail"} <= set(classes)
    for name, cls in classes.items():
        assert issubclass(cls, OhmylotSpider), name
        spider = cls(url="https://recrutement.partenaire-lot.fr/offres", source="test")
        assert "recrutement.partenaire-lot.fr" in spider.allowed_domains, name


@pytest.mark.parametrize(
    "key",
    ["DOWNLOAD_DELAY", "CONCURRENT_REQUESTS_PER_DOMAIN", "ROBOTSTXT_OBEY", "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE"],
)
def test_no_spider_lowers_the_policy(key: str) -> None:
    for name, cls in spider_classes().items():
        custom = getattr(cls, "custom_settings", None) or {}
        if key not in custom:
            continue
        value, default = custom[key], getattr(project_settings, key)
        if key in ("DOWNLOAD_DELAY", "ROBOTSTXT_OBEY"):
            assert value >= default, name
        else:
            assert value <= default, name


def test_every_ohmylot_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "crawling.md").read_text(encoding="utf-8")
    names = {name for name in dir(project_settings) if name.startswith(("OHMYLOT_", "RETRY_AFTER", "RATE_LIMIT"))}
    names |= {"OHMYLOT_SOURCES", "OHMYLOT_SANDBOX_URL", "OHMYLOT_FT_CLIENT_ID", "OHMYLOT_FT_CLIENT_SECRET"}
    missing = sorted(name for name in names if name not in docs)
    assert not missing
    for command in ("ohmylot sources list", "ohmylot sources health", "ohmylot crawl", "scrapy crawl"):
        assert command in docs


# -- run verdicts (C5) --------------------------------------------------------------------------------

CLEAN = {"item_scraped_count": 12, "log_count/INFO": 10}


def test_clean_run_is_a_success() -> None:
    assert assess_run(CLEAN, "finished").status == "success"


def test_identified_drops_keep_a_run_successful() -> None:
    stats = {**CLEAN, "offers/drop/invalid_jsonld": 2, "offers/drop_identified": 2}
    assert assess_run(stats, "finished").status == "success"


@pytest.mark.parametrize(
    ("extra", "reason", "expected"),
    [
        ({"offers/drop/truncated_xml": 1}, "finished", "unidentified_drops"),
        ({"offers/drop/empty_listing": 1, "crawl/incomplete": 1}, "finished", "incomplete_pages"),
        ({"log_count/ERROR": 1}, "finished", "errors"),
        ({"httperror/response_ignored_count": 1}, "finished", "http_errors"),
        ({"robotstxt/forbidden": 3}, "finished", "robots_forbidden"),
        ({}, "rate_limited", "finish_reason"),
        ({}, "closespider_timeout", "finish_reason"),
        ({"ohmylot/store_errors": 1}, "finished", "store_errors"),
    ],
)
def test_what_makes_a_run_partial(extra: dict, reason: str, expected: str) -> None:
    verdict = assess_run({**CLEAN, **extra}, reason)
    assert verdict.status == "partial"
    assert expected in verdict.reasons


def test_empty_and_failed_runs() -> None:
    assert assess_run({"item_scraped_count": 0}, "finished").status == "partial"
    assert assess_run({"item_scraped_count": 0}, "finished").reasons == ("no_items",)
    failed = assess_run({"item_scraped_count": 0, "robotstxt/fail_closed": 1, "log_count/ERROR": 1}, "finished")
    assert failed.status == "failed"
    assert "robots_unavailable" in failed.reasons


def test_retry_give_up_lines_are_not_counted_twice() -> None:
    assert error_count({"log_count/ERROR": 2, "retry/max_reached": 2}) == 0
    assert error_count({"log_count/ERROR": 3, "retry/max_reached": 1, "log_count/CRITICAL": 1}) == 3


def test_field_coverage() -> None:
    stats = {"offers/valid": 4, "offers/field/rome_code/missing": 1, "offers/field/salary/missing": 4}
    assert field_coverage(stats, ["rome_code", "salary", "url"]) == {"rome_code": 0.75, "salary": 0.0, "url": 1.0}
    assert field_coverage({}, ["url"]) == {}


# -- health monitors (C7) -----------------------------------------------------------------------------


def test_item_count_below_half_the_median_of_good_runs() -> None:
    history = [100, 90, 110, 95, 105]
    issue = item_count_issue(40, history)
    assert issue is not None
    assert issue.kind == "low_item_count"
    assert "40 offre(s)" in issue.message
    assert "médiane des 5" in issue.message
    assert item_count_issue(50, history) is None  # exactly half is fine
    assert item_count_issue(0, []) is None  # nothing to compare with
    assert item_count_issue(0, [0, 0]) is None


def test_only_the_last_five_good_runs_count() -> None:
    figures = RunFigures("success", 30)
    old_big = [RunFigures("success", 1000)] * 3
    recent = [RunFigures("success", 50), RunFigures("failed", 0), RunFigures("partial", 2)] + [
        RunFigures("success", 55)
    ] * 4
    issues = check_run(figures, recent + old_big)
    assert [issue.kind for issue in issues] == []  # median of 50, 55, 55, 55, 55 = 55; 30 ≥ 27.5
    assert [issue.kind for issue in check_run(RunFigures("success", 20), recent + old_big)] == ["low_item_count"]


def test_failed_run_and_errors_are_reported() -> None:
    issues = check_run(RunFigures("failed", 0, "crashed"), [])
    assert [(i.kind, i.severity) for i in issues] == [("failed", "error")]
    assert [i.kind for i in check_run(RunFigures("partial", 10, "finished", errors=2), [])] == ["errors"]
    assert [i.kind for i in check_run(RunFigures("partial", 10, "rate_limited"), [])] == ["finish_reason"]


def test_coverage_drop() -> None:
    previous = [{"rome_code": 0.9, "salary": 0.2}] * 3
    issues = coverage_issues({"rome_code": 0.3, "salary": 0.0}, previous)
    assert [issue.message for issue in issues] == [
        "champ « rome_code » rempli pour 30% des offres (habituellement 90%)"
    ]


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 25, 8, 0, 0, tzinfo=UTC)
    assert parse_retry_after(b"120") == 120.0
    assert parse_retry_after("Wed, 25 Nov 2026 08:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 25 Nov 2026 07:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("demain") is None
    assert parse_retry_after(None) is None


def test_runner_command_line() -> None:
    from crawlers.runner import build_command, graceful_timeout

    command = build_command(
        "jsonld",
        "ch-cahors",
        url="https://ch-cahors.fr/offres",
        settings={"DOWNLOAD_DELAY": 0, "OHMYLOT_STORE_ENABLED": False, "FEEDS": {"a.jsonl": {"format": "jsonlines"}}},
        spider_args={"follow": "/offre/", "source": "ignored"},
    )
    assert command[1:5] == ["-m", "scrapy", "crawl", "jsonld"]
    assert command[5:] == [
        "-a", "source=ch-cahors", "-a", "url=https://ch-cahors.fr/offres", "-a", "follow=/offre/",
        "-s", "DOWNLOAD_DELAY=0", "-s", "OHMYLOT_STORE_ENABLED=False",
        "-s", 'FEEDS={"a.jsonl": {"format": "jsonlines"}}',
    ]  # fmt: skip
    # the spider closes itself before the runner kills it
    assert graceful_timeout(3600) == 3235
    assert graceful_timeout(600) < 600
    assert graceful_timeout(3) == 1
