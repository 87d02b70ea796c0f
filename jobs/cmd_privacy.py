"""``ohmylot privacy``: retention purge, access (export) and erasure of one person's data (RELIABILITY.md P3, P4).

- ``privacy purge [--wet-run]``: lists who is anonymised (last contact 2 years ago or more) and who will be
  within 30 days; writes nothing without ``--wet-run``.
- ``privacy export EMAIL [--out FILE]``: everything held on the person, as JSON (stdout or a file).
- ``privacy erase EMAIL [--yes]``: erases the person everywhere (asks for confirmation unless ``--yes``).
EMAIL may also be a phone number. Each action writes an audit row naming the staff member (``--staff`` or
``OHMYLOT_STAFF``) and no personal data.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer

from jobs.console import err, open_db, out
from jobs.errors import UserError

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.


def _now(text: str | None) -> datetime | None:
    """``--now`` (tests, rehearsals): an ISO date or datetime, taken as UTC."""
    if not text:
        return None
    from store.candidates import aware  # on use: keeps CLI start-up fast

    try:
        return aware(datetime.fromisoformat(text))
    except ValueError:
        raise UserError(f"date illisible pour --now : « {text} » (exemple : 2027-03-20)") from None


privacy_app = typer.Typer(help="Données personnelles : purge, export, effacement (RGPD).", no_args_is_help=True)


@privacy_app.command("purge")
def purge_command(
    wet_run: bool = typer.Option(False, "--wet-run", help="Anonymiser pour de bon (sinon simple essai)"),
    now: str | None = typer.Option(None, "--now", help="Date de référence (répétition ; par défaut maintenant)"),
    staff: str | None = typer.Option(None, "--staff", help="Qui lance la purge (sinon OHMYLOT_STAFF)"),
) -> None:
    """Anonymise les prospects sans contact depuis 2 ans ; annonce ceux qui le seront sous 30 jours."""
    from store.privacy import purge  # on use: keeps CLI start-up fast

    db = open_db()
    with db.session() as session:
        report = purge(session, now=_now(now), wet_run=wet_run, actor=staff)
    verb = "anonymisé(s)" if wet_run else "à anonymiser (essai : rien n'a été modifié, relancer avec --wet-run)"
    out.print(f"{len(report.due)} prospect(s) {verb}")
    for item in report.due:
        out.print(
            f"  n° {item['id']} {report.name_of(item['id'])} — dernier contact {item['last_contact_at'][:10]}",
            markup=False,
        )
    if report.old_sources:
        done = "supprimée(s)" if wet_run else "à supprimer"
        out.print(f"{report.old_sources} source(s) de fiche (ligne d'import de plus de 2 ans) {done}")
    out.print(f"{len(report.announced)} prospect(s) anonymisé(s) dans les 30 jours sans nouveau contact :")
    for item in report.announced:
        out.print(
            f"  n° {item['id']} {report.name_of(item['id'])} — dernier contact {item['last_contact_at'][:10]}, "
            f"anonymisation le {item['purge_at'][:10]}",
            markup=False,
        )


@privacy_app.command("export")
def export_command(
    email: str = typer.Argument(..., help="Courriel (ou téléphone) de la personne"),
    out_file: Path | None = typer.Option(None, "--out", "-o", help="Fichier JSON à écrire (sinon la sortie)"),
    staff: str | None = typer.Option(None, "--staff", help="Qui exporte (sinon OHMYLOT_STAFF)"),
) -> None:
    """Exporte en JSON tout ce qui est conservé sur une personne (droit d'accès)."""
    from store.privacy import export_person  # on use: keeps CLI start-up fast

    db = open_db(quiet=out_file is None)
    with db.session() as session:
        data = export_person(session, email, actor=staff)
    if not (data["people"] or data["ambassadors"] or data["directory_contacts"]):
        raise UserError(f"aucune personne enregistrée avec « {email} »")
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if out_file is None:
        print(text)
        return
    try:
        out_file.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"impossible d'écrire {out_file} ({exc.strerror})") from None
    err.print(f"Export écrit dans {out_file} ({len(data['people'])} fiche(s))")


@privacy_app.command("erase")
def erase_command(
    email: str = typer.Argument(..., help="Courriel (ou téléphone) de la personne"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Ne pas demander de confirmation"),
    staff: str | None = typer.Option(None, "--staff", help="Qui efface (sinon OHMYLOT_STAFF)"),
) -> None:
    """Efface une personne partout (droit à l'effacement) ; les statistiques anonymes restent."""
    # on use: keeps CLI start-up fast
    from store.privacy import erase_person, find_ambassadors, find_directory_contacts, find_person

    db = open_db()
    with db.session() as session:
        people = find_person(session, email)
        others = find_ambassadors(session, email) + find_directory_contacts(session, email)  # type: ignore[operator]
        if not people and not others:
            raise UserError(f"aucune personne enregistrée avec « {email} »")
        if not yes:
            names = ", ".join(f"n° {c.id} {c.first_name or ''} {c.last_name or ''}".strip() for c in people)
            extra = f"{len(others)} fiche(s) ambassadeur / annuaire" if others else ""
            names = ", ".join(filter(None, [names, extra]))
            if not typer.confirm(f"Effacer définitivement {names} ?", default=False):
                raise UserError("effacement annulé")
        report = erase_person(session, email, actor=staff)
    scrubbed = sum(report.scrubbed.values())
    out.print(f"{len(report.candidate_ids)} fiche(s) effacée(s) ; {scrubbed} mention(s) supprimée(s) ailleurs")
    if report.ambassador_ids or report.directory_ids:
        out.print(f"{len(report.ambassador_ids)} ambassadeur(s) et {len(report.directory_ids)} "
                  "contact(s) d'annuaire effacé(s)")


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")
