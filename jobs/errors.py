"""Errors meant for the person at the keyboard: one line, no traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; ``str(exc)`` is a one-line message (French for staff-facing commands).

    ``exit_code`` is the process exit status (1 by default).
    """

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
