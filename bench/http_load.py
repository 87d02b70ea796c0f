"""A cheap HTTP/1.1 load client for the web benchmark: one asyncio process, raw keep-alive connections.

The load client shares the machine's cores with the server it measures, so its own CPU is taken from the
server's: ``httpx.AsyncClient`` spends a few milliseconds of Python per request (URL and header models,
connection pool bookkeeping), this client a fraction of one (it writes the request line and reads the
status line, the headers and a ``Content-Length`` or chunked body). ``load`` returns the latencies per page
and the client's own CPU seconds, so that the bench reports the client's share of the CPU honestly.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit


class HttpError(RuntimeError):
    """The server closed the connection or answered something this client does not read."""


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one response (``Content-Length`` or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise HttpError(f"bad status line: {lines[0]!r}")
    status = int(parts[1])
    length, chunked = None, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are sent by the app
                return status, b"".join(chunks)
            chunks.append(await reader.readexactly(size + 2))
    if length is None:
        return status, await reader.read()  # read to close (not expected from uvicorn)
    return status, await reader.readexactly(length)


async def load(
    base: str, requests: list[tuple[str, str, str]], *, concurrency: int, timeout: float = 30
) -> tuple[dict[str, list[float]], float, int, float]:
    """Send ``requests`` (name, path, cookie header or "") with ``concurrency`` keep-alive connections.

    Returns (latencies in ms per name, elapsed seconds, non-200 answers, the client's CPU seconds).
    """
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: dict[str, list[float]] = {name: [] for name, _, _ in requests}
    queue = list(reversed(requests))
    errors = 0

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while queue:
                name, path, cookie = queue.pop()
                request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: */*\r\n"
                if cookie:
                    request += f"Cookie: {cookie}\r\n"
                started = time.perf_counter()
                writer.write((request + "\r\n").encode())
                status, _body = await asyncio.wait_for(_read_response(reader), timeout)
                latencies[name].append((time.perf_counter() - started) * 1000)
                if status != 200:
                    errors += 1
        finally:
            writer.close()

    cpu_started, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, errors, time.process_time() - cpu_started
