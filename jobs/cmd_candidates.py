"""``ohmylot candidates`` and ``ohmylot events``: import, list, show and follow prospects; manage events.

Every command that shows or changes personal data writes an audit row (actor: ``OHMYLOT_STAFF`` or
``--staff``, else the system login).
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select

from jobs.console import err, open_db, out
from jobs.errors import UserError
from store.audit import audit, current_actor
from store.models import Candidate, HouseholdLink, User

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.


def _parse_day(text: str | None, option: str) -> date | None:
    """A date given on the command line (``2025-03-20``, ``20/03/2025``, ``20 mars 2025``)."""
    if not text:
        return None
    from services.candidate_import import parse_french_date  # on use: keeps CLI start-up fast

    try:
        return parse_french_date(text)
    except ValueError:
        raise UserError(f"date illisible pour {option} : « {text} » (exemple : 20/03/2025)") from None


def _print_report(report: Any) -> None:
    """The import report in French, on stdout (rejections and warnings with their line numbers)."""
    mode = " (essai : rien n'a été enregistré)" if report.dry_run else ""
    out.print(f"Import de {report.file} — évènement « {report.event} »{mode}")
    out.print(
        f"  {report.imported} nouveau(x), {report.updated} mis à jour, {report.unchanged} inchangé(s), "
        f"{len(report.rejected)} rejeté(s), {len(report.warnings)} avertissement(s)"
    )
    if report.households:
        out.print(f"  {report.households} foyer(s) formé(s)")
    for item in report.rejected:
        out.print(f"  [red]rejetée[/red] ligne {item['line']} : {item['reason']}")
    for item in report.warnings:
        out.print(f"  [yellow]attention[/yellow] ligne {item['line']} : {item['reason']}")


def _candidate_line(candidate: Any) -> str:
    name = " ".join(filter(None, [candidate.first_name, candidate.last_name])) or "(anonymisé)"
    contact = candidate.email or candidate.phone or ""
    jobs = candidate.desired_jobs or ""
    return f"{candidate.id:>5}  {name:<28.28} {contact:<32.32} {candidate.status:<13} {jobs}"


def _get_candidate(session: Any, candidate_id: int) -> Any:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.anonymized_at is not None:
        raise UserError(f"aucun prospect n° {candidate_id} (voir « ohmylot candidates list »)")
    return candidate


candidates_app = typer.Typer(help="Prospects : import des salons, liste, fiche, parcours.", no_args_is_help=True)
events_app = typer.Typer(help="Évènements (salons, congrès, soirées d'accueil).", no_args_is_help=True)


@candidates_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="Fichier CSV (, ; ou tabulation) ou XLSX du salon"),
    event: str = typer.Option(..., "--event", help="Nom de l'évènement (créé s'il est nouveau)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Vérifier sans rien enregistrer"),
    report: Path | None = typer.Option(None, "--report", help="Écrire le compte rendu en JSON dans ce fichier"),
    event_date: str | None = typer.Option(None, "--event-date", help="Date de l'évènement (20/03/2025)"),
    event_place: str | None = typer.Option(None, "--event-place", help="Lieu de l'évènement"),
    event_kind: str | None = typer.Option(None, "--event-kind", help="Type : salon, congrès, forum, soirée…"),
    column: list[str] = typer.Option([], "--column", help="Correspondance « En-tête=champ » (répétable)"),
    mapping: Path | None = typer.Option(None, "--mapping", help="Fichier de correspondances (En-tête=champ)"),
    staff: str | None = typer.Option(None, "--staff", help="Qui importe (sinon OHMYLOT_STAFF)"),
) -> None:
    """Importe les prospects d'un salon (CSV ou XLSX).

    Code de sortie : 0 tout est importé, 2 des lignes sont rejetées (les autres importées), 1 fichier illisible.
    """
    from services.candidate_import import import_candidates, parse_column_mapping  # on use: keeps CLI start-up fast

    try:
        columns = parse_column_mapping(column, mapping)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    day = _parse_day(event_date, "--event-date")
    db = open_db()
    result = import_candidates(  # an unreadable file (ImportFileError) reaches jobs/cli.py: exit status 1
        db,
        file,
        event=event,
        dry_run=dry_run,
        event_date=day,
        event_place=event_place,
        event_kind=event_kind,
        columns=columns,
        actor=staff,
    )
    _print_report(result)
    if report is not None:
        try:
            report.write_text(result.to_json() + "\n", encoding="utf-8")
        except OSError as exc:
            raise UserError(f"impossible d'écrire le compte rendu {report} ({exc.strerror})") from None
        err.print(f"[dim]Compte rendu JSON : {report}[/dim]")
    if result.exit_code:
        raise typer.Exit(result.exit_code)


LINK_LABELS = {"proposed": "à confirmer", "confirmed": "foyer confirmé", "rejected": "rejetée"}


@candidates_app.command("foyers")
def households(
    all_links: bool = typer.Option(False, "--toutes", help="Aussi les propositions déjà tranchées."),
) -> None:
    """Foyers probables à confirmer : personnes au même téléphone mais d'autre nom ou autre courriel."""
    db = open_db(quiet=True)
    with db.session() as session:
        query = select(HouseholdLink).order_by(HouseholdLink.id)
        if not all_links:
            query = query.where(HouseholdLink.status == "proposed")
        links = list(session.scalars(query))
        if not links:
            out.print("Aucun foyer probable à confirmer.")
            return
        for link in links:
            a, b = session.get(Candidate, link.candidate_a_id), session.get(Candidate, link.candidate_b_id)
            out.print(f"[bold]n° {link.id}[/bold] ({LINK_LABELS.get(link.status, link.status)}) — {link.reason}")
            for person in (a, b):
                if person is not None:
                    out.print(f"  {_candidate_line(person)}", markup=False)


@candidates_app.command("foyer")
def household_decide(
    link_id: int = typer.Argument(..., help="Numéro de la proposition (voir « ohmylot candidates foyers »)."),
    confirm: bool = typer.Option(..., "--confirmer/--rejeter", help="Former le foyer, ou dire que non."),
    staff: str = typer.Option(None, "--par", help="Qui décide (adresse de l'équipe)."),
) -> None:
    """Confirme (forme le foyer) ou rejette une proposition de foyer."""
    from store.candidates import decide_household  # on use: keeps CLI start-up fast

    db = open_db(quiet=True)
    with db.session() as session:
        try:
            link = decide_household(session, link_id, confirm=confirm, staff=staff)
        except LookupError as exc:
            raise UserError(str(exc)) from None
        out.print(f"Proposition n° {link.id} : {LINK_LABELS[link.status]}.")


@candidates_app.command("sources")
def sources(
    candidate_id: int = typer.Argument(..., help="Numéro du prospect"),
    staff: str | None = typer.Option(None, "--staff", help="Qui consulte (sinon OHMYLOT_STAFF)"),
) -> None:
    """Ce que chaque import (ligne de fichier) ou formulaire a dit de ce prospect : les fiches fusionnées."""
    from services.prospect_merges import source_label, sources_with_events
    from store.audit import audit

    db = open_db(quiet=True)
    with db.session() as session:
        c = _get_candidate(session, candidate_id)
        audit(session, staff, "candidates.sources", "candidate", c.id)
        rows = sources_with_events(session, c.id)
        if not rows:
            out.print(f"Aucune source enregistrée pour le prospect n° {c.id}.")
            return
        for source, event_name in rows:
            f = source.fields
            said = ", ".join(str(f[k]) for k in ("first_name", "last_name", "email", "phone", "desired_jobs") if k in f)
            out.print(f"source n° {source.id} — {_iso(source.met_at)[:10]} {source_label(source, event_name)} : {said}",
                      markup=False)
        if len(rows) > 1:
            out.print("Séparer une source fusionnée à tort : ohmylot candidates separer N° DE SOURCE")


@candidates_app.command("separer")
def split(
    source_id: int = typer.Argument(..., help="Numéro de la source (voir « ohmylot candidates sources N »)."),
    yes: bool = typer.Option(False, "--oui", help="Ne pas demander de confirmation."),
    staff: str = typer.Option(None, "--par", help="Qui sépare (adresse de l'équipe)."),
) -> None:
    """Sépare une source fusionnée à tort : elle redevient un prospect à part, chacun retrouve ses champs."""
    from services.prospect_merges import MergeError, source_label, split_source, splittable_source
    from store.models import Event

    db = open_db(quiet=True)
    with db.session() as session:
        try:
            source, candidate = splittable_source(session, source_id)
        except MergeError as exc:
            raise UserError(str(exc)) from None
        event = session.get(Event, source.event_id) if source.event_id else None
        label = source_label(source, event.name if event else None)
        if not yes and not typer.confirm(f"Séparer « {label} » de la fiche n° {candidate.id} ?", default=False):
            raise UserError("rien n'a été modifié")
        result = split_source(session, source_id, staff=staff)
        out.print(f"Fiche n° {result.kept.id} séparée : la source n° {source_id} est devenue la fiche n° "
                  f"{result.created.id} ({len(result.restored)} champ(s) rendus à la fiche n° {result.kept.id}).")


@candidates_app.command("template")
def template(
    file: Path = typer.Argument(Path("modele-prospects.csv"), help="Fichier CSV à créer"),
    force: bool = typer.Option(False, "--force", help="Remplacer le fichier s'il existe"),
) -> None:
    """Crée un modèle de tableau (CSV « ; », UTF-8) avec les en-têtes que l'import reconnaît."""
    from services.candidate_import import TEMPLATE_HEADERS  # on use: keeps CLI start-up fast

    if file.exists() and not force:
        raise UserError(f"{file} existe déjà (--force pour le remplacer)")
    try:
        with file.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle, delimiter=";").writerow(TEMPLATE_HEADERS)
    except OSError as exc:
        raise UserError(f"impossible d'écrire {file} ({exc.strerror})") from None
    out.print(f"Modèle écrit dans {file} ({len(TEMPLATE_HEADERS)} colonnes)")


@candidates_app.command("list")
def list_(
    event: str | None = typer.Option(None, "--event", help="Rencontrés à cet évènement"),
    status: str | None = typer.Option(None, "--status", help="Étape : met, accompanied, … (ou en français)"),
    referent: str | None = typer.Option(None, "--referent", help="Courriel du référent accueil"),
    search: str | None = typer.Option(None, "--search", "-s", help="Texte dans le nom, le courriel, le métier"),
    rome: str | None = typer.Option(None, "--rome", help="Code ROME ou début de code (J15)"),
    shareable: bool = typer.Option(False, "--partage", help="Seulement ceux qui acceptent le partage employeurs"),
    limit: int = typer.Option(200, "--limit", min=1, help="Nombre maximal de lignes"),
    as_json: bool = typer.Option(False, "--json", help="Sortie JSON"),
    staff: str | None = typer.Option(None, "--staff", help="Qui consulte (sinon OHMYLOT_STAFF)"),
) -> None:
    """Liste les prospects (filtres combinables)."""
    from store.candidates import list_candidates, parse_status  # on use: keeps CLI start-up fast

    code = None
    if status:
        code = parse_status(status)
        if code is None:
            raise UserError(
                f"étape inconnue « {status} » (met, accompanied, interviewing, hired, settled, gave_up)"
            )
    db = open_db(quiet=as_json)
    with db.session() as session:
        rows = list_candidates(
            session,
            event=event,
            status=code,
            referent=referent,
            search=search,
            rome=rome,
            consent_share=True if shareable else None,
            limit=limit,
        )
        audit(
            session,
            staff,
            "candidates.list",
            None,
            None,
            {"count": len(rows), "filters": {"event": event, "status": code, "rome": rome}},
        )
        if as_json:
            out.print_json(data=[_summary(c) for c in rows])
            return
        out.print(f"{'n°':>5}  {'nom':<28} {'contact':<32} {'étape':<13} métier recherché")
        for candidate in rows:
            out.print(_candidate_line(candidate), markup=False)
        err.print(f"[dim]{len(rows)} prospect(s)[/dim]")


@candidates_app.command("show")
def show(
    candidate_id: int = typer.Argument(..., help="Numéro du prospect"),
    as_json: bool = typer.Option(False, "--json", help="Sortie JSON"),
    staff: str | None = typer.Option(None, "--staff", help="Qui consulte (sinon OHMYLOT_STAFF)"),
) -> None:
    """Affiche la fiche d'un prospect : profil, consentements, évènements, foyer, parcours."""
    from store.candidates import STATUS_LABELS, candidate_events, household_members  # on use: keeps CLI start-up fast

    db = open_db(quiet=as_json)
    with db.session() as session:
        c = _get_candidate(session, candidate_id)
        audit(session, staff, "candidates.show", "candidate", c.id)
        data = _summary(c)
        data["events"] = [
            {"name": e.name, "date": _iso(e.date), "met_at": _iso(at)} for e, at in candidate_events(session, c.id)
        ]
        data["household"] = [
            {"id": m.id, "name": " ".join(filter(None, [m.first_name, m.last_name]))}
            for m in household_members(session, c)
            if m.id != c.id
        ]
        data["path"] = [
            {"status": s.status, "at": _iso(s.changed_at), "staff": s.staff, "note": s.note, "sector": s.sector}
            for s in c.path
        ]
        referent = session.get(User, c.referent_id) if c.referent_id else None
        data["referent"] = referent.email if referent else None
        if as_json:
            out.print_json(data=data)
            return
        out.print(f"Prospect n° {c.id} : {data['name']}", markup=False)
        for label, key in (
            ("Courriel", "email"),
            ("Téléphone", "phone"),
            ("Métier recherché", "desired_jobs"),
            ("Codes ROME", "rome_codes"),
            ("Compétences", "skills"),
            ("Commune actuelle", "current_place"),
            ("Rayon (km)", "radius_km"),
            ("Contrats", "contract_types"),
            ("Disponible le", "available_from"),
            ("Référent accueil", "referent"),
            ("Notes", "notes"),
        ):
            value = data.get(key)
            if value not in (None, "", []):
                shown = ", ".join(value) if isinstance(value, list) else value
                out.print(f"  {label} : {shown}", markup=False)
        out.print(
            "  Consentement contact : "
            + _consent(c.consent_contact, c.consent_contact_at, c.consent_contact_channel)
        )
        out.print(
            f"  Partage employeurs : {_consent(c.consent_share, c.consent_share_at, c.consent_share_channel)}"
        )
        for item in data["events"]:
            out.print(f"  Rencontré : {item['name']} ({item['date'] or 'date inconnue'})", markup=False)
        for member in data["household"]:
            out.print(f"  Foyer : n° {member['id']} {member['name']}", markup=False)
        for step in c.path:
            extra = "".join(f" — {x}" for x in (step.staff, step.sector, step.note) if x)
            out.print(
                f"  {_iso(step.changed_at)[:10]} {STATUS_LABELS.get(step.status, step.status)}{extra}", markup=False
            )


@candidates_app.command("status")
def status(
    candidate_id: int = typer.Argument(..., help="Numéro du prospect"),
    new_status: str = typer.Argument(
        ..., metavar="STATUS", help="met, accompanied, interviewing, hired, settled, gave_up (ou en français)"
    ),
    note: str | None = typer.Option(None, "--note", help="Note sur cette étape"),
    staff: str | None = typer.Option(None, "--staff", help="Membre de l'équipe (sinon OHMYLOT_STAFF)"),
    sector: str | None = typer.Option(None, "--sector", help="Secteur de l'embauche (santé, industrie…)"),
    when: str | None = typer.Option(None, "--date", help="Date de l'étape (par défaut : maintenant)"),
    whole_household: bool = typer.Option(False, "--foyer", help="Appliquer à tout le foyer (ex. installé)"),
) -> None:
    """Ajoute une étape au parcours d'un prospect (avec la date et le membre de l'équipe)."""
    # on use: keeps CLI start-up fast
    from store.candidates import STATUS_LABELS, household_members, parse_status, set_status

    code = parse_status(new_status)
    if code is None:
        raise UserError(
            f"étape inconnue « {new_status} » (met, accompanied, interviewing, hired, settled, gave_up)"
        )
    day = _parse_day(when, "--date")
    at = datetime.combine(day, datetime.now(UTC).time(), tzinfo=UTC) if day else None
    actor = staff or current_actor()
    db = open_db()
    with db.session() as session:
        c = _get_candidate(session, candidate_id)
        people = household_members(session, c) if whole_household else [c]
        for person in people:
            set_status(session, person, code, staff=actor, note=note, sector=sector, at=at)
            out.print(f"Prospect n° {person.id} : {STATUS_LABELS[code]}")


@candidates_app.command("consent")
def consent(
    candidate_id: int = typer.Argument(..., help="Numéro du prospect"),
    contact: str | None = typer.Option(None, "--contact", help="Consentement à être contacté : oui / non"),
    share: str | None = typer.Option(None, "--share", help="Partage du profil avec des employeurs : oui / non"),
    channel: str = typer.Option(..., "--channel", help="Comment il a été recueilli : téléphone, courriel, stand…"),
    staff: str | None = typer.Option(None, "--staff", help="Membre de l'équipe (sinon OHMYLOT_STAFF)"),
) -> None:
    """Enregistre un consentement donné ou retiré (date, moyen, finalité)."""
    from services.candidate_import import parse_yes_no  # on use: keeps CLI start-up fast
    from store.candidates import record_consent  # on use: keeps CLI start-up fast

    answers = {}
    for purpose, text in (("contact", contact), ("share", share)):
        if text is None:
            continue
        try:
            answers[purpose] = parse_yes_no(text)
        except ValueError:
            answers[purpose] = None
        if answers[purpose] is None:
            raise UserError(f"réponse illisible pour --{purpose} : « {text} » (oui ou non)")
    if not answers:
        raise UserError("indiquez --contact oui|non et/ou --share oui|non")
    db = open_db()
    with db.session() as session:
        c = _get_candidate(session, candidate_id)
        for purpose, given in answers.items():
            changed = record_consent(session, c, purpose, given, channel=channel, staff=staff or current_actor())
            label = "contact" if purpose == "contact" else "partage employeurs"
            state = ("donné" if given else "retiré") if changed else "inchangé"
            out.print(f"Prospect n° {c.id} : consentement {label} {state}")


@events_app.command("list")
def events_list(year: int | None = typer.Option(None, "--year", help="Seulement cette année")) -> None:
    """Liste les évènements avec le nombre de prospects rencontrés."""
    from store.candidates import list_events  # on use: keeps CLI start-up fast

    db = open_db()
    with db.session() as session:
        rows = list_events(session, year)
        for event, count in rows:
            when = event.date.isoformat() if event.date else "date inconnue"
            place = f" — {event.place}" if event.place else ""
            out.print(f"{event.id:>4}  {when}  {event.name}{place} : {count} prospect(s)", markup=False)
        err.print(f"[dim]{len(rows)} évènement(s)[/dim]")


@events_app.command("add")
def events_add(
    name: str = typer.Argument(..., help="Nom de l'évènement"),
    when: str | None = typer.Option(None, "--date", help="Date (20/03/2025)"),
    place: str | None = typer.Option(None, "--place", help="Lieu"),
    kind: str | None = typer.Option(None, "--kind", help="Type : salon, congrès, forum, soirée…"),
) -> None:
    """Crée un évènement (ou complète sa date, son lieu, son type)."""
    from store.candidates import get_or_create_event  # on use: keeps CLI start-up fast

    if not name.strip():
        raise UserError("nom d'évènement vide")
    day = _parse_day(when, "--date")
    db = open_db()
    with db.session() as session:
        event, created = get_or_create_event(session, name, day=day, place=place, kind=kind)
        verb = "créé" if created else "déjà connu, complété"
        out.print(f"Évènement n° {event.id} « {event.name} » {verb}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(candidates_app, name="candidates")
    app.add_typer(events_app, name="events")


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _consent(given: bool, at: Any, channel: str | None) -> str:
    if not given:
        return "non" if at is None else f"retiré le {_iso(at)[:10]}"
    return f"oui, le {_iso(at)[:10] if at else '?'}" + (f" ({channel})" if channel else "")


def _summary(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": " ".join(filter(None, [c.first_name, c.last_name])),
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email,
        "phone": c.phone,
        "status": c.status,
        "desired_jobs": c.desired_jobs,
        "rome_codes": list(c.rome_codes or []),
        "skills": c.skills,
        "current_place": c.current_place,
        "radius_km": c.radius_km,
        "contract_types": list(c.contract_types or []),
        "available_from": _iso(c.available_from),
        "household_id": c.household_id,
        "consent_contact": c.consent_contact,
        "consent_share": c.consent_share,
        "last_contact_at": _iso(c.last_contact_at),
        "notes": c.notes,
    }
