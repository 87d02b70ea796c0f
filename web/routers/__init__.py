"""The routers, one per resource, in the order they are mounted."""

from __future__ import annotations

from web.routers import api, auth, employer, offers, prospects, public, shortlists

ROUTERS = [
    auth.router,
    offers.router,
    prospects.router,
    shortlists.router,
    employer.router,
    public.router,
    api.router,
]
