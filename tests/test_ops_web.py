"""Observability of the web app: /healthz, /readyz, /metrics, request ids and JSON access logs; forwarded
headers believed from the configured proxies only (issue 22)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.crawl_servers import career_site, fix_sitemap, sample_postings, site_server
from tests.webutil import web_settings

pytestmark = pytest.mark.db
FAST = {"DOWNLOAD_DELAY": "0", "RETRY_TIMES": "0", "DOWNLOAD_TIMEOUT": "5"}


def _client(db, **settings):  # type: ignore[no-untyped-def]
    from web.app import create_app

    return TestClient(create_app(web_settings(**settings), database=db), base_url="https://testserver")


def test_healthz_answers_without_the_database(db) -> None:  # type: ignore[no-untyped-def]
    with _client(db) as client:
        db.engine.dispose()
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_needs_a_live_scheduler_and_no_source_failing_for_days(db) -> None:  # type: ignore[no-untyped-def]
    from services.operations import beat
    from store.crawls import finish_run, start_run
    from store.models import CrawlRun
    from store.postings import ensure_source

    with _client(db) as client:
        first = client.get("/readyz")
        assert first.status_code == 503
        body = first.json()
        assert body["ready"] is False
        assert body["checks"]["database"]["ok"] is True
        assert body["checks"]["schema"]["ok"] is True
        assert body["checks"]["scheduler"]["ok"] is False

        beat(db, "scheduler")
        assert client.get("/readyz").status_code == 200

        # a source whose crawls have all failed for 4 days (threshold 3): not ready, and it says which
        with db.session() as session:
            ensure_source(session, "cdg46", platform="jsonld")
            for days in (4, 2):
                run = start_run(session, "cdg46")
                finish_run(session, run.id, status="failed", finish_reason="shutdown")
                session.get(CrawlRun, run.id).started_at = datetime.now(UTC) - timedelta(days=days)
        late = client.get("/readyz")
        assert late.status_code == 503
        assert list(late.json()["checks"]["crawls"]["failing_since"]) == ["cdg46"]

        # a good crawl since then: ready again
        with db.session() as session:
            run = start_run(session, "cdg46")
            finish_run(session, run.id, status="success", finish_reason="finished", items_scraped=3)
        assert client.get("/readyz").json()["ready"] is True

        # an old heartbeat is a silent scheduler
        beat(db, "scheduler", now=datetime.now(UTC) - timedelta(minutes=20))
        stale = client.get("/readyz").json()
        assert stale["checks"]["scheduler"]["ok"] is False
        assert "silencieux" in stale["checks"]["scheduler"]["detail"]


def test_metrics_expose_the_crawl_counters_after_a_crawl(db, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from crawlers.runner import run_crawl

    postings = sample_postings(4)
    postings[3]["title"] = ""  # no title: dropped, with its reason
    routes = career_site(postings, prefix="/sites/ch-cahors")
    registry = tmp_path / "sources.toml"
    registry.write_text('[[source]]\nid = "ch-cahors"\nplatform = "jsonld"\nname = "CH de Cahors"\n'
                        'url = "{sandbox}/sites/ch-cahors/offres"\n', encoding="utf-8")
    with _client(db) as client:
        before = client.get("/metrics").text
        assert 'ohmylot_crawl_items_total{source="ch-cahors"}' not in before
        with site_server(routes) as server:
            fix_sitemap(routes, server.url)
            monkeypatch.setenv("OHMYLOT_SOURCES", str(registry))
            monkeypatch.setenv("OHMYLOT_SANDBOX_URL", server.url)
            result = run_crawl("ch-cahors", settings=FAST, timeout=90)
        assert result.status in {"success", "partial"}
        text = client.get("/metrics").text
    assert result.items_scraped >= 2  # 3 on a quiet machine; a page may time out under load
    assert f'ohmylot_crawl_items_total{{source="ch-cahors"}} {float(result.items_scraped)}' in text
    assert f'ohmylot_crawl_runs_total{{source="ch-cahors",status="{result.status}"}} 1.0' in text
    assert 'ohmylot_crawl_dropped_total{reason="missing_title",source="ch-cahors"} 1.0' in text
    # the crawl's own log is JSON lines too, with the job id of the crawl
    # (Scrapy's start-up lines, until the spider is open, keep its own format)
    lines = [json.loads(line) for line in Path(result.log_path).read_text(encoding="utf-8").splitlines()
             if line.startswith('{"time"')]
    assert len(lines) >= 5
    assert {line["process"] for line in lines} == {"crawl"}
    assert "crawl:ch-cahors" in {line.get("job_id") for line in lines}
    assert {"time", "level", "logger", "message", "run_id"} <= set(lines[-1])
    # the request of the first scrape was counted under its route
    assert 'ohmylot_http_requests_total{method="GET",route="/metrics",status="200"} 1.0' in text


def test_scheduler_job_outcomes_are_exposed(db) -> None:  # type: ignore[no-untyped-def]
    from jobs import ledger

    ledger.run_once(db, "report:crawl-health", "2026-12-07T07:00", lambda: {"failed": True, "error": "pas d'envoi"})
    ledger.run_once(db, "maintenance:expire-offers", "2026-12-07T04:00", lambda: {"closed": 0})
    with _client(db) as client:
        text = client.get("/metrics").text
    assert 'ohmylot_scheduler_job_runs_total{job="report:crawl-health",status="failed"} 1.0' in text
    assert 'ohmylot_scheduler_job_runs_total{job="maintenance:expire-offers",status="success"} 1.0' in text


def test_each_request_has_an_id_and_a_json_access_log_line(db, caplog) -> None:  # type: ignore[no-untyped-def]
    from store.logs import JsonFormatter

    with _client(db) as client, caplog.at_level(logging.INFO, logger="ohmylot.web.access"):
        response = client.get("/offres", headers={"X-Request-ID": "proxy-1234abcd"})
        other = client.get("/healthz")
    assert response.headers["x-request-id"] == "proxy-1234abcd"
    assert len(other.headers["x-request-id"]) == 32
    records = [r for r in caplog.records if r.name == "ohmylot.web.access"]
    line = json.loads(JsonFormatter("web").format(records[0]))
    assert line["request_id"] == "proxy-1234abcd"
    assert line["process"] == "web"
    assert line["level"] == "info"
    assert line["route"] == "/offres"
    assert line["status"] == 200
    assert {"time", "pid", "duration_ms", "client"} <= set(line)


def _client_seen(db, peer: str, trusted: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from web.app import create_app

    app = create_app(web_settings(trusted_proxies=trusted), database=db)
    with TestClient(app, base_url="http://testserver", client=(peer, 40000)) as client:
        response = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9",
                                                   "X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    return response.request.url.scheme, response.headers["x-request-id"]


def test_forwarded_headers_are_believed_from_the_configured_proxy_only(db, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.INFO, logger="ohmylot.web.access"):
        _client_seen(db, "10.0.0.5", "10.0.0.0/24")
        _client_seen(db, "198.51.100.7", "10.0.0.0/24")
        _client_seen(db, "127.0.0.1", "")
    clients = [r.client for r in caplog.records if r.name == "ohmylot.web.access"]
    # from the proxy: the visitor's address; from anyone else (even localhost when nothing is trusted):
    # the connection's own address, whatever the headers say
    assert clients == ["203.0.113.9", "198.51.100.7", "127.0.0.1"]


def test_session_cookie_is_https_only_behind_the_proxy(db) -> None:  # type: ignore[no-untyped-def]
    from tests.webutil import add_user

    add_user(db)
    from web.app import create_app

    app = create_app(web_settings(trusted_proxies="10.0.0.5"), database=db)
    with TestClient(app, base_url="http://emplois.example.fr", client=("10.0.0.5", 40000),
                    follow_redirects=False) as client:
        response = client.post("/login", data={"email": "agent@ohmylot.fr", "password": "correct horse battery staple"},
                               headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
