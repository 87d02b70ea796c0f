"""A faithful local imitation of the France Travail "Offres d'emploi v2" API (SOURCE-FORMATS.md §1).

What it imitates:
- ``POST {base}/connexion/oauth2/access_token?realm=/partenaire`` with the client-credentials grant
  (form body ``grant_type``, ``client_id``, ``client_secret``, ``scope``) → ``{"access_token",
  "expires_in", "token_type": "Bearer", "scope"}``; wrong credentials → 401 ``invalid_client``.
- ``GET {base}/partenaire/offresdemploi/v2/offres/search`` with ``Authorization: Bearer <token>``
  (missing / unknown / expired token → 401), filters ``departement``, ``commune`` (INSEE codes, comma-separated),
  ``codeROME`` (comma-separated), ``typeContrat``, ``motsCles``, ``minCreationDate`` / ``maxCreationDate``,
  paging by ``range=a-b`` (at most 150 per page): **206** with ``Content-Range: offres a-b/total`` while more
  remain, **200** for the last page, **204** when nothing matches. A range reaching beyond the cap of one
  query (``max_results``, 1,150 by default as in production) is refused with 400: a larger query must be
  split (by commune, ROME code or contract type, which ``filtresPossibles`` lists with counts).
- Rate limit: more than ``rate_limit`` requests within one second → **429** with ``Retry-After``.
- ``fail_next``: statuses to answer to the next search requests (to test retries), and ``expire_tokens()``.

Mount it under a prefix with ``FranceTravailMock.handle(request, prefix)``.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from crawlers.sandbox.server import Request, Response

TOKEN_PATH = "/connexion/oauth2/access_token"  # noqa: S105 - a URL path, not a secret
SEARCH_PATH = "/partenaire/offresdemploi/v2/offres/search"
PAGE_MAX = 150


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload, ensure_ascii=False), headers or {}, "application/json;charset=UTF-8")


@dataclass
class FranceTravailMock:
    """The imitation; ``offers`` are France Travail offer objects (dicts with the API's field names)."""

    offers: list[dict[str, Any]]
    client_id: str = "sandbox"
    client_secret: str = "sandbox"  # noqa: S105 - the sandbox's public test credentials
    max_results: int = 1150
    token_ttl: float = 1499.0
    rate_limit: int | None = None
    retry_after: int = 1
    fail_next: list[int] = field(default_factory=list)
    #: every search request served: (query dict, status)
    searches: list[tuple[dict[str, str], int]] = field(default_factory=list)
    tokens_issued: int = 0
    _tokens: dict[str, float] = field(default_factory=dict)
    _recent: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---------------------------------------------------------------------------------------------
    def handle(self, request: Request, prefix: str = "") -> Response:
        """Answer one request whose path starts with ``prefix``."""
        path = request.path[len(prefix) :] if prefix and request.path.startswith(prefix) else request.path
        if path == TOKEN_PATH and request.method == "POST":
            return self._token(request)
        if path == SEARCH_PATH and request.method == "GET":
            return self._search(request)
        if path.startswith("/partenaire/offresdemploi/v2/offres/") and request.method == "GET":
            return self._detail(request, path.rsplit("/", 1)[1])
        return _json(404, {"message": "Ressource introuvable"})

    def expire_tokens(self) -> None:
        """Make every issued token expired (the next search answers 401)."""
        with self._lock:
            self._tokens = {token: 0.0 for token in self._tokens}

    # ---------------------------------------------------------------------------------------------
    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return _json(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return _json(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
        token = secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_ttl
            self.tokens_issued += 1
        return _json(
            200,
            {
                "scope": form.get("scope", "api_offresdemploiv2 o2dsoffre"),
                "expires_in": int(self.token_ttl),
                "token_type": "Bearer",
                "access_token": token,
            },
        )

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return False
        with self._lock:
            expiry = self._tokens.get(header[7:])
        return expiry is not None and expiry > time.monotonic()

    def _rate_limited(self) -> bool:
        if not self.rate_limit:
            return False
        now = time.monotonic()
        with self._lock:
            self._recent = [t for t in self._recent if now - t < 1.0]
            if len(self._recent) >= self.rate_limit:
                return True
            self._recent.append(now)
        return False

    def _search(self, request: Request) -> Response:
        query = {k: v[0] for k, v in request.query.items()}

        def answer(response: Response) -> Response:
            self.searches.append((query, response.status))
            return response

        if not self._authorized(request):
            return answer(_json(401, {"message": "Jeton d'accès invalide ou expiré"}))
        if self._rate_limited():
            return answer(
                _json(429, {"message": "Limite de requêtes atteinte"}, {"Retry-After": str(self.retry_after)})
            )
        with self._lock:
            forced = self.fail_next.pop(0) if self.fail_next else None
        if forced is not None:
            headers = {"Retry-After": str(self.retry_after)} if forced in (429, 503) else {}
            return answer(_json(forced, {"message": "Erreur simulée"}, headers))

        try:
            start, end = self._range(query.get("range", "0-149"))
        except ValueError as exc:
            return answer(_json(400, {"message": str(exc)}))
        if end >= self.max_results:
            message = f"La position de fin ne peut dépasser {self.max_results - 1} : affinez la recherche."
            return answer(_json(400, {"message": message}))
        matching = [offer for offer in self.offers if self._matches(offer, query)]
        total = len(matching)
        if total == 0 or start >= total:
            return answer(Response(204, b"", {}, "application/json"))
        page = matching[start : end + 1]
        last = start + len(page) - 1
        status = 206 if last + 1 < total else 200
        payload = {"resultats": page, "filtresPossibles": self._facets(matching)}
        headers = {"Content-Range": f"offres {start}-{last}/{total}", "Accept-Range": "offres 150"}
        return answer(_json(status, payload, headers))

    def _detail(self, request: Request, offer_id: str) -> Response:
        if not self._authorized(request):
            return _json(401, {"message": "Jeton d'accès invalide ou expiré"})
        for offer in self.offers:
            if offer.get("id") == offer_id:
                return _json(200, offer)
        return Response(204, b"")

    @staticmethod
    def _range(value: str) -> tuple[int, int]:
        try:
            first, last = (int(part) for part in value.split("-", 1))
        except ValueError as exc:
            raise ValueError(f"Le paramètre range est invalide : {value!r}") from exc
        if first < 0 or last < first:
            raise ValueError(f"Le paramètre range est invalide : {value!r}")
        if last - first + 1 > PAGE_MAX:
            raise ValueError(f"La plage demandée dépasse {PAGE_MAX} résultats")
        return first, last

    @staticmethod
    def _csv(value: str | None) -> set[str]:
        return {part.strip() for part in (value or "").split(",") if part.strip()}

    def _matches(self, offer: dict[str, Any], query: dict[str, str]) -> bool:
        place = offer.get("lieuTravail") or {}
        insee = str(place.get("commune") or "")
        departement = query.get("departement")
        if departement:
            label = str(place.get("libelle") or "")
            offer_dep = insee[:2] if insee else label.split(" - ", 1)[0].strip()
            if offer_dep not in self._csv(departement):
                return False
        communes = self._csv(query.get("commune"))
        if communes and insee not in communes:
            return False
        romes = self._csv(query.get("codeROME"))
        if romes and offer.get("romeCode") not in romes:
            return False
        contracts = self._csv(query.get("typeContrat"))
        if contracts and offer.get("typeContrat") not in contracts:
            return False
        words = query.get("motsCles")
        if words:
            haystack = f"{offer.get('intitule', '')} {offer.get('description', '')}".lower()
            if not all(word.lower() in haystack for word in words.split(",")):
                return False
        created = str(offer.get("dateCreation") or "")
        if query.get("minCreationDate") and created < query["minCreationDate"]:
            return False
        if query.get("maxCreationDate") and created > query["maxCreationDate"]:
            return False
        return True

    @staticmethod
    def _facets(offers: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        counters: dict[str, Counter[str]] = {
            "typeContrat": Counter(),
            "experience": Counter(),
            "qualification": Counter(),
            "natureContrat": Counter(),
        }
        for offer in offers:
            counters["typeContrat"][str(offer.get("typeContrat") or "")] += 1
            counters["experience"][str(offer.get("experienceExige") or "")] += 1
            counters["qualification"][str(offer.get("qualificationCode") or "0")] += 1
            counters["natureContrat"][str(offer.get("natureContrat") or "")] += 1
        return [
            {
                "filtre": name,
                "agregation": [
                    {"valeurPossible": value, "nbResultats": count} for value, count in counter.most_common()
                ],
            }
            for name, counter in counters.items()
        ]
