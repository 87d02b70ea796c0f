"""``ohmylot report [--year 2025] [--csv out.csv]``: the programme's yearly figures (default: this year).

Figures (anonymised prospects included: the purge keeps them for statistics, RELIABILITY.md P3):
- prospects met per event (meetings dated in the year) and in total (distinct people);
- prospects accompanied: people with a step accompanied / interviewing / hired / settled in the year;
- households settled: households (a prospect without partner counts as one) with a "settled" step;
- hires per sector: "hired" steps of the year, by the sector staff gave (``--sector``), else the ROME grand
  domain of the prospect's first desired job, else "non renseigné";
- the welcome figures (``services.welcome_report``): households followed and settled per territory, median
  days from first contact to moving in, ambassadors involved, introductions made and accepted.
The CSV (``;`` separated, UTF-8 with BOM: it opens as is in a French spreadsheet) has the columns
``rubrique;libellé;valeur``.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.console import open_db, out
from jobs.errors import UserError
from store.models import Candidate, CandidateEvent, CandidateStatus, Event

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.

ACCOMPANIED = ("accompanied", "interviewing", "hired", "settled")
UNKNOWN_SECTOR = "non renseigné"


@dataclass
class YearlyReport:
    """The figures of one year."""

    year: int
    events: list[dict[str, Any]] = field(default_factory=list)  # {"name", "date", "met"}
    prospects_met: int = 0
    accompanied: int = 0
    hired: int = 0
    households_settled: int = 0
    gave_up: int = 0
    hires_by_sector: dict[str, int] = field(default_factory=dict)
    welcome: list[tuple[str, str, int | float]] = field(default_factory=list)  # services.welcome_report rows

    def rows(self) -> list[tuple[str, str, int]]:
        """The figures as (section, label, value) rows, in the order they are printed."""
        rows = [("évènement", f"{e['name']} ({e['date'] or 'date inconnue'})", e["met"]) for e in self.events]
        rows += [
            ("total", "prospects rencontrés", self.prospects_met),
            ("total", "prospects accompagnés", self.accompanied),
            ("total", "personnes embauchées", self.hired),
            ("total", "foyers installés", self.households_settled),
            ("total", "abandons", self.gave_up),
        ]
        rows += [("embauches par secteur", sector, n) for sector, n in self.hires_by_sector.items()]
        return rows + list(self.welcome)  # type: ignore[arg-type]


def _sector_of_codes(codes: list[Any]) -> str | None:
    if not codes:
        return None
    try:
        from matching.rome import domain_label, grand_domain  # ROME area; optional until merged
    except ImportError:
        return None
    return domain_label(grand_domain(str(codes[0])))


def yearly_report(session: Session, year: int) -> YearlyReport:
    """Compute the figures of ``year`` from meetings (candidate_event) and paths (candidate_status)."""
    from store.candidates import aware  # on use: keeps CLI start-up fast

    report = YearlyReport(year=year)
    per_event: Counter[int] = Counter()
    met: set[int] = set()
    for candidate_id, event_id, met_at in session.execute(
        select(CandidateEvent.candidate_id, CandidateEvent.event_id, CandidateEvent.met_at)
    ):
        if aware(met_at).year == year:
            per_event[event_id] += 1
            met.add(candidate_id)
    events = {e.id: e for e in session.execute(select(Event).where(Event.id.in_(per_event))).scalars()}
    ordered = sorted(per_event, key=lambda i: (events[i].date or date(year, 12, 31), events[i].name))
    report.events = [
        {"name": events[i].name, "date": events[i].date.isoformat() if events[i].date else None, "met": per_event[i]}
        for i in ordered
    ]
    report.prospects_met = len(met)

    accompanied: set[int] = set()
    hired: set[int] = set()
    settled: set[str] = set()
    gave_up: set[int] = set()
    sectors: Counter[str] = Counter()
    rows = session.execute(
        select(
            CandidateStatus.candidate_id,
            CandidateStatus.status,
            CandidateStatus.changed_at,
            CandidateStatus.sector,
            Candidate.household_id,
            Candidate.rome_codes,
        )
        .join(Candidate, Candidate.id == CandidateStatus.candidate_id)
        .where(CandidateStatus.status.in_((*ACCOMPANIED, "gave_up")))
    ).all()
    for candidate_id, status, changed_at, sector, household_id, rome_codes in rows:
        if aware(changed_at).year != year:
            continue
        if status in ACCOMPANIED:
            accompanied.add(candidate_id)
        if status == "hired" and candidate_id not in hired:
            hired.add(candidate_id)
            sectors[(sector or "").strip() or _sector_of_codes(rome_codes) or UNKNOWN_SECTOR] += 1
        if status == "settled":
            settled.add(f"h{household_id}" if household_id else f"c{candidate_id}")
        if status == "gave_up":
            gave_up.add(candidate_id)
    report.accompanied = len(accompanied)
    report.hired = len(hired)
    report.households_settled = len(settled)
    report.gave_up = len(gave_up)
    report.hires_by_sector = dict(sorted(sectors.items(), key=lambda item: (-item[1], item[0])))
    from services.welcome_report import welcome_figures  # on use: keeps CLI start-up fast

    report.welcome = welcome_figures(session, year).rows()
    return report


def write_csv(report: YearlyReport, path: Path) -> None:
    """Write the figures as ``rubrique;libellé;valeur`` (UTF-8 with BOM, for spreadsheets)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["rubrique", "libellé", "valeur"])
        writer.writerows(report.rows())


def report_command(
    year: int | None = typer.Option(None, "--year", help="Année du bilan (ex. 2025 ; par défaut l'année en cours)"),
    csv_path: Path | None = typer.Option(None, "--csv", help="Écrire aussi les chiffres dans ce fichier CSV"),
) -> None:
    """Bilan annuel du programme : prospects rencontrés par évènement, accompagnés, foyers installés, embauches."""
    if year is None:
        year = datetime.now(UTC).year
    if not 2000 <= year <= 2100:
        raise UserError(f"année invalide : {year} (exemple : --year 2025)")
    db = open_db()
    with db.session() as session:
        report = yearly_report(session, year)
    out.print(f"Bilan {year} du programme Oh my Lot !")
    section = None
    for name, label, value in report.rows():
        if name != section:
            title = {"évènement": "Prospects rencontrés par évènement", "total": "Totaux"}.get(
                name, name.capitalize()
            )
            out.print(f"\n{title}")
            section = name
        out.print(f"  {label:<60} {value:>6}", markup=False)
    if not report.events:
        out.print(f"  (aucun prospect rencontré en {year})")
    if csv_path is not None:
        try:
            write_csv(report, csv_path)
        except OSError as exc:
            raise UserError(f"impossible d'écrire {csv_path} ({exc.strerror})") from None
        out.print(f"\nChiffres écrits dans {csv_path}")


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
