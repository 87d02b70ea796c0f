"""The routers, one per resource, in the order they are mounted."""

from __future__ import annotations

from web.routers import api, auth, booth, dashboard, employer, offers, prospects, public, shortlists

ROUTERS = [
    auth.router,
    offers.router,
    prospects.router,
    shortlists.router,
    dashboard.router,
    booth.router,
    employer.router,
    public.router,
    api.router,
]
