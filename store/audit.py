"""The audit log: who saw or changed what (RELIABILITY.md P4, P5).

Every access to or change of personal data goes through ``audit()``: imports, status changes, exports,
erasures, purges, shortlist approvals. A row names the actor (a staff e-mail, or the system account that
ran a command), the action (``candidates.import``, ``privacy.export``…), the object (type and id) and a small
``detail`` dictionary. By rule the detail carries counts and ids, never a person's name or contact details,
so that an erasure leaves no trace in the log; ``store.privacy.erase_person`` still scrubs the details in
case another area wrote one.

Environment variable: ``OHMYLOT_STAFF`` names the actor of command-line actions (default: the operating
system user, ``système:<login>``).
"""

from __future__ import annotations

import getpass
import os
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from store.models import AuditLog, utcnow


def current_actor() -> str:
    """The actor of a command-line action: ``OHMYLOT_STAFF`` or the operating-system login."""
    staff = os.environ.get("OHMYLOT_STAFF", "").strip()
    if staff:
        return staff
    try:
        return f"système:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "système"


def audit(
    session: Session,
    actor: str | None,
    action: str,
    object_type: str | None = None,
    object_id: object | None = None,
    detail: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> AuditLog:
    """Add one audit row to ``session`` (flushed with the caller's transaction) and return it."""
    row = AuditLog(
        at=at or utcnow(),
        actor=actor if actor is not None else current_actor(),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=dict(detail or {}),
    )
    session.add(row)
    return row
