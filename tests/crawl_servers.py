"""Local HTTP servers for crawl tests (127.0.0.1, ephemeral ports, never the internet).

``SiteServer`` serves a dict of routes (path with query → ``Route``) from a thread and records every
request path, so tests can assert which paths were requested (RELIABILITY.md C1) and when (C2). A route can
answer a sequence of statuses (C4), hang (C3), or stream a huge body (C3). Routes can be changed between two
crawls (a site that fails halfway, C5).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    """What a path answers. ``statuses`` (if given) are used one per request, then ``status`` forever."""

    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)
    status_headers: list[dict[str, str]] = field(default_factory=list)
    hang_seconds: float = 0.0
    stream_bytes: int = 0  # send this many bytes (a huge body), ignoring ``body``
    handler: Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]] | None = None


class SiteServer:
    """A threaded HTTP server with mutable routes and a request log."""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = routes if routes is not None else {}
        self.requests: list[tuple[float, str, dict[str, str]]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.request_body = self.rfile.read(length) if length else b""  # for POST handlers
                with server.lock:
                    server.requests.append((time.monotonic(), self.path, dict(self.headers.items())))
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self._send(404, {"Content-Type": "text/html"}, b"<html><body>introuvable</body></html>")
                    return
                if route.hang_seconds:
                    time.sleep(route.hang_seconds)
                if route.handler is not None:
                    status, headers, body = route.handler(self)
                    self._send(status, headers, body)
                    return
                status, extra = route.status, dict(route.headers)
                with server.lock:
                    if route.statuses:
                        status = route.statuses.pop(0)
                        if route.status_headers:
                            extra.update(route.status_headers.pop(0))
                if route.stream_bytes:
                    self.send_response(status)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(route.stream_bytes))
                    self.end_headers()
                    chunk = b"x" * 65536
                    sent = 0
                    try:
                        while sent < route.stream_bytes:
                            self.wfile.write(chunk)
                            sent += len(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                body = route.body.encode("utf-8") if isinstance(route.body, str) else route.body
                self._send(status, {"Content-Type": route.content_type, **extra}, body)

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def paths(self) -> list[str]:
        with self.lock:
            return [path for _, path, _ in self.requests]

    def times(self, path: str) -> list[float]:
        with self.lock:
            return [at for at, p, _ in self.requests if p == path]

    def start(self) -> SiteServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def site_server(routes: dict[str, Route] | None = None) -> Iterator[SiteServer]:
    """A started ``SiteServer``; stopped on exit."""
    server = SiteServer(routes).start()
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------------
# A small career site with JSON-LD posting pages (listing + pagination + sitemap)
# --------------------------------------------------------------------------------------------------


def job_posting_page(posting: dict[str, Any], *, extra_head: str = "") -> str:
    """An HTML posting page embedding one JSON-LD block, like the demo sandbox's pages."""
    data = {"@context": "https://schema.org", "@type": "JobPosting", **posting}
    return (
        "<!doctype html><html lang=fr><head><meta charset=utf-8>"
        f"<title>{posting.get('title', '')}</title>{extra_head}"
        f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'
        f"</head><body><h1>{posting.get('title', '')}</h1></body></html>"
    )


def career_site(postings: list[dict[str, Any]], *, per_page: int = 2, prefix: str = "/sites/test") -> dict[str, Route]:
    """Routes of a career site: ``{prefix}/offres`` (paginated with ``?page=N`` and a "Page suivante" link),
    one page per posting at ``{prefix}/offres/<ref>``, ``{prefix}/sitemap.xml`` and an allowing robots.txt."""
    routes: dict[str, Route] = {"/robots.txt": Route("User-agent: *\nAllow: /\n", content_type="text/plain")}
    pages = [postings[i : i + per_page] for i in range(0, len(postings), per_page)] or [[]]
    for number, chunk in enumerate(pages, start=1):
        links = "".join(
            f'<li><a href="{prefix}/offres/{p["identifier"]["value"]}">{p["title"]}</a></li>' for p in chunk
        )
        nav = f'<a href="{prefix}/offres?page={number + 1}">Page suivante</a>' if number < len(pages) else ""
        html = f"<html><body><h1>Nos offres</h1><ul>{links}</ul><nav>{nav}</nav></body></html>"
        routes[f"{prefix}/offres" if number == 1 else f"{prefix}/offres?page={number}"] = Route(html)
    for posting in postings:
        routes[f"{prefix}/offres/{posting['identifier']['value']}"] = Route(job_posting_page(posting))
    urls = "".join(f"<url><loc>{{base}}{prefix}/offres/{p['identifier']['value']}</loc></url>" for p in postings)
    routes[f"{prefix}/sitemap.xml"] = Route(
        f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
        content_type="application/xml",
    )
    return routes


def sample_postings(count: int = 5) -> list[dict[str, Any]]:
    """Real-looking JobPosting objects of employers of the Lot."""
    base = [
        ("Infirmier / Infirmière en soins généraux", "Centre hospitalier de Cahors", "Cahors", "46000", "CDI"),
        ("Aide-soignant(e) de nuit", "EHPAD Les Tilleuls", "Gourdon", "46300", "CDD"),
        ("Cuisinier / Cuisinière saisonnier", "Hôtel du Château", "Rocamadour", "46500", "TEMPORARY"),
        ("Technicien de maintenance aéronautique", "Ratier-Figeac", "Figeac", "46100", "FULL_TIME"),
        ("Agent d'accueil touristique", "Office de tourisme Vallée du Lot", "Saint-Cirq-Lapopie", "46330", "PART_TIME"),
    ]
    result = []
    for n in range(count):
        title, employer, city, postal, contract = base[n % len(base)]
        result.append(
            {
                "identifier": {"@type": "PropertyValue", "name": employer, "value": f"REF-{n + 1:04d}"},
                "title": title if n < len(base) else f"{title} ({n + 1})",
                "description": f"<p>{title} au sein de {employer}. Poste basé à {city}.</p>",
                "datePosted": "2026-11-02",
                "validThrough": "2027-01-31T23:59:59+01:00",
                "employmentType": contract,
                "hiringOrganization": {"@type": "Organization", "name": employer},
                "jobLocation": {
                    "@type": "Place",
                    "address": {
                        "@type": "PostalAddress",
                        "addressLocality": city,
                        "postalCode": postal,
                        "addressRegion": "Occitanie",
                        "addressCountry": "FR",
                    },
                },
            }
        )
    return result


def fix_sitemap(routes: dict[str, Route], base_url: str) -> None:
    """Put the server's base URL into the sitemap (it needs absolute URLs)."""
    for path, route in routes.items():
        if path.endswith("sitemap.xml") and isinstance(route.body, str):
            route.body = route.body.replace("{base}", base_url)
