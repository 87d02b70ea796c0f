"""The schema: migrations match the models, on SQLite and PostgreSQL; no forbidden personal data (P1)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store.models import Base, Candidate
from store.search import is_search_object

pytestmark = pytest.mark.db


def test_migrations_match_the_models(db) -> None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": lambda name, kind, _parents: not is_search_object(name, kind)}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models changed without a migration: {diff}"


def test_a_model_change_without_migration_is_detected(db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import Column, MetaData, String, Table

    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("offer", metadata, Column("not_migrated", String(10)), extend_existing=True)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert any(entry[0] == "add_column" and entry[3].name == "not_migrated" for entry in diff)


FORBIDDEN = [
    "ssn", "social_security", "securite_sociale", "nir", "health", "sante", "handicap", "disability",
    "origin", "ethnic", "nationality", "religion", "opinion", "political", "union", "syndicat",
    "photo", "picture", "birth", "naissance", "age", "gender", "sexe",
]


def test_candidate_has_no_forbidden_personal_data_column() -> None:
    columns = {column.name for column in Candidate.__table__.columns}
    offending = {c for c in columns for word in FORBIDDEN if word == c or c.startswith(word + "_") or c.endswith("_" + word)}
    assert offending == set()
