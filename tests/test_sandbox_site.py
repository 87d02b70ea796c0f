"""The demo sandbox serves realistic, cross-posted offers of the Lot in each source's real shape."""

from __future__ import annotations

import json
import re
from datetime import date

import httpx
import pytest
from lxml import etree

from crawlers.sandbox.generator import generate_prospects, generate_vacancies
from crawlers.sandbox.server import serve
from crawlers.sandbox.site import Sandbox

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def sandbox():
    sb = Sandbox(today=TODAY)
    with serve(sb.handle) as base:
        sb.set_base_url(base)
        yield sb, base


def test_generation_is_deterministic_and_realistic() -> None:
    first = generate_vacancies(TODAY)
    second = generate_vacancies(TODAY)
    assert [(v.key, v.title, v.commune.insee) for v in first] == [(v.key, v.title, v.commune.insee) for v in second]
    assert len(first) == 300
    assert all(v.commune.insee.startswith("46") for v in first)
    cross = sum(len(v.sources) > 1 for v in first)
    assert 45 <= cross <= 80  # about a fifth cross-posted
    assert {v.employer.sector for v in first} >= {"hopital", "ehpad", "collectivite", "agroalimentaire", "hotellerie", "agriculture"}
    assert all(v.expires > TODAY for v in first)


def test_listing_pages_paginate_to_every_posting(sandbox) -> None:
    sb, base = sandbox
    seen, url = [], f"{base}/sites/sante-lot/offres"
    while url:
        page = httpx.get(url).text
        seen += re.findall(r'href="(/sites/sante-lot/offres/[^"]+\.html)"', page)
        nxt = re.search(r'rel="next"[^>]*href="([^"]+)"', page)
        url = base + nxt.group(1) if nxt else None
    assert len(seen) == len(set(seen)) == len(sb.site_postings("sante-lot"))


def test_posting_pages_carry_jobposting_jsonld(sandbox) -> None:
    sb, base = sandbox
    sitemap = etree.fromstring(httpx.get(f"{base}/sites/lot-territoires/sitemap.xml").content)
    locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert len(locs) == len(sb.site_postings("lot-territoires"))
    page = httpx.get(locs[0]).text
    blocks = [json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)]
    graph = blocks[0]["@graph"]
    posting = next(node for node in graph if node["@type"] == "JobPosting")
    assert posting["title"]
    assert posting["datePosted"]
    assert posting["hiringOrganization"]["name"]
    assert posting["jobLocation"]["address"]["postalCode"].startswith("46")


def test_hellowork_feed_has_the_real_shape(sandbox) -> None:
    sb, base = sandbox
    root = etree.fromstring(httpx.get(f"{base}/feeds/hellowork.xml").content)
    jobs = root.findall("job")
    assert len(jobs) == sb.counts()["hellowork"]
    first = jobs[0]
    for tag in ("job_id", "title", "url", "description", "city", "postal_code", "publication_date", "contract", "company_title"):
        assert first.findtext(tag), tag


def test_cross_posted_vacancies_vary_between_sources(sandbox) -> None:
    sb, _ = sandbox
    crossed = [v for v in sb.vacancies if "site" in v.sources and "francetravail" in v.sources]
    assert crossed
    offers = {o["origineOffre"].get("urlOrigine"): o for o in sb.ft.offers}
    for v in crossed:
        offer = offers[sb.site_url(v)]
        assert offer["origineOffre"]["partenaires"][0]["url"] == sb.site_url(v)
        assert offer["lieuTravail"]["commune"] == v.commune.insee
    assert any(offers[sb.site_url(v)]["intitule"] != v.title for v in crossed)


def test_prospects_include_couples_and_consents() -> None:
    people = generate_prospects()
    assert len(people) == 40
    assert len({p.email for p in people}) == 40
    assert sum(1 for p in people if p.partner_email) == 6
    assert all(p.consent_contact == "oui" for p in people)
