"""Application use cases: plain functions taking what they need (a session, bytes), raising domain errors
with French messages; ``jobs/`` (CLI) and ``web/`` (routes) call them."""
