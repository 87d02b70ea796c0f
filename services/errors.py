"""The common base of the services' domain errors.

A ``ServiceError`` is a refused use case: ``str(exc)`` is one line in French, meant for the person who asked
(staff, member, employer, family). The command line turns any of them into that line and exit status 1
(``jobs/cli.py``); the web routes show it on the page they came from. Each error class also keeps the builtin
base it always had (``ValueError``, or ``RuntimeError`` for a missing mail server), so older ``except``
clauses still catch it.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A refused action, with a one-line French message for the person who asked."""

    @property
    def message(self) -> str:
        return str(self)
