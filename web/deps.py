"""Request dependencies shared by the routers: database session, settings, the signed-in user by role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from services.auth import (
    CurrentUser,
    NotAuthenticated,
    NotFoundForRole,
    close_session,
    cookie_name,
    failed_login_notice,
    load_session,
    open_session,
)
from services.settings import WebSettings
from web.security import verify_csrf


def get_session(request: Request) -> Iterator[Session]:
    """One database session per request, committed at the end (routes commit before redirecting)."""
    with request.app.state.db.session() as session:
        yield session


def get_settings(request: Request) -> WebSettings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[WebSettings, Depends(get_settings)]


def session_token(request: Request) -> str | None:
    settings: WebSettings = request.app.state.settings
    return request.cookies.get(cookie_name(settings.cookie_secure))


def optional_user(request: Request, session: SessionDep) -> CurrentUser | None:
    """The signed-in user, or None."""
    try:
        user = load_session(session, session_token(request), hours=request.app.state.settings.session_hours)
    except NotAuthenticated:
        return None
    request.state.user = user
    return user


def current_user(request: Request, session: SessionDep) -> CurrentUser:
    """The signed-in user; otherwise pages redirect to /login and the API answers 401."""
    user = load_session(session, session_token(request), hours=request.app.state.settings.session_hours)
    request.state.user = user
    return user


def staff_user(user: Annotated[CurrentUser, Depends(current_user)]) -> CurrentUser:
    """Admin, staff or référent; employers get a 404 (W4)."""
    if not user.is_staff:
        raise NotFoundForRole
    return user


def admin_user(user: Annotated[CurrentUser, Depends(current_user)]) -> CurrentUser:
    if user.role != "admin":
        raise NotFoundForRole
    return user


async def staff_user_csrf(request: Request, user: Annotated[CurrentUser, Depends(staff_user)]) -> CurrentUser:
    """A staff user on a state-changing route: the session's CSRF token must come with the request."""
    await verify_csrf(request, user.csrf_token)
    return user


async def admin_user_csrf(request: Request, user: Annotated[CurrentUser, Depends(admin_user)]) -> CurrentUser:
    """An admin on a state-changing route, with the session's CSRF token."""
    await verify_csrf(request, user.csrf_token)
    return user


async def user_csrf(request: Request, user: Annotated[CurrentUser, Depends(current_user)]) -> CurrentUser:
    await verify_csrf(request, user.csrf_token)
    return user


OptionalUser = Annotated[CurrentUser | None, Depends(optional_user)]
CurrentUserDep = Annotated[CurrentUser, Depends(current_user)]
StaffUser = Annotated[CurrentUser, Depends(staff_user)]
StaffWrite = Annotated[CurrentUser, Depends(staff_user_csrf)]
UserWrite = Annotated[CurrentUser, Depends(user_csrf)]
AdminUser = Annotated[CurrentUser, Depends(admin_user)]
AdminWrite = Annotated[CurrentUser, Depends(admin_user_csrf)]


def signed_in_redirect(request: Request, session: Session, settings: WebSettings, user: object, target: str) -> object:
    """Sign ``user`` in and redirect to ``target``: the browser's previous session is closed and a new token
    issued (rotation at login, W3), in a ``Secure; HttpOnly; SameSite=Lax`` cookie."""
    close_session(session, session_token(request))
    token = open_session(
        session, user, hours=settings.session_hours, user_agent=request.headers.get("user-agent"),
        notice=failed_login_notice(session, user.email),  # type: ignore[attr-defined]
    )
    session.commit()
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        cookie_name(settings.cookie_secure),
        token,
        max_age=int(settings.session_hours * 3600),
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )
    return response
