"""The routers, one per resource, in the order they are mounted."""

from __future__ import annotations

from web.routers import api, auth, offers, public

ROUTERS = [auth.router, offers.router, public.router, api.router]
