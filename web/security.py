"""HTTP hardening: security headers on every response and cross-site request refusal (W1, W2, W5).

``SecurityMiddleware`` (pure ASGI, so it adds no task switch per request):
- refuses any POST / PUT / PATCH / DELETE that a browser marks as coming from another site
  (``Sec-Fetch-Site: cross-site`` / ``same-site``) or whose ``Origin`` is not this site → 403;
- adds ``Content-Security-Policy`` (no inline script, no plugin, no framing), ``Strict-Transport-Security``,
  ``X-Content-Type-Options``, ``X-Frame-Options``, ``Referrer-Policy`` and ``Cache-Control``: everything
  except the public board and static files is ``no-store`` (staff and employer pages carry personal data);
  employer pages are ``no-referrer`` (their link must never leak through a ``Referer``), staff pages
  ``same-origin``.

``verify_csrf`` is the second layer for signed-in routes: a per-session token in every form (hidden input
``csrf_token``) or in the ``X-CSRF-Token`` header for the JSON API.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
PUBLIC_PREFIXES = ("/offres", "/static/", "/robots.txt", "/favicon")
EMPLOYER_PREFIX = "/employeur"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return value.decode("latin-1")
    return None


def is_cross_site(scope: Scope, allowed_hosts: set[str]) -> bool:
    """Whether a state-changing request comes from another site (W2).

    Fetch metadata first: browsers set ``Sec-Fetch-Site`` themselves (pages cannot forge it). Only without it
    (older browsers, scripts) is ``Origin`` compared with this site; ``Origin: null`` is refused there. Note
    that under ``Referrer-Policy: no-referrer`` Chromium sends ``Origin: null`` even for same-origin posts,
    which is why the fetch metadata must win.
    """
    fetch_site = _header(scope, b"sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in {"same-origin", "none"}
    origin = _header(scope, b"origin")
    if origin is not None:
        if origin.strip().lower() == "null":
            return True
        netloc = urlsplit(origin.strip()).netloc.lower()
        host = (_header(scope, b"host") or "").lower()
        if netloc != host and netloc not in allowed_hosts:
            return True
    return False


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The headers added to a response for ``path``."""
    public = path.startswith(PUBLIC_PREFIXES) or path == "/"
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    if public:
        headers.append((b"referrer-policy", b"strict-origin-when-cross-origin"))
    elif path.startswith(EMPLOYER_PREFIX):
        # The link's token is in the URL: it must never leave in a Referer (W5).
        headers.append((b"referrer-policy", b"no-referrer"))
        headers.append((b"cache-control", b"no-store"))
    else:
        headers.append((b"referrer-policy", b"same-origin"))
        headers.append((b"cache-control", b"no-store"))
    return headers


class SecurityMiddleware:
    """Cross-site refusal and security headers (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, public_origin: str) -> None:
        self.app = app
        self.allowed_hosts = {urlsplit(public_origin).netloc.lower()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        extra = security_headers(path)
        if scope.get("method", "GET").upper() in UNSAFE_METHODS and is_cross_site(scope, self.allowed_hosts):
            body = "Requête refusée : elle vient d'un autre site.".encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                        *extra,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {key.lower() for key, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (key, value) for key, value in extra if key not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def submitted_csrf_token(request: Request) -> str | None:
    """The CSRF token of a request: ``X-CSRF-Token`` header or the ``csrf_token`` form field."""
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


async def verify_csrf(request: Request, expected: str) -> None:
    """403 unless the request carries the session's CSRF token."""
    token = await submitted_csrf_token(request)
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="Jeton de formulaire invalide : rechargez la page.")
