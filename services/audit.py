"""Audit trail of the web app: who saw or changed which personal data, every employer-link access.

Writes through ``store.audit.audit`` (the prospects area's single entry point).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from store.audit import audit


def record(
    session: Session,
    actor: str | None,
    action: str,
    object_type: str | None = None,
    object_id: object = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one audit row (committed with the request)."""
    object_id = None if object_id is None else str(object_id)
    audit(session, actor, action, object_type=object_type, object_id=object_id, detail=detail)
