"""Career-site platforms (issue 17 item 6): each platform spider crawls a local server replaying the real
responses of ``tests/data/career-sites/`` (origins and licences in its README), paging included: the real
list of a response is served a page at a time, as the platform pages it (offset/limit, page number,
``links.next``, a POSTed body). The career-site address → listing URL rules are checked without network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from crawlers.probe import probe
from crawlers.spiders.flatchr import FlatchrSpider
from crawlers.spiders.greenhouse import GreenhouseSpider
from crawlers.spiders.lever import LeverSpider
from crawlers.spiders.recruitee import RecruiteeSpider
from crawlers.spiders.smartrecruiters import SmartRecruitersSpider
from crawlers.spiders.teamtailor import TeamtailorSpider
from crawlers.spiders.welcometothejungle import WelcomeToTheJungleSpider
from crawlers.spiders.workday import WorkdaySpider
from tests.crawl_servers import Route, SiteServer, site_server
from tests.feeds_support import scrapy_crawls

DATA = Path(__file__).resolve().parent / "data" / "career-sites"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "career-sites"  # ../shared beside the clone


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _json(payload: Any) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(payload).encode()


def _query(handler: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(handler.path).query).items()}


# -- the replaying server's routes, one platform each -------------------------------------------------------

def smartrecruiters_routes() -> dict[str, Route]:
    real = load("smartrecruiters_ubisoft.json")

    def page(handler: Any) -> tuple[int, dict[str, str], bytes]:
        query = _query(handler)
        offset, limit = int(query["offset"]), int(query["limit"])
        return _json({**real, "offset": offset, "limit": limit, "totalFound": len(real["content"]),
                      "content": real["content"][offset:offset + limit]})

    return {"/v1/companies/Ubisoft2/postings": Route(handler=page)}


def lever_routes() -> dict[str, Route]:
    real = load("lever.json")

    def page(handler: Any) -> tuple[int, dict[str, str], bytes]:
        query = _query(handler)
        skip, limit = int(query.get("skip", 0)), int(query.get("limit", 100))
        return _json(real[skip:skip + limit])

    return {"/v0/postings/spotify": Route(handler=page)}


def workday_routes() -> dict[str, Route]:
    real = load("workday.json")
    detail = load("workday_detail.json")

    def page(handler: Any) -> tuple[int, dict[str, str], bytes]:
        body = json.loads(handler.request_body or b"{}")
        offset, limit = body["offset"], body["limit"]
        postings = real["jobPostings"][offset:offset + limit]
        # like Workday: the total is given on the first page only
        return _json({**real, "total": len(real["jobPostings"]) if offset == 0 else 0, "jobPostings": postings})

    path = real["jobPostings"][0]["externalPath"]
    return {"/wday/cxs/gdit/External_Career_Site/jobs": Route(handler=page),
            "/wday/cxs/gdit/External_Career_Site" + path: Route(body=json.dumps(detail),
                                                                content_type="application/json")}


def teamtailor_routes() -> dict[str, Route]:
    real = load("teamtailor.json")

    def page(handler: Any) -> tuple[int, dict[str, str], bytes]:
        number = int(_query(handler).get("page[number]", 1))
        links = {"next": "/v1/jobs?page%5Bnumber%5D=2"} if number == 1 else {}
        return _json({**real, "data": real["data"][number - 1:number], "links": links})

    return {"/v1/jobs": Route(handler=page)}


def wttj_routes() -> dict[str, Route]:
    real = load("welcometothejungle.json")
    hits = real["results"][0]["hits"]

    def page(handler: Any) -> tuple[int, dict[str, str], bytes]:
        body = json.loads(handler.request_body)
        params = parse_qs(body["requests"][0]["params"])
        number, per_page = int(params["page"][0]), int(params["hitsPerPage"][0])
        result = {**real["results"][0], "hits": hits[number * per_page:(number + 1) * per_page], "page": number,
                  "nbPages": -(-len(hits) // per_page), "nbHits": len(hits)}
        return _json({"results": [result]})

    return {"/1/indexes/*/queries": Route(handler=page)}


def single(name: str, path: str) -> dict[str, Route]:
    return {path: Route(body=(DATA / name).read_bytes(), content_type="application/json")}


#: platform → (routes, path of the listing, extra -a arguments, number of offers in the real response(s),
#:             one offer's id and fields as the response writes them)
CASES: dict[str, tuple[Any, str, tuple[str, ...], int, str, dict[str, Any]]] = {
    "smartrecruiters": (smartrecruiters_routes, "/v1/companies/Ubisoft2/postings", ("-a", "page_size=1"), 2,
                        "744000151912444", {"title": "Spécialiste Fiabilité outils et infrastructures - TGQF",
                                            "employer": "Ubisoft", "contract_type": None}),
    "lever": (lever_routes, "/v0/postings/spotify", ("-a", "page_size=2"), 4,
              "b4ad9572-e20f-4185-a284-99d9740d04f0", {"title": "Android Engineer I - Subscriptions"}),
    "workday": (workday_routes, "/wday/cxs/gdit/External_Career_Site/jobs", ("-a", "page_size=2"), 4, "RQ216675",
                {"title": "Data Engineer"}),
    "teamtailor": (teamtailor_routes, "/v1/jobs", (), 2, "27", {"title": "EmberJS Developer"}),
    "welcometothejungle": (wttj_routes, "/1/indexes/*/queries", ("-a", "page_size=1"), 2, "THIGA_54V0Wr",
                           {"title": "Consultant Product Marketing Manager (PMM) - Produit digital",
                            "employer": "Thiga"}),
    "recruitee": (lambda: single("recruitee.json", "/api/offers/"), "/api/offers/", (), 2, None, {}),
    "greenhouse": (lambda: single("greenhouse.json", "/v1/boards/anthropic/jobs"), "/v1/boards/anthropic/jobs",
                   (), 4, "5311686008", {"title": "Country Lead, Data Center Security", "employer": "Anthropic"}),
    # built from the documentation's example response (no real sample): crawlers/spiders/flatchr.py
    "flatchr": (lambda: single("flatchr.json", "/company/flatchr.json"), "/company/flatchr.json", (), 2,
                "z7gWQnjq6gdJRakA", {"title": "Account Executive SaaS H/F", "employer": "Flatchr"}),
    "place_emploi_public": (lambda: single("place-emploi-public.json", "/pep.json"), "/pep.json", (), 20,
                            "MEF_2021-4760",
                            {"title": "DGCCRF-Réglementation RH, déontologie, contentieux, discipline H/F"}),
}


def test_shipped_copies_match_the_shared_fixtures():
    if not SHARED.is_dir():
        pytest.skip("../shared/fixtures/career-sites absent")
    for path in SHARED.iterdir():
        assert (DATA / path.name).read_bytes() == path.read_bytes(), path.name


def test_every_platform_crawls_its_replayed_site_with_paging(tmp_path: Path):
    started = {platform: SiteServer(case[0]()).start() for platform, case in CASES.items()}
    try:
        jobs, extra = [], []
        for platform, (_, path, args, _, _, _) in CASES.items():
            env = {"OHMYLOT_DATABASE_URL": f"sqlite:///{tmp_path / f'{platform}.sqlite3'}",
                   "OHMYLOT_DATA_DIR": str(tmp_path)}
            jobs.append((platform, started[platform].url + path, tmp_path / f"{platform}.jsonl", env))
            extra.append(args)
        results = []
        for start in range(0, len(jobs), 3):  # three crawl processes at a time: the machine is shared
            results += scrapy_crawls(jobs[start:start + 3], extra=extra[start:start + 3], timeout=600)
        for (platform, (_, _, _, count, ref, fields)), result in zip(CASES.items(), results, strict=True):
            assert result.returncode == 0, (platform, result.stderr[-3000:])
            rows = [json.loads(line) for line in (tmp_path / f"{platform}.jsonl").read_text().splitlines()]
            assert len(rows) == count, (platform, result.stderr[-2000:])
            assert len({r["source_id"] for r in rows}) == count, platform
            assert all(r["title"] for r in rows), platform
            if ref is not None:
                row = next(r for r in rows if r["source_id"] == ref)
                for name, value in fields.items():
                    if name != "contract_type":
                        assert row[name] == value, (platform, name)
        paths = started["smartrecruiters"].paths()
        assert any("offset=1" in p for p in paths), paths  # the second page was asked for
        assert len([p for p in started["lever"].paths() if p.startswith("/v0/")]) >= 2
        assert any("page%5Bnumber%5D=2" in p or "page[number]=2" in p for p in started["teamtailor"].paths())
    finally:
        for server in started.values():
            server.stop()


def test_workday_detail_pages_give_the_description(tmp_path: Path):
    real = load("workday.json")
    routes = workday_routes()
    first_only = {**real, "total": 1, "jobPostings": real["jobPostings"][:1]}
    routes["/wday/cxs/gdit/External_Career_Site/jobs"] = Route(body=json.dumps(first_only),
                                                               content_type="application/json")
    with site_server(routes) as server:
        env = {"OHMYLOT_DATABASE_URL": f"sqlite:///{tmp_path / 'wd.sqlite3'}", "OHMYLOT_DATA_DIR": str(tmp_path)}
        (result,) = scrapy_crawls([("workday", server.url + "/wday/cxs/gdit/External_Career_Site/jobs",
                                    tmp_path / "wd.jsonl", env)], extra=[("-a", "details=1")])
    assert result.returncode == 0, result.stderr[-3000:]
    (row,) = [json.loads(line) for line in (tmp_path / "wd.jsonl").read_text().splitlines()]
    assert row["source_id"] == "RQ216675"
    assert row["title"] == "Data Engineer"
    assert row["employer"] == "GD Information Technology, Inc."
    assert row["url"].endswith("/External_Career_Site/job/USA-DC-Washington/Data-Engineer_RQ216675")
    assert "Type of Requisition" in (row["description"] or "")


@pytest.mark.parametrize(("spider_cls", "address", "listing"), [
    (RecruiteeSpider, "https://acme.recruitee.com", "https://acme.recruitee.com/api/offers/"),
    (FlatchrSpider, "https://avivacuisines.flatchr.io", "https://careers.flatchr.io/company/avivacuisines.json"),
    (LeverSpider, "https://jobs.lever.co/spotify", "https://api.lever.co/v0/postings/spotify?mode=json"),
    (GreenhouseSpider, "https://boards.greenhouse.io/anthropic",
     "https://boards-api.greenhouse.io/v1/boards/anthropic/jobs?content=true"),
    (SmartRecruitersSpider, "https://careers.smartrecruiters.com/Ubisoft2",
     "https://api.smartrecruiters.com/v1/companies/Ubisoft2/postings"),
    (TeamtailorSpider, "https://acme.teamtailor.com", "https://acme.teamtailor.com/jobs.json"),
    (WorkdaySpider, "https://gdit.wd5.myworkdayjobs.com/fr-FR/External_Career_Site",
     "https://gdit.wd5.myworkdayjobs.com/wday/cxs/gdit/External_Career_Site/jobs"),
    (WelcomeToTheJungleSpider, "https://www.welcometothejungle.com/fr/companies/thiga/jobs",
     "https://csekhvms53-dsn.algolia.net/1/indexes/*/queries"),
])
def test_a_career_site_address_becomes_its_listing(spider_cls: type, address: str, listing: str):
    spider = spider_cls(url=address)
    assert spider.listing_url(address) == listing
    assert spider.listing_url(listing) == listing  # an endpoint stays as it is


#: every real response: how many offers it holds (counted from the file, not by a reader)
PROBED = {
    "flatchr.json": ("flatchr", lambda d: len(d["items"])),
    "greenhouse.json": ("greenhouse", lambda d: len(d["jobs"])),
    "lever.json": ("lever", len),
    "place-emploi-public.json": ("place_emploi_public", len),
    "recruitee.json": ("recruitee", lambda d: len(d["offers"])),
    "smartrecruiters.json": ("smartrecruiters", lambda d: len(d["content"])),
    "smartrecruiters_ubisoft.json": ("smartrecruiters", lambda d: len(d["content"])),
    "teamtailor.json": ("teamtailor", lambda d: len(d["data"])),
    "teamtailor_job.json": (None, lambda d: 1),
    "teamtailor_jobsfeed.json": ("teamtailor", lambda d: len(d["items"])),
    "welcometothejungle.json": ("welcometothejungle", lambda d: len(d["results"][0]["hits"])),
    "workday.json": ("workday", lambda d: len(d["jobPostings"])),
    "workday_detail.json": (None, lambda d: 1),
}
#: responses that carry no place at all (Teamtailor's JSON:API puts it in a relationship not included)
NO_PLACE = {"teamtailor.json", "teamtailor_job.json"}


@pytest.mark.parametrize("name", sorted(PROBED))
def test_probe_reads_every_real_response(name: str):
    platform, count = PROBED[name]
    report = probe((DATA / name).read_bytes())
    expected = count(load(name))
    if platform is not None:
        assert report.platform == platform
    assert (report.items, report.count("title"), report.count("source_id")) == (expected,) * 3
    assert report.with_place == (0 if name in NO_PLACE else expected)


def test_flatchr_reads_the_documented_example_response():
    """Flatchr has no real sample: its spider follows the documentation; this replays its example response
    (``tests/data/career-sites/flatchr.json``, reduced) through the spider without the Scrapy engine."""
    from crawlers.probe import read_with

    document = load("flatchr.json")
    postings, problems = read_with(FlatchrSpider(url="file:///dev/null"), json.dumps(document).encode())
    assert problems == []
    assert [p.source_id for p in postings] == [item["vacancy"]["id"] for item in document["items"]]
    first, second = postings
    assert (first.employer, first.city, first.contract, first.lat) == ("Flatchr", "Paris", "CDI", "48.84238970000")
    assert first.published_at == "2022-01-03T13:28:36.705Z"
    assert first.salary_min is None  # "0" in the documentation's example: not given
    assert first.description.index("convertir un maximum") < first.description.index("Profil recherché")
    assert "start-up SaaS" in first.description  # the company's description, last
    assert first.extra["reference"] == "CDI-SALES-EXEC-Dec 2021"
    assert second.remote in (True, "True", "true")
    unpublished = {"items": [{**document["items"][0], "published": False}]}
    assert read_with(FlatchrSpider(url="file:///dev/null"), json.dumps(unpublished).encode())[0] == []
