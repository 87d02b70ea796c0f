"""Persistence: SQLAlchemy models, engine and session set-up, Alembic migrations.

SQLite by default (a file in the per-user data directory), PostgreSQL in production; both run the same
migrations. See `store.settings` for the environment variables.
"""
