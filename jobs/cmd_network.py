"""``ohmylot network``: the employers' network from the command line (talent digests, members, visibility).

- ``ohmylot network digest --sector I [--territory 46] [--days 30] [--rome G16] [--dry-run]``: send the talent
  digest to the members of a NAF sector and/or territory (what ``--dry-run`` would send is listed, nothing is
  sent). Reads ``OHMYLOT_SECRET_KEY`` / ``OHMYLOT_PUBLIC_URL`` (signed links) and ``OHMYLOT_SMTP_*``.
- ``ohmylot network members [--status pending|member|refused]``: the directory.
- ``ohmylot network visibility``: re-apply staff reviews to offers' publication (after ``dedupe --full``).
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from jobs.console import err, open_db, out
from jobs.errors import UserError

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.

network = typer.Typer(help="Réseau des employeurs : envois de profils, annuaire.", no_args_is_help=True)


@network.command("digest")
def digest(
    sector: Annotated[str, typer.Option(help="section NAF (ex. I) ou division (ex. 56) des membres")] = "",
    territory: Annotated[str, typer.Option(help="département (46) ou SIREN d'EPCI des membres")] = "",
    days: Annotated[int, typer.Option(help="prospects rencontrés ou mis à jour depuis N jours", min=1)] = 30,
    rome: Annotated[str, typer.Option(help="débuts de codes ROME des profils, séparés par des virgules")] = "",
    limit: Annotated[int, typer.Option(help="profils au plus par envoi", min=1, max=100)] = 20,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="montrer sans rien envoyer")] = False,
) -> None:
    """Envoie aux membres d'un secteur ou d'un territoire les profils des prospects qui l'ont accepté."""
    from services import mail
    from services.network.common import NetworkError, OutreachSettings
    from services.network.digests import send_digest
    from store.audit import current_actor

    if not sector and not territory:
        raise UserError("indiquez --sector et/ou --territory (un envoi à tout le réseau se fait depuis le site)")
    db = open_db()
    with db.session() as session:
        try:
            report = send_digest(
                session,
                OutreachSettings(),
                sector=sector or None,
                territory=territory or None,
                days=days,
                rome_prefixes=rome.split(","),
                limit=limit,
                actor=current_actor(),
                dry_run=dry_run,
            )
        except (NetworkError, mail.MailNotConfigured) as exc:
            session.rollback()
            raise UserError(str(exc)) from exc
        names = ", ".join(m.employer.name for m in report.members) or "aucun"
        out.print(f"Membres destinataires ({len(report.members)}) : {names}")
        out.print(
            f"Profils présentés ({len(report.profiles)}) : "
            + (", ".join(f"n° {c.id}" for c in report.profiles) or "aucun")
        )
        if dry_run:
            out.print("Essai (--dry-run) : rien n'a été envoyé.")
        elif not report.members or not report.profiles:
            out.print("Rien à envoyer.")
        else:
            out.print(
                f"Envoyé à {report.sent} membre(s) ; {report.up_to_date} membre(s) avaient déjà reçu ces profils."
            )
        for failure in report.failures:
            err.print(f"[red]Échec[/red] {failure}")
    if report.failures:
        raise typer.Exit(1)


@network.command("members")
def members(
    status: Annotated[str, typer.Option(help="pending, member ou refused")] = "",
) -> None:
    """L'annuaire du réseau (employeur, SIRET, secteur, commune, contact, état)."""
    from store.models import NetworkMember

    if status and status not in {"pending", "member", "refused"}:
        raise UserError(f"état inconnu : {status!r} (pending, member ou refused)")
    db = open_db()
    with db.session() as session:
        query = select(NetworkMember).order_by(NetworkMember.id)
        if status:
            query = query.where(NetworkMember.status == status)
        rows = list(session.scalars(query))
        for m in rows:
            out.print(
                f"{m.id}\t{m.status}\t{m.employer.name}\t{m.employer.siret}\t{m.naf_code}\t"
                f"{m.commune_name or ''}\t{m.contact_email}"
            )
        err.print(f"{len(rows)} employeur(s)")


@network.command("visibility")
def visibility() -> None:
    """Réapplique les relectures de l'équipe à la publication des offres (après « dedupe --full »)."""
    from services.network.offers import apply_visibility

    db = open_db()
    with db.session() as session:
        changed = apply_visibility(session)
        session.commit()
    out.print(f"{changed} offre(s) dont la publication a changé.")


def register(app: typer.Typer) -> None:
    app.add_typer(network, name="network")
