"""Import prospects met at a job fair from a spreadsheet (CSV or XLSX) (``import_candidates``).

Every valid row is upserted (``store.candidates.upsert_candidate``: dedup on e-mail and E.164 phone), linked to
the event, partners grouped into households, référent assigned from the target EPCI; one audit row per import.
``dry_run`` rolls everything back but reports the same figures.

The other jobs live in their own modules (their public names are importable from here too):
- ``services.prospect_table``: reading the file as a stream of numbered rows (``read_table``);
- ``services.prospect_fields``: the fields, header aliases and column mappings;
- ``services.prospect_check``: checking one prospect's fields (``validate_prospect``, also used by the booth
  form of the web app).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.prospect_check import ProspectCheck, validate_prospect
from services.prospect_fields import (
    FIELDS,
    HEADER_ALIASES,
    NO,
    TEMPLATE_HEADERS,
    YES,
    field_for_header,
    is_forbidden_header,
    parse_column_mapping,
    parse_yes_no,
)
from services.prospect_table import MAX_CELL_CHARS, Table, cut_long_cells, read_table
from services.spreadsheet import ImportFileError, cell_text, parse_french_date
from store.audit import audit, current_actor
from store.candidates import (
    assign_referent,
    event_datetime,
    get_or_create_event,
    link_event,
    link_pending_partners,
    upsert_candidate,
)
from store.models import Candidate, CandidateSource
from store.prospect_sources import BatchSeen, known_prospect, record_source

# The names other modules import from here (the import's public interface, kept where it always was).
__all__ = [
    "FIELDS", "HEADER_ALIASES", "MAX_CELL_CHARS", "NO", "TEMPLATE_HEADERS", "YES", "ImportFileError", "ImportReport",
    "ProspectCheck", "Table", "cut_long_cells", "field_for_header", "import_candidates", "is_forbidden_header",
    "parse_column_mapping", "parse_french_date", "parse_yes_no", "read_table", "save_prospect", "validate_prospect",
]


@dataclass
class ImportReport:
    """What an import did; ``rejected`` and ``warnings`` are lists of ``{"line", "reason"}``."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    event: str | None = None
    file: str | None = None
    dry_run: bool = False
    households: int = 0

    @property
    def exit_code(self) -> int:
        """0 when every row went in, 2 when some were rejected."""
        return 2 if self.rejected else 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)


# --------------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------------


def save_prospect(
    session: Session,
    check: ProspectCheck,
    *,
    event: Any,
    channel: str,
    met_at: datetime | None = None,
    now: datetime | None = None,
    actor: str | None = None,
    audit_action: str | None = None,
    link_partner: bool = False,
    fill_only_ids: Collection[int] = (),
    file_name: str | None = None,
    line: int | None = None,
    batch: str | None = None,
) -> Any:
    """Record one checked prospect (a booth-form entry or an import row) met at ``event`` (an ``Event``).

    Upserts the person (dedup on e-mail / phone), links them to the event, assigns the référent of their target
    EPCI, and with ``link_partner`` forms the household at once (an import does it after its last row). With
    ``audit_action`` (the booth form: ``"candidates.form"``) an audit row names ``actor``. ``channel`` says how
    consent was collected (``"formulaire stand"``). Returns ``store.candidates.UpsertResult``; its ``outcome``
    is ``updated`` when only the event link is new. Raises ``ValueError`` when ``check`` has errors.

    What this entry said is kept as a source of the prospect (``store.prospect_sources``: ``file_name`` and
    ``line`` of an import row, ``batch`` the import it belongs to), so that a wrong merge can be split.
    """
    if check.errors:
        raise ValueError("; ".join(check.errors))
    now = now or datetime.now(UTC)
    met_at = met_at or event_datetime(event, now)
    known = known_prospect(session, check.values, event_id=event.id, file_name=file_name)
    result = upsert_candidate(
        session, check.values, met_at=met_at, channel=channel, now=now, fill_only_ids=fill_only_ids, known=known
    )
    candidate = result.candidate
    if link_event(session, candidate, event, met_at) and result.outcome == "unchanged":
        result.outcome = "updated"
    record_source(session, candidate, check.values, event_id=event.id, channel=channel, file_name=file_name,
                  line=line, batch=batch or uuid.uuid4().hex, outcome=result.outcome, met_at=met_at, now=now)
    assign_referent(session, candidate, check.values.get("target_epcis", []) + check.values.get("home_epcis", []))
    if link_partner and candidate.partner_hint:
        link_pending_partners(session, [candidate])
    if audit_action:
        audit(session, actor, audit_action, "candidate", candidate.id, {"event": event.id, "outcome": result.outcome},
              at=now)
    session.flush()
    return result


def import_candidates(
    db_or_session: Any,
    path: str | Path,
    *,
    event: str,
    dry_run: bool = False,
    now: datetime | None = None,
    event_date: date | None = None,
    event_place: str | None = None,
    event_kind: str | None = None,
    columns: Mapping[str, str] | None = None,
    actor: str | None = None,
) -> ImportReport:
    """Import the prospects of ``path`` met at ``event`` (created if new); see the module docstring.

    ``db_or_session`` is a ``store.db.Database`` (committed here unless ``dry_run``) or a ``Session`` (the
    caller commits; ``dry_run`` then works in a savepoint rolled back at the end). Raises ``ImportFileError``
    when the file cannot be read at all.
    """
    if not event or not event.strip():
        raise ImportFileError("nom d'évènement manquant (--event \"Nom du salon\")")
    table = read_table(path, columns)
    run = _ImportRun(
        table=table, path=Path(path), event_name=event, dry_run=dry_run, now=now or datetime.now(UTC),
        event_date=event_date, event_place=event_place, event_kind=event_kind, actor=actor or current_actor(),
    )
    if isinstance(db_or_session, Session):
        return run.execute(db_or_session, own_session=False)
    session = db_or_session.sessions()
    try:
        report = run.execute(session, own_session=True)
        session.commit()
        return report
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@dataclass
class _ImportRun:
    """One import of one file: what it was asked, and ``execute`` to run it in a session."""

    table: Table
    path: Path
    event_name: str
    dry_run: bool
    now: datetime
    event_date: date | None
    event_place: str | None
    event_kind: str | None
    actor: str | None
    batch: str = field(default_factory=lambda: uuid.uuid4().hex)

    def execute(self, session: Session, *, own_session: bool) -> ImportReport:
        report = ImportReport(
            event=self.event_name.strip(), file=self.path.name, dry_run=self.dry_run, warnings=self.table.warnings
        )
        # A caller's session keeps its own work: a dry run then happens in a savepoint; a session opened here is
        # simply rolled back (pysqlite's savepoints need care, avoided when not needed).
        savepoint = session.begin_nested() if self.dry_run and not own_session else None
        event, _ = get_or_create_event(
            session, self.event_name, day=self.event_date, place=self.event_place, kind=self.event_kind
        )
        if event.date is None:  # an undated event happened on the day of its first import
            event.date = self.now.date()
        self._import_rows(session, event, report)
        self._link_households(session, report)
        audit(session, self.actor, "candidates.import", "event", event.id, {
            "file": self.path.name, "imported": report.imported, "updated": report.updated,
            "unchanged": report.unchanged, "rejected": len(report.rejected), "dry_run": self.dry_run,
        }, at=self.now)
        if savepoint is not None:
            savepoint.rollback()
        elif self.dry_run:
            session.rollback()
        else:
            session.flush()
        return report

    def _import_rows(self, session: Session, event: Any, report: ImportReport) -> None:
        """Check and save every row, counting each person once per file."""
        met_at = event_datetime(event, self.now)
        channel = f"import {self.path.name}"[:80]
        # the prospects already saved by this import, asked to the database: no per-row memory
        seen = BatchSeen(session, self.batch)
        for line, cells in self.table.rows:
            row = {name: cells[i] if i < len(cells) else None for i, name in self.table.columns.items()}
            if not any(cell_text(v) for v in row.values()):
                continue
            check = validate_prospect(row, today=met_at.date())
            for warning in check.warnings:
                report.warnings.append({"line": line, "reason": warning})
            if check.errors:
                report.rejected.append({"line": line, "reason": " ; ".join(check.errors)})
                continue
            result = save_prospect(
                session, check, event=event, met_at=met_at, channel=channel, now=self.now, fill_only_ids=seen,
                file_name=self.path.name, line=line, batch=self.batch,
            )
            _warn_about_matches(report, line, result)
            outcome = result.outcome
            first = seen.first_line(result.candidate.id, before=line)
            if first is not None:
                report.warnings.append({"line": line, "reason": f"même personne qu'à la ligne {first}"})
                # one person counts once per file: a repeated row that adds data is an update of that person
                if outcome == "imported":
                    outcome = "updated"
            setattr(report, outcome, getattr(report, outcome) + 1)

    def _link_households(self, session: Session, report: ImportReport) -> None:
        """Form the households whose partner is now known; warn about the partners still unknown."""
        report.households = len({pair[0] for pair in link_pending_partners(session)})
        waiting = session.execute(
            select(CandidateSource.line).join(Candidate, Candidate.id == CandidateSource.candidate_id)
            .where(CandidateSource.batch == self.batch, Candidate.partner_hint.is_not(None),
                   Candidate.household_id.is_(None))
            .order_by(CandidateSource.line)
        ).scalars()
        for line in waiting:
            report.warnings.append({
                "line": line,
                "reason": "conjoint pas encore connu : le foyer sera formé quand il sera enregistré",
            })


def _warn_about_matches(report: ImportReport, line: int, result: Any) -> None:
    """Warnings for a row whose e-mail and phone name different prospects, or whose phone is a housemate's."""
    if result.conflicts:
        report.warnings.append({
            "line": line,
            "reason": f"courriel et téléphone appartiennent à des fiches différentes (n° {result.candidate.id} "
            f"et {', '.join(map(str, result.conflicts))}) : vérifiez",
        })
    if result.housemates:
        report.warnings.append({
            "line": line,
            "reason": f"même téléphone que la fiche n° {', '.join(map(str, result.housemates))} mais autre nom "
            "ou autre courriel : deux personnes, foyer probable à confirmer (ohmylot candidates foyers)",
        })
