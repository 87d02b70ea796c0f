"""The routers, one per resource, in the order they are mounted."""

from __future__ import annotations

from web.routers import (
    api,
    auth,
    booth,
    dashboard,
    employer,
    member,
    network,
    network_staff,
    offers,
    prospects,
    public,
    shortlists,
    sources,
    welcome,
    welcome_public,
)

ROUTERS = [
    auth.router,
    offers.router,
    prospects.router,
    shortlists.router,
    dashboard.router,
    sources.router,
    booth.router,
    employer.router,
    public.router,
    api.router,
    network.router,
    network_staff.router,
    member.router,
    welcome.router,
    welcome_public.router,
]
