"""Helpers for the feed spider tests: run a spider's parse on a file or bytes, with real crawler stats."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from matching.types import RawPosting

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "feeds"
BROKEN = DATA / "broken"


def make_spider(spider_cls: type, **kwargs: Any) -> Any:
    """A spider bound to a test crawler (so that ``crawler.stats`` counts drops)."""
    crawler = get_crawler(spider_cls)
    kwargs.setdefault("url", "file:///dev/null")
    return spider_cls.from_crawler(crawler, **kwargs)


def replay(spider_cls: type, path_or_body: Path | bytes, *, headers: dict[str, str] | None = None,
           **kwargs: Any) -> tuple[list[RawPosting], dict[str, Any], Any]:
    """Run ``spider.parse`` on a response built from a file (or bytes): postings, stats, spider."""
    if isinstance(path_or_body, Path):
        body, url = path_or_body.read_bytes(), path_or_body.resolve().as_uri()
    else:
        body, url = path_or_body, "file:///tmp/feed"
    spider = make_spider(spider_cls, url=url, **kwargs)
    response = TextResponse(url=url, body=body, headers=headers or {})
    postings = list(spider.parse(response))
    assert all(isinstance(p, RawPosting) for p in postings)
    return postings, spider.crawler.stats.get_stats(), spider


def drops(stats: dict[str, Any]) -> dict[str, int]:
    """``{reason: count}`` from the ``offers/drop/<reason>`` stats."""
    return {k.removeprefix("offers/drop/"): v for k, v in stats.items() if k.startswith("offers/drop/")}


def _crawl_command(spider: str, path: Path | str, out: Path, extra: tuple[str, ...],
                   env: dict[str, str] | None) -> tuple[list[str], dict[str, str]]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    environment.update(env or {})
    url = path if isinstance(path, str) else path.resolve().as_uri()  # a str is an address (a local server)
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"url={url}",
               "-O", str(out), "-s", "LOG_LEVEL=INFO", *extra]
    return command, environment


def scrapy_crawl(spider: str, path: Path, out: Path, *extra: str, env: dict[str, str] | None = None,
                 timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl SPIDER -a url=file://PATH -O OUT`` in a subprocess from the repository root."""
    command, environment = _crawl_command(spider, path, out, extra, env)
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=timeout, check=False)


def scrapy_crawls(jobs: list[tuple[str, Path | str, Path, dict[str, str]]], timeout: float = 300, *,
                  extra: list[tuple[str, ...]] | None = None) -> list[subprocess.CompletedProcess[str]]:
    """Several ``scrapy crawl`` subprocesses at once (``(spider, path, out, env)`` each, ``extra[i]`` more
    arguments of the i-th): same checks, less waiting than one after the other."""
    running = []
    for index, (spider, path, out, env) in enumerate(jobs):
        command, environment = _crawl_command(spider, path, out, extra[index] if extra else (), env)
        running.append((command, subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE,
                                                  stderr=subprocess.PIPE, text=True)))
    results = []
    for command, process in running:
        stdout, stderr = process.communicate(timeout=timeout)
        results.append(subprocess.CompletedProcess(command, process.returncode, stdout, stderr))
    return results
