"""``ohmylot sources probe FILE_OR_URL [--json]``: what a partner's feed holds and the registry entry that
reads it (``services.sources``)."""

from __future__ import annotations

import json

import typer

from jobs.cmd_crawl import sources_app
from jobs.console import out


def register(app: typer.Typer) -> None:
    sources_app.command("probe")(probe)


def probe(
    target: str = typer.Argument(..., metavar="FICHIER_OU_URL", help="Fichier reçu d'un partenaire, ou adresse."),
    as_json: bool = typer.Option(False, "--json", help="Une ligne JSON (platform, items, with_title…)."),
) -> None:
    """Examine un flux d'offres (XML, RSS/Atom, JSON, CSV/XLSX) et propose l'entrée du registre qui le lit."""
    from services.sources import (  # on use: keeps CLI start-up fast
        FIELD_LABELS,
        probe_target,
        proposed_entry,
    )

    report = probe_target(target)
    if as_json:
        payload = {key: value for key, value in report.as_dict().items()}
        payload["entry"] = proposed_entry(report, target)
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    family = {"xml": "XML", "rss": "RSS/Atom", "json": "JSON", "csv": "tableau CSV/XLSX"}[report.family or "xml"]
    platform = ("aucune plateforme connue : format deviné (plateforme feed)" if report.platform == "feed"
                else f"plateforme {report.platform}")
    out.print(f"{target} : {family}, {platform}, {report.items} offre(s)")
    out.print(f"  avec intitulé {report.count('title')}, identifiant {report.count('source_id')}, "
              f"lieu {report.with_place}")
    for name, field in report.fields.items():
        examples = " | ".join(e.replace("\n", " ")[:50] for e in field.examples)
        out.print(f"  {FIELD_LABELS.get(name, name):<22} {field.count:>5}  ex. {examples}", markup=False)
    for problem in report.problems[:5]:
        out.print(f"  [yellow]problème : {problem}[/yellow]")
    out.print("\nEntrée proposée pour crawlers/sources.toml (à vérifier : id, nom, horaire, confiance) :\n")
    out.print(proposed_entry(report, target), markup=False)
