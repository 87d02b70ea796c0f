"""Sign in and out (``/login``, ``/logout``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.auth import LoginThrottled, authenticate, close_session, cookie_name
from store.models import User
from web.deps import OptionalUser, SessionDep, SettingsDep, UserWrite, session_token, signed_in_redirect
from web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: never ``//evil.example`` nor ``/\\evil.example`` nor a full URL."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target:
        return default
    return target


def home_for(user: User) -> str:
    return "/employeur/listes" if user.role == "employer" else "/equipe/offres"


@router.get("/login")
def login_form(request: Request, user: OptionalUser, next: str = "") -> Response:  # noqa: A002
    if user is not None:
        return RedirectResponse(safe_next(next, home_for(user.user)), status_code=303)
    return render(request, "login.html", {"next": safe_next(next, ""), "error": None, "email": ""})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "",  # noqa: A002
) -> Response:
    ip = request.client.host if request.client else None
    try:
        user = authenticate(session, email, password, ip=ip, max_failures=settings.login_max_failures)
    except LoginThrottled as exc:
        session.commit()
        response = render(
            request,
            "login.html",
            {"next": safe_next(next, ""), "email": email,
             "error": f"Trop de tentatives depuis votre adresse : {exc}."},
            status_code=429,
        )
        response.headers["Retry-After"] = str(max(1, int(exc.wait.total_seconds() + 0.999)))
        return response
    if user is None:
        session.commit()
        return render(
            request,
            "login.html",
            {"next": safe_next(next, ""), "email": email, "error": "Adresse ou mot de passe incorrect."},
            status_code=401,
        )
    # Rotation: whatever session the browser had is closed, a new token is issued.
    return signed_in_redirect(request, session, settings, user, safe_next(next, home_for(user)))  # type: ignore[return-value]


@router.post("/logout")
def logout(request: Request, session: SessionDep, settings: SettingsDep, user: UserWrite) -> Response:
    close_session(session, session_token(request))
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        cookie_name(settings.cookie_secure), path="/", secure=settings.cookie_secure, httponly=True, samesite="lax"
    )
    return response


@router.post("/login/avis")
def dismiss_notice(
    session: SessionDep,
    user: UserWrite,
    next: Annotated[str, Form(max_length=2000)] = "",  # noqa: A002
) -> Response:
    """Hide the warning about failed sign-in attempts for the rest of this session (it was read)."""
    user.session.notice = None
    session.commit()
    return RedirectResponse(safe_next(next, home_for(user.user)), status_code=303)


@router.get("/")
def home(user: OptionalUser) -> Response:
    if user is None:
        return RedirectResponse("/offres", status_code=303)
    return RedirectResponse(home_for(user.user), status_code=303)
