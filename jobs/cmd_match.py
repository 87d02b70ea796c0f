"""``ohmylot match``: rank offers for prospects, offline (JSON Lines files) or in the database.

- ``ohmylot match --offers offers.jsonl --candidates candidates.jsonl --top 10 --output matches.jsonl``:
  offline matching of the documented JSON inputs (docs/matching.md); one output line per candidate,
  ``{"candidate_id", "matches": [{"offer_id", "score", "reasons": [...]}]}``. A malformed line is reported
  with its number and reason; the others go on.
- ``ohmylot match``: re-ranks the database (every candidate, or ``--candidate ID`` repeated).
- ``ohmylot match show CANDIDATE_ID``: the stored matches of a prospect with their reasons.
- ``ohmylot match offer OFFER_ID``: the best prospects for an offer (computed live).
- ``ohmylot match household HOUSEHOLD_ID``: the places where every member of a household has offers.
- ``ohmylot match feedback CANDIDATE_ID OFFER_ID --pertinent/--non-pertinent --raison …``: a staff mark.
- ``ohmylot match evaluate``: the stored proposals against the staff marks.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from jobs.console import err, open_db, out
from jobs.errors import UserError
from jobs.jsonlines import json_objects
from store.models import Candidate, Household, Offer

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.


@dataclass
class MatchFileReport:
    """What an offline matching did: counts and the rejected lines (file, line, reason)."""

    offers: int = 0
    candidates: int = 0
    matches: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    duration_s: float = 0.0


def read_jsonl(path: Path, report: MatchFileReport) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every JSON object line of ``path``; bad lines go to ``report.rejected``."""
    try:
        handle = path.open(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise UserError(f"fichier introuvable : {path}") from exc
    except OSError as exc:
        raise UserError(f"impossible de lire {path} : {exc.strerror}") from exc
    with handle:
        try:
            for number, data, reason in json_objects(handle):
                if data is None:
                    report.rejected.append({"file": path.name, "line": number, "reason": reason})
                    continue
                yield number, data
        except UnicodeDecodeError as exc:
            raise UserError(f"{path} n'est pas un fichier texte UTF-8 (JSON Lines attendu)") from exc


def match_files(
    offers_path: Path,
    candidates_path: Path,
    output_path: Path | None,
    *,
    top: int = 10,
    now: datetime | None = None,
) -> MatchFileReport:
    """Rank the offers of ``offers_path`` for each candidate of ``candidates_path``; write JSON Lines."""
    from matching.rank import OfferDoc, OfferIndex, Profile, Ranker  # on use: keeps CLI start-up fast

    started = time.perf_counter()
    now = now or datetime.now(UTC)
    report = MatchFileReport()
    offers: list[OfferDoc] = []
    seen: set[str] = set()
    for number, data in read_jsonl(offers_path, report):
        try:
            offer = OfferDoc.from_json(data)
        except (ValueError, TypeError, AttributeError) as exc:
            report.rejected.append({"file": offers_path.name, "line": number, "reason": str(exc)})
            continue
        if offer.id in seen:
            report.rejected.append({"file": offers_path.name, "line": number, "reason": f"offre {offer.id} en double"})
            continue
        seen.add(offer.id)
        offers.append(offer)
    profiles: list[Profile] = []
    for number, data in read_jsonl(candidates_path, report):
        try:
            profiles.append(Profile.from_json(data))
        except (ValueError, TypeError, AttributeError) as exc:
            report.rejected.append({"file": candidates_path.name, "line": number, "reason": str(exc)})
    report.offers, report.candidates = len(offers), len(profiles)
    ranker = Ranker(OfferIndex(offers))
    target = output_path.open("w", encoding="utf-8") if output_path else sys.stdout
    try:
        for profile in profiles:
            ranked = ranker.rank(profile, top=top, now=now)
            report.matches += len(ranked)
            line = {
                "candidate_id": profile.id,
                "matches": [{"offer_id": r.offer_id, "score": r.score, "reasons": r.reasons} for r in ranked],
            }
            target.write(json.dumps(line, ensure_ascii=False) + "\n")
    finally:
        if output_path:
            target.close()
    report.duration_s = round(time.perf_counter() - started, 3)
    return report


def _offline(offers: Path, candidates: Path, output: Path | None, top: int) -> None:
    if output is not None and output.parent and not output.parent.exists():
        raise UserError(f"le dossier de sortie n'existe pas : {output.parent}")
    report = match_files(offers, candidates, output, top=top)
    for row in report.rejected[:20]:
        err.print(f"ligne ignorée : {row['file']}:{row['line']} : {row['reason']}")
    if len(report.rejected) > 20:
        err.print(f"… et {len(report.rejected) - 20} autres lignes ignorées")
    if report.offers == 0:
        err.print("[yellow]Attention : aucune offre valide, aucun rapprochement possible.[/yellow]")
    where = f" → {output}" if output else ""
    err.print(
        f"{report.candidates} candidats × {report.offers} offres : {report.matches} propositions "
        f"en {report.duration_s:.1f} s{where}"
    )


def _rerank(candidate_ids: list[int] | None, top: int) -> None:
    from services.matching import rerank_database  # on use: keeps CLI start-up fast

    db = open_db()
    with err.status("Rapprochement offres × prospects …"), db.session() as session:
        stats = rerank_database(session, candidate_ids=candidate_ids, top=top)
    out.print(
        f"{stats.candidates} prospects × {stats.offers} offres ouvertes : {stats.matches} propositions "
        f"({stats.without_match} prospects sans proposition, {stats.excluded_by_feedback} offres écartées "
        f"par un avis « non pertinent ») en {stats.duration_s:.1f} s."
    )


match_app = typer.Typer(
    help="Rapprochement offres × prospects : fichiers JSON Lines, ou la base (sans fichier).",
    invoke_without_command=True,
)


@match_app.callback()
def match(
    ctx: typer.Context,
    offers: Path | None = typer.Option(None, "--offers", help="Offres normalisées (JSON Lines)."),
    candidates: Path | None = typer.Option(None, "--candidates", help="Prospects (JSON Lines)."),
    top: int = typer.Option(10, "--top", min=1, max=500, help="Nombre d'offres proposées par prospect."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Fichier de sortie (défaut : écran)."),
    candidate: list[int] | None = typer.Option(
        None, "--candidate", help="Ne reclasser que ce prospect (base ; option répétable)."
    ),
) -> None:
    """Sans fichier : reclasse les offres de la base pour chaque prospect. Avec --offers et --candidates :
    rapprochement hors ligne, une ligne JSON par prospect."""
    if ctx.invoked_subcommand is not None:
        if offers or candidates or output:
            raise UserError("--offers / --candidates / --output ne se combinent pas avec une sous-commande")
        return
    if (offers is None) != (candidates is None):
        raise UserError("donnez à la fois --offers et --candidates (ou aucun des deux pour la base)")
    if offers is not None and candidates is not None:
        _offline(offers, candidates, output, top)
        return
    if output is not None:
        raise UserError("--output ne sert qu'avec --offers et --candidates")
    _rerank(list(candidate) if candidate else None, top)


@match_app.command("show")
def show(
    candidate_id: int = typer.Argument(..., help="Identifiant du prospect."),
    limit: int = typer.Option(10, "--limit", min=1, help="Nombre d'offres affichées."),
) -> None:
    """Affiche les offres proposées à un prospect, avec les raisons."""
    from services.matching import matches_for_candidate  # on use: keeps CLI start-up fast

    db = open_db(quiet=True)
    with db.session() as session:
        person = session.get(Candidate, candidate_id)
        if person is None:
            raise UserError(f"prospect {candidate_id} inconnu")
        rows = matches_for_candidate(session, candidate_id, limit=limit)
        out.print(f"Prospect {candidate_id} : {person.desired_jobs or 'métier non précisé'}")
        if not rows:
            out.print("Aucune proposition enregistrée (lancez « ohmylot match » pour reclasser).")
        for row in rows:
            offer = session.get(Offer, row.offer_id)
            title = offer.title if offer else "?"
            employer = f" — {offer.employer_name}" if offer and offer.employer_name else ""
            out.print(f"\n{row.rank}. [bold]{title}[/bold]{employer} (offre {row.offer_id}, score {row.score:.2f})")
            for reason in row.reasons or []:
                out.print(f"   • {reason}")


@match_app.command("offer")
def offer(
    offer_id: int = typer.Argument(..., help="Identifiant de l'offre."),
    limit: int = typer.Option(10, "--limit", min=1, help="Nombre de prospects affichés."),
) -> None:
    """Affiche les prospects les mieux placés pour une offre (calcul en direct)."""
    from services.matching import candidates_for_offer  # on use: keeps CLI start-up fast

    db = open_db(quiet=True)
    with db.session() as session:
        row = session.get(Offer, offer_id)
        if row is None:
            raise UserError(f"offre {offer_id} inconnue")
        out.print(f"Offre {offer_id} : {row.title} ({row.commune_name or row.location_label or 'lieu inconnu'})")
        found = candidates_for_offer(session, offer_id, limit=limit)
        if not found:
            out.print("Aucun prospect ne correspond (offre fermée, ou hors des zones et métiers recherchés).")
        for match in found:
            person = session.get(Candidate, match.candidate_id)
            jobs = person.desired_jobs if person else "?"
            out.print(f"\n{match.rank}. prospect {match.candidate_id} — {jobs} (score {match.score:.2f})")
            for reason in match.reasons:
                out.print(f"   • {reason}")


@match_app.command("household")
def household(
    household_id: int = typer.Argument(..., help="Identifiant du foyer."),
    limit: int = typer.Option(5, "--limit", min=1, help="Nombre de lieux affichés."),
    communes: bool = typer.Option(False, "--communes", help="Classer des communes plutôt que des EPCI."),
) -> None:
    """Affiche les lieux où chaque membre du foyer a des offres à sa portée, avec les paires d'offres."""
    from services.matching import household_places  # on use: keeps CLI start-up fast

    db = open_db(quiet=True)
    with db.session() as session:
        if session.get(Household, household_id) is None:
            raise UserError(f"foyer {household_id} inconnu")
        places = household_places(session, household_id, limit=limit, level="commune" if communes else "epci")
    if not places:
        out.print("Aucun lieu où chaque membre du foyer a une offre à sa portée.")
    for number, place in enumerate(places, start=1):
        out.print(f"\n{number}. [bold]{place.name}[/bold] (score {place.score:.2f})")
        for reason in place.reasons:
            out.print(f"   {reason}")
        for pair in place.pairs:
            out.print("   paire : " + " + ".join(f"offre {o.offer_id} « {o.title} » ({o.place})" for o in pair))


@match_app.command("evaluate")
def evaluate(k: int = typer.Option(10, "--top", min=1, help="Profondeur des propositions évaluées.")) -> None:
    """Confronte les propositions enregistrées aux avis de l'équipe (pertinent / non pertinent)."""
    from services.matching import feedback_evaluation  # on use: keeps CLI start-up fast

    db = open_db(quiet=True)
    with db.session() as session:
        result = feedback_evaluation(session, k=k)
    if result.marks == 0:
        out.print("Aucun avis enregistré : marquez des propositions (« ohmylot match feedback … »).")
        return
    out.print(f"{result.marks} avis ({result.relevant_marks} pertinents) sur {result.candidates} prospects.")
    if result.precision_of_judged is not None:
        out.print(
            f"Parmi les {result.judged_proposals} propositions actuelles (top {k}) déjà jugées : "
            f"{result.precision_of_judged:.0%} jugées pertinentes."
        )
    if result.mrr is not None:
        out.print(f"Rang réciproque moyen de la première proposition jugée pertinente : {result.mrr:.2f}.")
    if result.rejected_still_proposed:
        out.print(
            f"Attention : {result.rejected_still_proposed} propositions jugées non pertinentes sont encore "
            "proposées (lancez « ohmylot match » pour reclasser)."
        )


@match_app.command("feedback")
def feedback(
    candidate_id: int = typer.Argument(..., help="Identifiant du prospect."),
    offer_id: int = typer.Argument(..., help="Identifiant de l'offre."),
    relevant: bool = typer.Option(..., "--pertinent/--non-pertinent", help="Avis sur la proposition."),
    reason: str | None = typer.Option(None, "--raison", help="Pourquoi (texte libre)."),
    staff: str = typer.Option(..., "--par", help="Adresse e-mail du membre de l'équipe."),
) -> None:
    """Enregistre l'avis d'un membre de l'équipe sur une proposition (conservé lors des reclassements)."""
    from services.matching import record_feedback  # on use: keeps CLI start-up fast

    db = open_db(quiet=True)
    with db.session() as session:
        try:
            record_feedback(session, candidate_id, offer_id, relevant, reason, staff)
        except LookupError as exc:
            raise UserError(str(exc)) from exc
    out.print(
        f"Avis enregistré : prospect {candidate_id} × offre {offer_id} : "
        f"{'pertinent' if relevant else 'non pertinent'}."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(match_app, name="match")
