"""``ohmylot accueil``: the welcome of households (référents accueil, local directory, ambassadors).

- ``ohmylot accueil commune INSEE [--json]``: what a commune offers a household: ``schools`` (``name``,
  ``type``, ``levels``, ``public``, ``distance_km``), ``stations`` (``name``, ``class``, ``distance_km``),
  ``hospitals`` (``name``, ``distance_km``) and the ``directory`` entries of its EPCI, nearest first;
  distances as the crow flies ("à vol d'oiseau").
- ``ohmylot accueil annuaire import FICHIER [--epci SIREN,…] [--json]``: import a directory spreadsheet
  (CSV/XLSX); bad rows are reported with their line, a re-import updates instead of duplicating; exit 2 when
  rows were rejected.
- ``ohmylot accueil annuaire liste [--epci SIREN] [--a-verifier]``: the directory (stale entries flagged).
- ``ohmylot accueil ambassadeurs [--tous]``: the ambassadors (active ones, or all with ``--tous``).
- ``ohmylot accueil referents``: the référents accueil and their territories.
- ``ohmylot accueil relances [--dry-run]``: send each référent the weekly e-mail of their households' next
  steps (what the scheduler's ``welcome_digest`` job does every Monday).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from jobs.console import err, open_db, out
from store.audit import current_actor


def _print_summary(summary: dict) -> None:  # type: ignore[type-arg]
    out.print(f"{summary['name']} ({summary['insee']}) — {summary['epci_name'] or 'EPCI inconnu'}")
    out.print("Distances à vol d'oiseau depuis le centre de la commune.")
    out.print("\nÉcoles :" + (f" ({summary['schools_note']})" if summary["schools_note"] else ""))
    for s in summary["schools"]:
        status = {True: "public", False: "privé", None: "?"}[s["public"]]
        out.print(f"  {s['distance_km']:>5.1f} km  {s['name']} ({s['levels_label']}, {status}) — {s['commune']}")
    if not summary["schools"]:
        out.print("  (aucune à moins de 40 km dans les données : l'annuaire de l'éducation copié couvre l'Occitanie)")
    out.print("\nGares :")
    for s in summary["stations"]:
        out.print(f"  {s['distance_km']:>5.1f} km  {s['name']} (classe {s['class']} : {s['class_label']})")
    out.print("\nHôpitaux :")
    for h in summary["hospitals"]:
        out.print(f"  {h['distance_km']:>5.1f} km  {h['name']} — {h['city']}")
    out.print("\nAnnuaire local :")
    for d in summary["directory"] or []:
        flag = " [à vérifier]" if d["stale"] else ""
        out.print(f"  {d['category_label']} : {d['name']} — {d['commune'] or ''} {d['phone'] or ''}{flag}")
    if not summary["directory"]:
        out.print("  (aucune structure recensée pour ce territoire)")


accueil = typer.Typer(help="Accueil des foyers : communes, annuaire local, ambassadeurs.", no_args_is_help=True)
annuaire = typer.Typer(help="Annuaire local des référents accueil.", no_args_is_help=True)
accueil.add_typer(annuaire, name="annuaire")


@accueil.command("commune")
def commune(
    insee: Annotated[str, typer.Argument(help="code INSEE de la commune (ex. 46102 pour Figeac)")],
    as_json: Annotated[bool, typer.Option("--json", help="un objet JSON")] = False,
) -> None:
    """Écoles, gares, hôpitaux et annuaire local autour d'une commune, du plus proche au plus loin."""
    from services.welcome import commune_summary  # on use: keeps CLI start-up fast

    db = open_db(quiet=True)
    with db.session() as session:
        summary = commune_summary(session, insee).as_dict()
    if as_json:
        out.print_json(json.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(summary)


@annuaire.command("import")
def directory_import(
    path: Annotated[Path, typer.Argument(help="fichier CSV ou XLSX")],
    epci: Annotated[str, typer.Option(help="SIREN des EPCI autorisés, séparés par des virgules")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="le rapport en JSON")] = False,
) -> None:
    """Importe un annuaire (tableur) : les lignes valides entrent, les autres sont signalées."""
    from services.directory import import_directory  # on use: keeps CLI start-up fast

    territory = [code.strip() for code in epci.split(",") if code.strip()] or None
    db = open_db()
    with db.session() as session:
        report = import_directory(session, path, territory=territory, actor=current_actor())
        session.commit()
    if as_json:
        out.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        out.print(
            f"{report.imported} ajoutée(s), {report.updated} mise(s) à jour, {report.unchanged} inchangée(s), "
            f"{len(report.rejected)} rejetée(s)"
        )
        for item in report.rejected:
            err.print(f"ligne {item['line']} : {item['reason']}")
        for item in report.warnings:
            err.print(f"[dim]ligne {item['line']} : {item['reason']}[/dim]")
    if report.exit_code:
        raise typer.Exit(report.exit_code)


@annuaire.command("liste")
def directory_list(
    epci: Annotated[str, typer.Option(help="SIREN d'un EPCI")] = "",
    stale: Annotated[
        bool, typer.Option("--a-verifier", help="seulement les fiches à vérifier (> 12 mois)")
    ] = False,
) -> None:
    """L'annuaire local (catégorie, structure, commune, contact, dernière vérification)."""
    from services.directory import is_stale, list_entries  # on use: keeps CLI start-up fast

    db = open_db(quiet=True)
    with db.session() as session:
        rows = list_entries(session, epcis=[epci] if epci else None)
        rows = [e for e in rows if is_stale(e)] if stale else rows
        for e in rows:
            checked = e.last_checked.isoformat() if e.last_checked else "jamais vérifiée"
            flag = "\tà vérifier" if is_stale(e) else ""
            out.print(
                f"{e.id}\t{e.epci}\t{e.category}\t{e.name}\t{e.commune_name or ''}\t{e.phone or ''}\t"
                f"{checked}{flag}"
            )
    err.print(f"{len(rows)} fiche(s)")


@accueil.command("ambassadeurs")
def ambassadors(
    every: Annotated[bool, typer.Option("--tous", help="aussi ceux qui se sont retirés")] = False,
) -> None:
    """Les ambassadeurs (commune, métier, disponibilité, mises en relation acceptées)."""
    from services.ambassadors import list_ambassadors  # on use: keeps CLI start-up fast

    db = open_db(quiet=True)
    with db.session() as session:
        rows = list_ambassadors(session, include_withdrawn=every)
        for a, load in rows:
            state = "retiré" if a.withdrawn_at else "actif"
            out.print(
                f"{a.id}\t{state}\t{a.first_name or ''} {a.last_name or ''}\t{a.commune_insee or ''}\t"
                f"{a.trade or ''}\t{load}/{a.availability} par an"
            )
    err.print(f"{len(rows)} ambassadeur(s)")


@accueil.command("referents")
def referents() -> None:
    """Les référents accueil et les EPCI de leur territoire."""
    from matching.geo import get_gazetteer  # on use: keeps CLI start-up fast
    from services.referents import list_referents  # on use: keeps CLI start-up fast

    gazetteer = get_gazetteer()
    db = open_db(quiet=True)
    with db.session() as session:
        rows = list_referents(session)
        for user, households in rows:
            names = ", ".join(gazetteer.epci_name(s) or s for s in user.territory or [])
            out.print(f"{user.id}\t{user.email}\t{user.full_name or ''}\t{households} foyer(s)\t{names}")
    err.print(f"{len(rows)} référent(s)")


@accueil.command("relances")
def digest(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="montrer sans rien envoyer")] = False,
) -> None:
    """Envoie à chaque référent le courriel hebdomadaire des prochaines étapes de ses foyers."""
    from services import mail  # on use: keeps CLI start-up fast
    from services.referents import send_weekly_digests  # on use: keeps CLI start-up fast

    db = open_db(quiet=True)
    with db.session() as session:
        report = send_weekly_digests(session, send=None if dry_run else mail.send)
        session.commit()
    for email, count in report.items():
        out.print(f"{email}\t{count} foyer(s)" + ("\t(essai : non envoyé)" if dry_run else ""))


def register(app: typer.Typer) -> None:
    app.add_typer(accueil, name="accueil")
