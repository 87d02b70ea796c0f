"""Reproducible benchmarks that print figures (not timed tests). ``python -m bench`` runs them all.

Each module ``bench/<area>.py`` exposes ``run(quick: bool = False) -> dict``; ``quick`` finishes in seconds
(the test suite runs it to keep the benchmarks working), the full run gives the figures in BENCHMARKS.md.
"""
