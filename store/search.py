"""Full-text search done by the database, for offers and prospects.

- **SQLite** (embedded default): an FTS5 table per searched table (``offer_fts``, ``candidate_fts``),
  *external content* (it stores only the index, the text stays in ``offer`` / ``candidate``), tokenizer
  ``unicode61 remove_diacritics 2`` (case and accents folded), prefix indexes for the prefix queries. SQL
  triggers keep it in step on every insert, update and delete, whoever writes (the ORM, a bulk insert, the
  ``sqlite3`` shell): no application code to forget.
- **PostgreSQL**: a stored generated ``search_vector tsvector`` column per searched table, computed with the
  ``ohmylot_fr`` text search configuration (the ``french`` one with ``unaccent`` before its stemmer) and
  weighted (title A, ROME label B, employer and commune C), under a GIN index. The database recomputes it
  on every write: nothing can leave it stale.

Both are created by the migration ``speed_01`` with the functions below. Queries turn what a person typed
into safe prefixes (``matching.search_terms``) that must all match, and rank by relevance: ``bm25`` on
SQLite, ``ts_rank`` on PostgreSQL.

None of these objects is in the SQLAlchemy models (a virtual table, triggers and a computed column that
exist on one dialect only): ``is_search_object`` tells Alembic's comparison to leave them alone.

Caution for later migrations on SQLite: ``batch_alter_table`` on ``offer`` or ``candidate`` that recreates
the table (dropping a column, changing a type) drops its triggers; call ``create_sqlite_search`` again
after it (``tests/test_search.py`` checks that the triggers exist at head).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Float, Integer, Select, Subquery, column, func, literal_column, text
from sqlalchemy.orm import Session

from matching.search_terms import search_terms

TS_CONFIG = "ohmylot_fr"


@dataclass(frozen=True)
class SearchedTable:
    """A table and its searched columns, most telling first, with their weights."""

    table: str
    columns: tuple[str, ...]
    # bm25 weights on SQLite (one per column) and tsvector weight letters on PostgreSQL.
    weights: tuple[float, ...]
    letters: tuple[str, ...]

    @property
    def fts(self) -> str:
        return f"{self.table}_fts"


OFFERS = SearchedTable(
    "offer", ("title", "rome_label", "employer_name", "commune_name"), (10.0, 4.0, 2.0, 2.0), ("A", "B", "C", "C")
)
PROSPECTS = SearchedTable(
    "candidate",
    ("last_name", "first_name", "desired_jobs", "current_place", "email"),
    (4.0, 3.0, 4.0, 2.0, 1.0),
    ("A", "A", "B", "C", "D"),
)
SEARCHED = (OFFERS, PROSPECTS)
SEARCH_INDEXES = {f"ix_{t.table}_search_vector" for t in SEARCHED}


def is_search_object(name: str | None, type_: str, parent_names: dict | None = None) -> bool:
    """Whether a reflected object belongs to the full-text search (made by migrations, not by the models)."""
    if not name:
        return False
    if type_ == "table":
        return any(name == t.fts or name.startswith(t.fts + "_") for t in SEARCHED)
    if type_ == "column":
        return name == "search_vector"
    if type_ == "index":
        return name in SEARCH_INDEXES
    return False


# --- schema (called by the migration) -------------------------------------------------------------


def _sqlite_statements(t: SearchedTable) -> list[str]:
    cols = ", ".join(t.columns)
    new = ", ".join(f"new.{c}" for c in t.columns)
    old = ", ".join(f"old.{c}" for c in t.columns)
    delete = f"INSERT INTO {t.fts}({t.fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    insert = f"INSERT INTO {t.fts}(rowid, {cols}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {t.fts} USING fts5({cols}, content='{t.table}', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')",
        f"CREATE TRIGGER IF NOT EXISTS {t.fts}_ai AFTER INSERT ON {t.table} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {t.fts}_ad AFTER DELETE ON {t.table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {t.fts}_au AFTER UPDATE OF {cols} ON {t.table} BEGIN {delete} {insert} END",
        # Index what is already there (an upgrade of a filled database).
        f"INSERT INTO {t.fts}({t.fts}) VALUES ('rebuild')",
    ]


def _pg_vector(t: SearchedTable) -> str:
    parts = [
        f"setweight(to_tsvector('{TS_CONFIG}'::regconfig, coalesce({column}, '')), '{letter}')"
        for column, letter in zip(t.columns, t.letters, strict=True)
    ]
    return " || ".join(parts)


def _pg_statements(t: SearchedTable) -> list[str]:
    return [
        f"ALTER TABLE {t.table} ADD COLUMN IF NOT EXISTS search_vector tsvector "
        f"GENERATED ALWAYS AS ({_pg_vector(t)}) STORED",
        f"CREATE INDEX IF NOT EXISTS ix_{t.table}_search_vector ON {t.table} USING gin (search_vector)",
    ]


PG_CONFIG = [
    # unaccent is a trusted extension (PostgreSQL ≥ 13): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{TS_CONFIG}') THEN
            CREATE TEXT SEARCH CONFIGURATION {TS_CONFIG} (COPY = pg_catalog.french);
            ALTER TEXT SEARCH CONFIGURATION {TS_CONFIG}
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
        END IF;
    END $$""",
]


def create_sqlite_search(execute) -> None:  # type: ignore[no-untyped-def]
    """Create (idempotently) the FTS5 tables and triggers; ``execute`` runs one SQL string."""
    for searched in SEARCHED:
        for statement in _sqlite_statements(searched):
            execute(statement)


def create_search(dialect: str, execute) -> None:  # type: ignore[no-untyped-def]
    """Create the full-text search objects of ``dialect`` (``execute`` runs one SQL string)."""
    if dialect == "sqlite":
        create_sqlite_search(execute)
    elif dialect == "postgresql":
        for statement in PG_CONFIG:
            execute(statement)
        for searched in SEARCHED:
            for statement in _pg_statements(searched):
                execute(statement)


def drop_search(dialect: str, execute) -> None:  # type: ignore[no-untyped-def]
    """Undo ``create_search`` (the migration's downgrade)."""
    for t in SEARCHED:
        if dialect == "sqlite":
            for suffix in ("ai", "ad", "au"):
                execute(f"DROP TRIGGER IF EXISTS {t.fts}_{suffix}")
            execute(f"DROP TABLE IF EXISTS {t.fts}")
        elif dialect == "postgresql":
            execute(f"DROP INDEX IF EXISTS ix_{t.table}_search_vector")
            execute(f"ALTER TABLE {t.table} DROP COLUMN IF EXISTS search_vector")
    if dialect == "postgresql":
        execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {TS_CONFIG}")


# --- queries ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextMatch:
    """A text search as SQL: ``apply`` restricts a query on the searched table to the matching rows,
    ``relevance`` is the expression to order by (best first)."""

    join: Subquery | None
    condition: ColumnElement[bool] | None
    relevance: ColumnElement
    id_column: ColumnElement

    def apply(self, query: Select) -> Select:
        if self.join is not None:
            return query.join(self.join, self.join.c.id == self.id_column)
        return query.where(self.condition)


def text_match(session: Session, searched: SearchedTable, typed: str) -> TextMatch | None:
    """The full-text search for what a person typed, or None when it holds no searchable word.

    Every word must match (as a prefix of a word of any searched column).
    """
    terms = search_terms(typed)
    if not terms:
        return None
    id_column = literal_column(f"{searched.table}.id")
    if session.get_bind().dialect.name == "postgresql":
        # Each word: its French stem, or its prefix's stem as a prefix; both made of [a-z0-9] only.
        tsquery = " & ".join(f"({word} | {value}:*)" for word, value in terms)
        query = func.to_tsquery(literal_column(f"'{TS_CONFIG}'::regconfig"), tsquery)
        vector = literal_column(f"{searched.table}.search_vector")
        return TextMatch(None, vector.op("@@")(query), func.ts_rank(vector, query).desc(), id_column)
    # FTS5: each prefix quoted ("…"*): with only [a-z0-9] inside, no operator can be formed. The FTS table
    # answers the ids and their bm25 (lower is better) in one pass; the searched table is joined to it.
    fts_query = " ".join(f'"{value}"*' for _, value in terms)
    weights = ", ".join(str(w) for w in searched.weights)
    matches = (
        text(f"SELECT rowid AS id, bm25({searched.fts}, {weights}) AS rank FROM {searched.fts} "
             f"WHERE {searched.fts} MATCH :fts_query")
        .bindparams(fts_query=fts_query)
        .columns(column("id", Integer), column("rank", Float))
        .subquery(f"{searched.fts}_match")
    )
    return TextMatch(matches, None, matches.c.rank.asc(), id_column)


def forget_deleted_terms(session: Session, *searched: SearchedTable) -> None:
    """Rewrite the SQLite index so that no trace of deleted or overwritten text stays in it (GDPR erasure).

    FTS5 records a deletion as a marker and keeps the old words in its segments until they are merged;
    ``optimize`` merges them all now. PostgreSQL recomputes the row's vector on update: nothing to do.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    session.flush()
    for t in searched or SEARCHED:
        session.execute(text(f"INSERT INTO {t.fts}({t.fts}) VALUES ('optimize')"))
