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
from datetime import datetime
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
    #: the run's Scrapy stats (only the feed counters are read: ``feeds/truncated``, ``feeds/missing/…``)
    stats: Mapping[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None


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


#: French names of the fields a mapping looks for (crawl health messages)
FIELD_LABELS = {
    "title": "titre", "source_id": "identifiant", "url": "adresse de l'offre", "apply_url": "lien de candidature",
    "employer": "employeur", "city": "commune", "postal_code": "code postal", "departement": "département",
    "location": "lieu", "lat": "latitude", "lon": "longitude", "contract": "contrat",
    "contract_duration": "durée du contrat", "working_time": "temps de travail", "salary": "salaire",
    "published_at": "date de publication", "expires_at": "date limite", "description": "description",
    "experience": "expérience", "remote": "télétravail",
}
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")
#: a field counts as absent from a run when missing from at least this share of its offers
ABSENT_SHARE = 0.9
MISSING_PREFIX = "feeds/missing/"
MAPPED_KEY = "feeds/mapped_items"


def missing_shares(stats: Mapping[str, Any]) -> dict[str, float]:
    """Per field named by the mapping, the share of the run's offers where it was not found."""
    mapped = _count(stats, MAPPED_KEY)
    if not mapped:
        return {}
    return {key[len(MISSING_PREFIX):]: _count(stats, key) / mapped for key in stats if key.startswith(MISSING_PREFIX)}


def _french_date(when: datetime, today: datetime | None) -> str:
    text = f"{when.day} {_MONTHS[when.month - 1]}"
    return text if today is not None and today.year == when.year else f"{text} {when.year}"


def field_absence_issues(figures: RunFigures, history: Sequence[RunFigures], *,
                         min_coverage: float = DEFAULT_MIN_COVERAGE) -> list[HealthIssue]:
    """A field the mapping names, usually found (present in ≥ ``min_coverage`` of the offers of the previous
    runs, median), now absent from ≥ 90 % of them: "titre absent sur 100 % des offres depuis le 3 mars"
    (since the first run of the streak)."""
    shares = missing_shares(figures.stats)
    previous = [(run, missing_shares(run.stats)) for run in history]
    previous = [(run, s) for run, s in previous if s or _count(run.stats, MAPPED_KEY)]
    issues = []
    for name in sorted(shares):
        share = shares[name]
        if share < ABSENT_SHARE:
            continue
        since = figures.started_at
        usual: list[float] = []
        streak = True
        for run, run_shares in previous:  # newest first
            run_share = run_shares.get(name, 0.0)
            if streak and run_share >= ABSENT_SHARE:
                since = run.started_at or since
                continue
            streak = False
            usual.append(1 - run_share)
        if not usual or median(usual) < min_coverage:
            continue
        when = f" depuis le {_french_date(since, figures.started_at)}" if since is not None else ""
        issues.append(HealthIssue(
            "field_absent",
            f"{FIELD_LABELS.get(name, name)} absent sur {round(share * 100)} % des offres{when} "
            f"(présent sur {median(usual):.0%} d'habitude) : le format du flux a-t-il changé ?",
        ))
    return issues


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
    issues += field_absence_issues(figures, history, min_coverage=min_coverage)
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
