"""``ohmylot demo``: the whole pipeline on a local sandbox of partner sources, with a readable summary."""

from __future__ import annotations

import json
from datetime import date, datetime

import typer
from rich.table import Table

from jobs.console import err, open_db, out
from jobs.errors import UserError

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise UserError(f"date invalide {value!r} : attendu AAAA-MM-JJ") from exc


def demo(
    as_json: bool = typer.Option(False, "--json", help="Affiche le résumé en un seul objet JSON."),
    today: str = typer.Option(None, "--today", help="Jour de référence du bac à sable (AAAA-MM-JJ)."),
    allow_non_empty: bool = typer.Option(
        False, "--allow-non-empty",
        help="Accepte une base qui contient d'autres données ; le bac à sable en est retiré à la fin.",
    ),
) -> None:
    """Démonstration complète : collecte d'un bac à sable local → normalisation → dédoublonnage → rapprochement."""
    from jobs.demo import EVENT_NAME, SANDBOX_SOURCES, run_demo  # on use: keeps CLI start-up fast
    from services.sandbox import foreign_data, remove_sandbox_data  # on use: keeps CLI start-up fast
    from store.settings import get_store_settings  # on use: keeps CLI start-up fast

    day = _parse_day(today)
    db = open_db(quiet=as_json)
    sandbox_ids = [source[0] for source in SANDBOX_SOURCES]
    with db.session() as session:
        foreign = foreign_data(session, sandbox_ids, EVENT_NAME)
    if foreign and not allow_non_empty:
        raise UserError(
            f"la base {db.display_url} contient d'autres données ({', '.join(foreign)}) : la démonstration "
            "n'y écrit pas son bac à sable. Utilisez une base vide (OHMYLOT_DATA_DIR ou OHMYLOT_DATABASE_URL) "
            "ou --allow-non-empty (le bac à sable est alors retiré à la fin)"
        )
    data_dir = get_store_settings().resolved_data_dir()
    progress = None if as_json else (lambda message: err.print(f"[dim]… {message}[/dim]"))
    try:
        summary = run_demo(db, data_dir=data_dir, today=day, progress=progress)
    except RuntimeError as exc:
        raise UserError(str(exc)) from exc
    except OSError as exc:
        raise UserError(f"impossible d'écrire dans {data_dir} ({exc.strerror}) : voir OHMYLOT_DATA_DIR") from exc
    if foreign:
        with db.session() as session:
            removed = remove_sandbox_data(session, sandbox_ids, EVENT_NAME)
        err.print(f"Bac à sable retiré de la base : {removed}")
    if as_json:
        out.print_json(json.dumps(summary.as_json(), ensure_ascii=False))
        return
    _print_summary(summary)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def _print_summary(summary) -> None:  # type: ignore[no-untyped-def]

    out.print(f"\n[bold]ohmylot — démonstration[/bold]   base : {summary.database}\n")
    table = Table(title="Sources collectées", title_justify="left")
    for column in ("source", "plateforme", "annonces lues", "écartées", "nouvelles", "en base"):
        table.add_column(column, justify="left" if column in ("source", "plateforme") else "right")
    for source in summary.sources:
        table.add_row(source["id"], source["platform"], str(source["items"]), str(source["dropped"]),
                      str(source["new"]), str(source["postings"]))
    out.print(table)
    out.print(
        f"Annonces (postings) : [bold]{summary.postings}[/bold]   →   offres après dédoublonnage : "
        f"[bold]{summary.offers}[/bold]   (doublons regroupés : {summary.duplicates_merged})"
    )
    out.print(
        f"Offres localisées sur une commune : {summary.with_commune:.1%}   avec un code ROME : {summary.with_rome:.1%}"
    )
    imp = summary.import_report
    out.print(
        f"Prospects : [bold]{summary.candidates}[/bold] (import du salon : {imp.get('imported', 0)} nouveaux, "
        f"{imp.get('updated', 0)} mis à jour, {imp.get('unchanged', 0)} inchangés, {imp.get('rejected', 0)} rejetés)"
        f"   rapprochements : [bold]{summary.matches}[/bold]\n"
    )
    for prospect in summary.prospects:
        out.print(f"[bold]{prospect['name']}[/bold] — recherche « {prospect['desired_jobs']} », "
                  f"depuis {prospect['place'] or 'lieu inconnu'}")
        if not prospect["matches"]:
            out.print("   aucune offre ne correspond aux critères")
        for rank, match in enumerate(prospect["matches"], 1):
            out.print(f"  {rank}. {match['title']} — {match['employer'] or 'employeur non précisé'}, "
                      f"{match['place'] or 'lieu non précisé'} (score {match['score']:.2f})")
            for reason in match["reasons"][:4]:
                out.print(f"       · {reason}")
        out.print("")
    if summary.household:
        household = summary.household
        out.print(f"[bold]Foyer n° {household['household_id']}[/bold] : {' et '.join(household['members'])}")
        places = household.get("places") or []
        if not places:
            out.print("   aucun lieu où les deux trouvent une offre dans leur rayon")
        for place in places:
            if not isinstance(place, dict):
                out.print(f"   · {place}")
                continue
            out.print(f"   · {place.get('name')} (score {place.get('score', 0):.2f})")
            for pair in (place.get("pairs") or [])[:1]:
                titles = " + ".join(f"{o.get('title')} à {o.get('place')} ({o.get('km', 0):.0f} km)" for o in pair)
                out.print(f"       {titles}")
            for reason in place.get("reasons") or []:
                out.print(f"       {reason}")
    _print_welcome(summary.welcome)
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in summary.timings.items() if ":" not in k)
    out.print(f"\n[dim]Durées : {timings}[/dim]")


def _print_welcome(welcome: dict) -> None:  # type: ignore[type-arg]
    """The welcome part: what was seeded and one household's settling summary (distances as the crow flies)."""
    if not welcome:
        return
    out.print(f"\n[bold]Accueil[/bold] : {welcome['referents']} référents (un par EPCI du Lot), "
              f"{welcome['directory_entries']} structures d'annuaire, {welcome['ambassadors']} ambassadeurs")
    household = welcome.get("household")
    if not household:
        return
    summary = household["summary"]
    referent = household["referent"] or "aucun"
    out.print(f"Installation de {household['name']} à {summary['name']} (référent : {referent}), "
              "distances à vol d'oiseau :")
    for label, key in (("écoles", "schools"), ("gares", "stations"), ("hôpitaux", "hospitals")):
        items = ", ".join(f"{i['name']} {i['distance_km']:.1f} km" for i in summary[key][:3])
        out.print(f"   {label} : {items or 'aucun'}")
    directory = ", ".join(d["name"] for d in summary["directory"][:3])
    out.print(f"   annuaire : {directory or 'aucune structure'}")
    for ambassador in household["ambassadors"]:
        out.print(f"   ambassadeur proposé : {ambassador['name']} ({' ; '.join(ambassador['reasons'])})")
