"""Which addresses a source declared from the web app may point at (no request forgery through the preview).

An admin pastes an address in the web app and the server fetches it (the probe's preview), then the crawls
fetch it every night. Without a check, that address could be the server's own network: ``127.0.0.1``, the
database, the cloud metadata service (``169.254.169.254``), a printer on the département's LAN. A web-declared
address must therefore be ``http(s)://`` and every address its host resolves to must be public
(:func:`check_public_address`); redirects are checked the same way (:class:`PublicRedirects`).

IT can allow private addresses (a partner feed on the département's intranet) with
``OHMYLOT_SOURCES_ALLOW_PRIVATE=1``. Sources of ``crawlers/sources.toml`` and ``ohmylot sources probe`` are
IT's own and are not checked.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from services.errors import ServiceError

ALLOW_PRIVATE_ENV = "OHMYLOT_SOURCES_ALLOW_PRIVATE"


class AddressRefused(ServiceError, ValueError):
    """The address may not be fetched for a web-declared source; the message is French, one line."""


def private_allowed() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in {"1", "true", "oui", "yes"}


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """What ``host`` resolves to; none when it does not resolve (the fetch will then say it is unreachable)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_public_address(url: str) -> None:
    """Raise :class:`AddressRefused` unless ``url`` is http(s) and its host resolves only to public addresses."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in {"http", "https"}:
        raise AddressRefused("indiquez une adresse http(s):// ou déposez un fichier")
    if not parts.hostname:
        raise AddressRefused(f"adresse incomplète : {url.strip()!r} n'a pas de nom de site")
    if private_allowed():
        return
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        raise AddressRefused(f"port invalide dans {url.strip()!r}") from exc
    for address in _addresses(parts.hostname, port):
        if not address.is_global:
            raise AddressRefused(
                f"{parts.hostname} est une adresse du réseau interne ({address}) : une source déclarée dans "
                f"l'application doit être publique (l'informaticien peut l'autoriser avec {ALLOW_PRIVATE_ENV}=1)")


class PublicRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to an address :func:`check_public_address` accepts."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        check_public_address(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)
