"""The FastAPI application factory.

``create_app(settings=None)`` checks the settings (a missing or default secret outside development is
refused, W3), opens the database, mounts the routers (one per resource) and the security middleware.
It never starts a scheduler (RELIABILITY.md J4): scheduled work belongs to ``ohmylot schedule``.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from services.auth import NotAuthenticated, NotFoundForRole
from services.settings import WebSettings, get_web_settings
from store.db import open_database
from web.observability import ObservabilityMiddleware, WebMetrics
from web.observability import router as operations_router
from web.public_cache import PublicCacheMiddleware
from web.routers import ROUTERS
from web.security import SecurityMiddleware
from web.templating import render, templates
from web.warm import freeze_heap, warm_before_serving, warm_up

STATIC_DIR = Path(__file__).resolve().parent / "static"

ERROR_TITLES = {
    400: "Requête invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    410: "Lien expiré ou révoqué",
    422: "Formulaire incomplet",
    429: "Trop de tentatives",
}


ENGLISH_PHRASES = {status.phrase for status in HTTPStatus}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_response(request: Request, status: int, detail: str | None) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": detail or ERROR_TITLES.get(status, "Erreur")}, status_code=status)
    return render(
        request,
        "error.html",
        {"status": status, "title": ERROR_TITLES.get(status, "Erreur"), "detail": detail},
        status_code=status,
    )


def create_app(settings: WebSettings | None = None, *, database=None) -> FastAPI:  # type: ignore[no-untyped-def]
    """Build the app. ``database`` (a ``store.db.Database``) defaults to ``open_database()``."""
    settings = (settings or get_web_settings()).checked()
    db = database or open_database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Warm the caches so that the first visits do not pay for them: the cheap ones before the server takes
        # requests (hasher, templates, reference tables), the long ones (the ranking engine's offer index, the
        # ROME classifier) in the background. No scheduler here, ever (J4).
        if settings.warm_up:
            warm_before_serving()
            freeze_heap()
            threading.Thread(target=warm_up, args=(db,), kwargs={"metrics": _app.state.metrics, "served": True},
                             name="ohmylot-warm-up", daemon=True).start()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="ohmylot",
        description="API d'Oh my Lot ! : offres d'emploi du Lot, prospects, listes de candidats.",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    # Templates are read from disk once; only development picks up an edited template without a restart.
    templates.env.auto_reload = settings.is_development

    app.state.metrics = WebMetrics(db)
    # Starlette runs the last added middleware first: forwarded headers are applied (from trusted proxies
    # only) before the request is logged, counted and checked; the public cache is innermost, so that a
    # cached page still gets its own request id, log line and security headers.
    app.add_middleware(PublicCacheMiddleware, ttl=settings.public_cache_seconds)
    app.add_middleware(SecurityMiddleware, public_origin=settings.public_origin)
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    for router in [operations_router, *ROUTERS]:
        app.include_router(router)

    @app.exception_handler(NotAuthenticated)
    async def _not_authenticated(request: Request, _exc: NotAuthenticated) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "Connexion requise."}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(NotFoundForRole)
    async def _not_for_role(request: Request, _exc: NotFoundForRole) -> Response:
        return _error_response(request, 404, None)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Starlette's English reason phrases ("Not Found", "Gone") are not shown: the French title says it.
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail not in ENGLISH_PHRASES else None
        response = _error_response(request, exc.status_code, detail)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": jsonable_errors(exc)}, status_code=422)
        return _error_response(request, 422, "Un champ du formulaire est manquant ou invalide.")

    return app


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
