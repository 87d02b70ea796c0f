"""Audit trail of the web app: who saw or changed which personal data, every employer-link access.

Writes through ``store.audit.audit`` (the prospects area's single entry point) when it is installed,
otherwise adds the ``AuditLog`` row itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from store.models import AuditLog


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
    try:
        from store.audit import audit
    except ImportError:
        audit = None
    if audit is not None:
        audit(session, actor, action, object_type=object_type, object_id=object_id, detail=detail)
        return
    session.add(AuditLog(actor=actor, action=action, object_type=object_type, object_id=object_id,
                         detail=dict(detail or {})))
