"""Dashboard figures and their charts (pygal, SVG).

Each ``*_data`` function queries the database and returns plain rows (also shown as accessible tables under
the charts); each ``*_chart`` function turns them into an SVG document. Charts are served as images
(``<img>``), carry no script (pygal's tooltips JavaScript is switched off: the CSP allows none anyway).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pygal
from pygal.style import Style
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.reference import domain_label, epci_name
from services.welcome_report import welcome_figures
from store.models import Candidate, CandidateEvent, CandidateStatus, Event, Offer

PATH_STAGES = ["met", "accompanied", "interviewing", "hired", "settled"]
STAGE_LABELS = {"met": "rencontrés", "accompanied": "accompagnés", "interviewing": "en entretien",
                "hired": "embauchés", "settled": "installés"}
MONTH_SHORT = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1b1b",
    foreground_strong="#1b1b1b",
    foreground_subtle="#4a4a4a",
    font_family="DejaVu Sans, sans-serif",
    colors=("#0b5c3b", "#c0392b", "#1f5f99", "#b7791f", "#6b3fa0", "#2f7d7d", "#8a4b08", "#4a4a4a",
            "#d35400", "#27ae60", "#2c3e50", "#7f8c8d", "#a93226", "#117864"),
)


def _config(**kwargs):  # type: ignore[no-untyped-def]
    options = dict(style=STYLE, js=[], width=900, height=460, legend_at_bottom=True, legend_at_bottom_columns=2,
                   truncate_legend=45, print_values=False)
    options.update(kwargs)
    return options


def _svg(chart) -> bytes:  # type: ignore[no-untyped-def]
    """The chart as an SVG document without pygal's inline configuration script (inert, CSP-clean)."""
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    try:
        from lxml import etree as lxml_etree  # optional: pygal builds lxml trees only when lxml is installed

        if isinstance(root, lxml_etree._Element):
            return lxml_etree.tostring(root, xml_declaration=True, encoding="utf-8")
    except ImportError:
        pass
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _month_expr(session: Session, column):  # type: ignore[no-untyped-def]
    """``YYYY-MM`` of a datetime column, on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(column, "YYYY-MM")


def _year_expr(session: Session, column):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y", column)
    return func.to_char(column, "YYYY")


def _last_months(now: datetime, count: int) -> list[str]:
    year, month = now.year, now.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return months[::-1]


@dataclass
class Table:
    """Rows of a chart, for the accessible table under it."""

    columns: list[str]
    rows: list[list[object]]


# --------------------------------------------------------------------------------------------------
# Offers per month and sector
# --------------------------------------------------------------------------------------------------


def offers_by_month_and_sector(session: Session, *, months: int = 12, now: datetime | None = None) -> Table:
    """Offers per month of publication (first seen when the source gives no date), by ROME grand domaine."""
    now = now or datetime.now(UTC)
    wanted = _last_months(now, months)
    month = _month_expr(session, func.coalesce(Offer.published_at, Offer.created_at))
    sector = func.substr(Offer.rome_code, 1, 1)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    rows = session.execute(
        select(month, sector, func.count()).where(month >= wanted[0]).group_by(month, sector)
    )
    for ym, letter, count in rows:
        if ym in wanted:
            counts[letter or "?"][ym] += count
    sectors = sorted(counts, key=lambda s: -sum(counts[s].values()))
    return Table(
        columns=["Mois", *[_sector_label(s) for s in sectors]],
        rows=[[_month_label(ym), *[counts[s][ym] for s in sectors]] for ym in wanted],
    )


def _sector_label(letter: str) -> str:
    return "Non classé" if letter == "?" else f"{letter} — {domain_label(letter)}"


def _month_label(ym: str) -> str:
    year, month = ym.split("-")
    return f"{MONTH_SHORT[int(month) - 1]} {year}"


def offers_by_month_chart(table: Table) -> bytes:
    chart = pygal.StackedBar(**_config(title="Offres par mois et par secteur", x_label_rotation=30))
    chart.x_labels = [row[0] for row in table.rows]
    for index, name in enumerate(table.columns[1:], start=1):
        chart.add(name, [row[index] for row in table.rows])
    return _svg(chart)


# --------------------------------------------------------------------------------------------------
# Offers per EPCI
# --------------------------------------------------------------------------------------------------


def offers_by_epci(session: Session, *, top: int = 15) -> Table:
    """Open offers per EPCI, most first."""
    rows = session.execute(
        select(Offer.epci, func.count())
        .where(Offer.status == "open", Offer.epci.is_not(None))
        .group_by(Offer.epci)
        .order_by(func.count().desc())
        .limit(top)
    )
    return Table(columns=["Intercommunalité", "Offres ouvertes"], rows=[[epci_name(e), n] for e, n in rows])


def offers_by_epci_chart(table: Table) -> bytes:
    chart = pygal.HorizontalBar(**_config(title="Offres ouvertes par intercommunalité", show_legend=False))
    rows = list(reversed(table.rows))
    chart.x_labels = [str(row[0]) for row in rows]
    chart.add("Offres ouvertes", [row[1] for row in rows])
    return _svg(chart)


# --------------------------------------------------------------------------------------------------
# Path met → settled per event
# --------------------------------------------------------------------------------------------------


def path_by_event(session: Session, *, limit: int = 8) -> Table:
    """For the latest events: how many prospects met there reached each stage of the path."""
    events = list(session.scalars(select(Event).order_by(Event.date.desc().nulls_last(), Event.id.desc()).limit(limit)))
    rank = {stage: i for i, stage in enumerate(PATH_STAGES)}
    reached: dict[int, int] = {}
    for candidate_id, status in session.execute(select(Candidate.id, Candidate.status)):
        reached[candidate_id] = rank.get(status, 0)
    for candidate_id, status in session.execute(select(CandidateStatus.candidate_id, CandidateStatus.status)):
        reached[candidate_id] = max(reached.get(candidate_id, 0), rank.get(status, 0))
    rows = []
    for event in reversed(events):
        members = session.scalars(select(CandidateEvent.candidate_id).where(CandidateEvent.event_id == event.id))
        levels = [reached.get(cid, 0) for cid in members]
        rows.append([event.name, *[sum(1 for level in levels if level >= i) for i in range(len(PATH_STAGES))]])
    return Table(columns=["Événement", *[STAGE_LABELS[s].capitalize() for s in PATH_STAGES]], rows=rows)


def path_by_event_chart(table: Table) -> bytes:
    chart = pygal.Bar(**_config(title="Parcours des prospects par événement", x_label_rotation=20))
    chart.x_labels = [str(row[0]) for row in table.rows]
    for index, name in enumerate(table.columns[1:], start=1):
        chart.add(name, [row[index] for row in table.rows])
    return _svg(chart)


# --------------------------------------------------------------------------------------------------
# Yearly figures
# --------------------------------------------------------------------------------------------------


def yearly_figures(session: Session) -> Table:
    """Per year: offers collected, prospects met, prospects hired, households settled."""
    figures: dict[str, Counter[str]] = defaultdict(Counter)
    year = _year_expr(session, Offer.created_at)
    for y, n in session.execute(select(year, func.count()).group_by(year)):
        figures[y]["offers"] += n
    year = _year_expr(session, Candidate.created_at)
    for y, n in session.execute(select(year, func.count()).group_by(year)):
        figures[y]["prospects"] += n
    year = _year_expr(session, CandidateStatus.changed_at)
    for y, status, n in session.execute(
        select(year, CandidateStatus.status, func.count(func.distinct(CandidateStatus.candidate_id)))
        .where(CandidateStatus.status.in_(["hired", "settled"]))
        .group_by(year, CandidateStatus.status)
    ):
        figures[y][status] += n
    years = sorted(y for y in figures if y)
    return Table(
        columns=["Année", "Offres collectées", "Prospects rencontrés", "Embauchés", "Installés"],
        rows=[[y, figures[y]["offers"], figures[y]["prospects"], figures[y]["hired"], figures[y]["settled"]]
              for y in years],
    )


def yearly_chart(table: Table) -> bytes:
    chart = pygal.Bar(**_config(title="Chiffres de l'année", logarithmic=False))
    chart.x_labels = [str(row[0]) for row in table.rows]
    for index, name in enumerate(table.columns[1:], start=1):
        chart.add(name, [row[index] for row in table.rows])
    return _svg(chart)


# --------------------------------------------------------------------------------------------------
# Welcome of households (this year)
# --------------------------------------------------------------------------------------------------


def welcome_by_territory(session: Session, *, year: int | None = None) -> Table:
    """Households followed and settled per territory this year, with the introductions (last rows)."""
    figures = welcome_figures(session, year or datetime.now(UTC).year)
    rows = [[t["name"], t["followed"], t["settled"]] for t in figures.territories]
    return Table(columns=["Territoire", "Foyers suivis", "Foyers installés"], rows=rows)


def welcome_chart(table: Table) -> bytes:
    chart = pygal.HorizontalBar(**_config(title="Accueil des foyers par territoire (année en cours)"))
    rows = list(reversed(table.rows))
    chart.x_labels = [str(row[0]) for row in rows]
    chart.add("Foyers suivis", [row[1] for row in rows])
    chart.add("Foyers installés", [row[2] for row in rows])
    return _svg(chart)


CHARTS = {
    "offres-par-mois": (offers_by_month_and_sector, offers_by_month_chart),
    "offres-par-epci": (offers_by_epci, offers_by_epci_chart),
    "parcours-par-evenement": (path_by_event, path_by_event_chart),
    "chiffres-annuels": (yearly_figures, yearly_chart),
    "accueil-par-territoire": (welcome_by_territory, welcome_chart),
}
