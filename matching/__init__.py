"""Pure functions and in-memory indexes: French text analysis, gazetteer, ROME classifier, field parsers,
deduplication, ranking and evaluation metrics. No database, no network (DESIGN.md)."""
