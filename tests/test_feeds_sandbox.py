"""The demo sandbox's HelloWork feed (served over HTTP by the integrator's sandbox) reads completely."""

from __future__ import annotations

from datetime import date

import httpx
from scrapy.http import XmlResponse

from crawlers.sandbox.server import serve
from crawlers.sandbox.site import Sandbox
from crawlers.spiders.hellowork import HelloWorkSpider
from tests.feeds_support import make_spider


def test_sandbox_hellowork_feed_is_read_completely():
    sandbox = Sandbox(today=date(2026, 11, 25))
    with serve(sandbox.handle) as base:
        sandbox.set_base_url(base)
        answer = httpx.get(f"{base}/feeds/hellowork.xml", timeout=30)
    assert answer.status_code == 200
    expected = sum("hellowork" in v.sources for v in sandbox.vacancies)
    assert expected > 50
    spider = make_spider(HelloWorkSpider, url=f"{base}/feeds/hellowork.xml")
    response = XmlResponse(url=f"{base}/feeds/hellowork.xml", body=answer.content,
                           headers={"Content-Type": answer.headers["content-type"]})
    postings = list(spider.parse(response))
    assert len(postings) == expected
    assert spider.dropped == []
    assert len({p.source_id for p in postings}) == expected
    for posting in postings:
        assert posting.title
        assert posting.url.startswith(f"{base}/hellowork/emplois/")
        assert posting.postal_code.startswith("46")
        assert posting.departement == "LOT"
        assert posting.employer
        assert posting.employer_siret
        assert len(posting.employer_siret) == 14
        assert posting.lat
        assert posting.lon
        assert posting.published_at
        assert posting.description.count("Profil recherché") <= 1  # the sandbox's profile has its own heading
    with_duration = [p for p in postings if p.contract_duration]
    assert with_duration
    assert all(p.contract_duration.endswith(" Mois") for p in with_duration)
