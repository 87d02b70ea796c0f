"""Crawl health monitors (RELIABILITY.md C7), spidermon style: small checks with thresholds, pure functions.

Each monitor takes the figures of the run just finished and the history of the source, and returns
``HealthIssue``s with a French message for staff. ``check_run`` runs them all; ``ohmylot crawl`` prints the
issues at the end, ``ohmylot sources health`` shows them per source, and the run keeps them in
``CrawlRun.stats["health"]``.

Settings (Scrapy settings or ``OHMYLOT_*`` environment variables of the same name):
- ``OHMYLOT_HEALTH_MIN_RATIO`` (0.5): alert when a run yields fewer items than this share of the median of
  the last ``OHMYLOT_HEALTH_HISTORY`` (5) successful runs;
- ``OHMYLOT_HEALTH_MIN_COVERAGE`` (0.5): alert when a field that usually is filled (coverage above
  this) falls below half of its usual coverage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

DEFAULT_MIN_RATIO = 0.5
DEFAULT_HISTORY = 5
DEFAULT_MIN_COVERAGE = 0.5


@dataclass(frozen=True)
class HealthIssue:
    """One problem found in a run: ``kind`` is a stable code, ``message`` is for staff (French)."""

    kind: str
    message: str
    severity: str = "warning"  # warning | error

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message, "severity": self.severity}


@dataclass(frozen=True)
class RunFigures:
    """What the monitors look at in one run."""

    status: str
    items_scraped: int
    finish_reason: str | None = None
    errors: int = 0
    field_coverage: Mapping[str, float] = field(default_factory=dict)
    #: the run's Scrapy stats (only the feed counters are read: ``feeds/truncated``…)
    stats: Mapping[str, Any] = field(default_factory=dict)


def item_count_issue(
    items: int, history: Sequence[int], *, min_ratio: float = DEFAULT_MIN_RATIO, history_size: int = DEFAULT_HISTORY
) -> HealthIssue | None:
    """Items < ``min_ratio`` × median of the last ``history_size`` good runs (newest first) → an issue.

    No history, or a median of zero, gives no issue: there is nothing to compare with yet.
    """
    recent = [count for count in history[:history_size] if count is not None]
    if not recent:
        return None
    reference = median(recent)
    if reference <= 0 or items >= min_ratio * reference:
        return None
    return HealthIssue(
        "low_item_count",
        f"{items} offre(s) collectée(s), moins de {min_ratio:.0%} de la médiane des {len(recent)} "
        f"dernières collectes réussies ({reference:g})",
    )


def finish_issue(figures: RunFigures) -> HealthIssue | None:
    """A run that did not finish normally, or finished with errors."""
    if figures.status == "failed":
        return HealthIssue(
            "failed", f"collecte en échec ({figures.finish_reason or 'raison inconnue'})", severity="error"
        )
    if figures.finish_reason and figures.finish_reason != "finished":
        return HealthIssue("finish_reason", f"collecte interrompue : {figures.finish_reason}")
    if figures.errors:
        return HealthIssue("errors", f"{figures.errors} erreur(s) pendant la collecte")
    return None


def coverage_issues(
    coverage: Mapping[str, float],
    previous: Sequence[Mapping[str, float]],
    *,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
) -> list[HealthIssue]:
    """Fields usually filled (median coverage ≥ ``min_coverage`` in previous good runs) now below half that."""
    issues = []
    for name in sorted(coverage):
        usual = [run[name] for run in previous if name in run]
        if not usual:
            continue
        reference = median(usual)
        if reference >= min_coverage and coverage[name] < reference / 2:
            issues.append(
                HealthIssue(
                    "field_coverage",
                    f"champ « {name} » rempli pour {coverage[name]:.0%} des offres (habituellement {reference:.0%})",
                )
            )
    return issues


def _count(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def feed_issues(stats: Mapping[str, Any]) -> list[HealthIssue]:
    """What the feed readers reported about the documents themselves: a feed cut in the middle."""
    truncated = _count(stats, "feeds/truncated")
    if not truncated:
        return []
    kept = _count(stats, "feeds/truncated/items_before_cut")
    return [HealthIssue(
        "truncated_feed",
        f"flux tronqué : seules les {kept} offre(s) complète(s) avant la coupure ont été lues"
        f"{f' ({truncated} documents)' if truncated > 1 else ''}, aucune offre fermée",
        severity="error",
    )]


def check_run(
    figures: RunFigures,
    history: Sequence[RunFigures],
    *,
    min_ratio: float = DEFAULT_MIN_RATIO,
    history_size: int = DEFAULT_HISTORY,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
) -> list[HealthIssue]:
    """All monitors on one run, against the source's previous runs (newest first, any status)."""
    good = [run for run in history if run.status == "success"][:history_size]
    issues: list[HealthIssue] = []
    finish = finish_issue(figures)
    if finish is not None:
        issues.append(finish)
    issues += feed_issues(figures.stats)
    count = item_count_issue(
        figures.items_scraped, [run.items_scraped for run in good], min_ratio=min_ratio, history_size=history_size
    )
    if count is not None:
        issues.append(count)
    if figures.items_scraped:
        issues += coverage_issues(
            figures.field_coverage, [run.field_coverage for run in good], min_coverage=min_coverage
        )
    return issues
