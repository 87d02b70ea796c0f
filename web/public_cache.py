"""A short cache of the anonymous public pages: the board, its searches, its RSS feed and the public API.

Every visitor of the public board gets the same page for the same address, and at 100,000 offers a search
costs tens of milliseconds of the server's CPU: ``PublicCacheMiddleware`` (pure ASGI) keeps each such answer
for ``OHMYLOT_PUBLIC_CACHE_SECONDS`` (10 by default; 0 turns it off), keyed by the full address (scheme,
host, path and query string).

What is never cached:
- anything but a ``GET`` of ``/offres…`` or ``/api/offers…`` (staff, employer and member pages are never
  looked at);
- a request carrying a cookie or an ``Authorization`` header (signed-in people always get a fresh page,
  and nothing personal can enter the cache);
- an answer other than 200, or one that sets a cookie or says ``no-store``.

Staleness is bounded: an offer withdrawn, closed or edited disappears from the cached pages within the TTL.
Any state-changing request (``POST``, ``PUT``, ``PATCH``, ``DELETE``) handled by the same process empties
the cache at once; other worker processes keep theirs until it expires. The cache lives in the process
(nothing is shared between workers): at most ``MAX_ENTRIES`` answers of at most ``MAX_BODY`` bytes each.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CACHED_PATHS = ("/offres", "/api/offers")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_ENTRIES = 1000
MAX_BODY = 2_000_000


@dataclass
class Entry:
    expires: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: Any


def is_cacheable_path(path: str) -> bool:
    """``/offres``, ``/offres/…``, ``/api/offers``, ``/api/offers/…``."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in CACHED_PATHS)


def _anonymous(scope: Scope) -> bool:
    return not any(key in (b"cookie", b"authorization") for key, _ in scope.get("headers") or [])


def _host(scope: Scope) -> bytes:
    for key, value in scope.get("headers") or []:
        if key == b"host":
            return value
    return b""


class PublicCacheMiddleware:
    """Anonymous ``GET`` answers of the public board kept ``ttl`` seconds (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, ttl: float) -> None:
        self.app = app
        self.ttl = ttl
        self.entries: dict[tuple[str, bytes, str, bytes], Entry] = {}

    def clear(self) -> None:
        self.entries.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.ttl <= 0:
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET").upper()
        if method in UNSAFE_METHODS:
            # A moderation in this process shows at once; cleared again after it committed.
            self.clear()
            try:
                await self.app(scope, receive, send)
            finally:
                self.clear()
            return
        path = scope.get("path", "")
        if method != "GET" or not is_cacheable_path(path) or not _anonymous(scope):
            await self.app(scope, receive, send)
            return
        key = (scope.get("scheme", "http"), _host(scope), path, scope.get("query_string", b""))
        now = time.monotonic()
        entry = self.entries.get(key)
        if entry is not None and entry.expires > now:
            if entry.route is not None:
                scope["route"] = entry.route  # the access log and metrics name the route as on a miss
            await send({"type": "http.response.start", "status": entry.status, "headers": list(entry.headers)})
            await send({"type": "http.response.body", "body": entry.body})
            return
        await self._miss(scope, receive, send, key, now)

    async def _miss(self, scope: Scope, receive: Receive, send: Send, key: tuple[str, bytes, str, bytes],
                    now: float) -> None:
        started: dict[str, Any] = {}
        chunks: list[bytes] = []
        size = 0
        storable = True

        async def send_and_keep(message: Message) -> None:
            nonlocal size, storable
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                started.update(status=message.get("status", 200), headers=headers)
                if message.get("status") != 200 or any(
                    name.lower() == b"set-cookie" or (name.lower() == b"cache-control" and b"no-store" in value)
                    for name, value in headers
                ):
                    storable = False
            elif message["type"] == "http.response.body" and storable:
                body = message.get("body", b"")
                size += len(body)
                if size > MAX_BODY:
                    storable = False
                    chunks.clear()
                else:
                    chunks.append(body)
                if not message.get("more_body", False) and storable and started:
                    self._store(key, Entry(now + self.ttl, started["status"], started["headers"],
                                           b"".join(chunks), scope.get("route")))
            await send(message)

        await self.app(scope, receive, send_and_keep)

    def _store(self, key: tuple[str, bytes, str, bytes], entry: Entry) -> None:
        if len(self.entries) >= MAX_ENTRIES:
            now = time.monotonic()
            for old in [k for k, e in self.entries.items() if e.expires <= now]:
                del self.entries[old]
            while len(self.entries) >= MAX_ENTRIES:
                del self.entries[next(iter(self.entries))]
        self.entries[key] = entry
