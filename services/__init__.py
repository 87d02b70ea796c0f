"""The application layer: the use cases that commands (``jobs/``) and pages (``web/``) call.

Plain functions taking a session and returning results; errors are domain exceptions with French messages.
May import ``crawlers``, ``store`` and ``matching``; never ``jobs`` or ``web``.
"""
