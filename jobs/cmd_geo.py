"""``ohmylot geo``: resolve place strings to communes and measure distances (the gazetteer of
``matching/geo.py``).

- ``ohmylot geo resolve``: one place per line on standard input (or as arguments) → one JSON object per
  line on standard output: ``{"query", "insee", "name", "postal_code", "departement", "epci", "lat",
  "lon", "level"}``, or ``{"query", "error"}`` (French message) when nothing fits. Output lines match
  input lines one to one (an empty line gives an error object), so the output can be pasted next to
  the input.
- ``ohmylot geo distance A B``: the distance in km between two places.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import Annotated

import typer

from jobs.console import err
from jobs.errors import UserError

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.

_MAX_LINE = 1_000


def _territory(value: str | None) -> None:
    if value is None:
        return
    codes = [c.strip() for c in value.split(",") if c.strip()]
    if not codes:
        raise UserError("--territoire attend des codes de département séparés par des virgules, ex. 46,12,82")
    os.environ["OHMYLOT_TERRITORY"] = ",".join(codes)


def resolve_line(query: str) -> dict[str, object]:
    """The JSON object written for one input line."""
    from matching.geo import get_gazetteer  # on use: keeps CLI start-up fast

    text = query.strip()
    if not text:
        return {"query": query, "error": "ligne vide"}
    if len(text) > _MAX_LINE:
        return {"query": text[:80] + "…", "error": f"ligne trop longue (plus de {_MAX_LINE} caractères)"}
    place = get_gazetteer().resolve(text)
    if place is None:
        return {"query": query, "error": "lieu introuvable (ni commune, ni code postal, ni département reconnus)"}
    return {"query": query, **place.as_dict()}


geo_app = typer.Typer(help="Lieux : communes, codes postaux, départements, distances.", no_args_is_help=True)


@geo_app.command("resolve")
def resolve(
    places: Annotated[
        list[str] | None, typer.Argument(help="Lieux à résoudre (sinon : un lieu par ligne sur l'entrée standard)")
    ] = None,
    territory: Annotated[
        str | None,
        typer.Option(
            "--territoire", help="Départements préférés pour les homonymes, ex. 46,12 (OHMYLOT_TERRITORY)"
        ),
    ] = None,
) -> None:
    """Résout des lieux (« 46 - CAHORS », « St Céré (46400) », « Lot (46) »…) en communes, en JSON.

    Une ligne de JSON par lieu, dans l'ordre de l'entrée ; {"query", "error"} quand rien ne convient.
    """
    _territory(territory)
    if places:
        lines: Iterator[str] | list[str] = list(places)
    else:
        if sys.stdin is None or sys.stdin.isatty():
            err.print("[dim]Un lieu par ligne, puis Ctrl-D (ou : echo 'Cahors' | ohmylot geo resolve)[/dim]")
        lines = _stdin_lines()
    total = resolved = 0
    for line in lines:
        result = resolve_line(line)
        total += 1
        resolved += "error" not in result
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    err.print(f"[dim]{resolved} lieu(x) résolu(s) sur {total}[/dim]")


@geo_app.command("distance")
def distance(
    a: Annotated[str, typer.Argument(help="Premier lieu")],
    b: Annotated[str, typer.Argument(help="Second lieu")],
    as_json: Annotated[bool, typer.Option("--json", help="Sortie JSON")] = False,
) -> None:
    """Distance à vol d'oiseau (km) entre deux lieux, ex. : ohmylot geo distance Cahors Figeac."""
    from matching.geo import distance_km, get_gazetteer  # on use: keeps CLI start-up fast

    gaz = get_gazetteer()
    pa, pb = gaz.resolve(a), gaz.resolve(b)
    for query, place in ((a, pa), (b, pb)):
        if place is None:
            raise UserError(f"lieu introuvable : {query!r}")
    km = distance_km(pa, pb)
    if km is None:
        raise UserError("coordonnées inconnues pour l'un des deux lieux")
    if as_json:
        sys.stdout.write(json.dumps({"a": pa.as_dict(), "b": pb.as_dict(), "km": round(km, 1)},
                                    ensure_ascii=False) + "\n")
        return
    label_a = f"{pa.name} ({pa.insee or pa.departement})"
    label_b = f"{pb.name} ({pb.insee or pb.departement})"
    km_fr = f"{km:.1f}".replace(".", ",")
    sys.stdout.write(f"{label_a} → {label_b} : {km_fr} km\n")


def register(app: typer.Typer) -> None:
    app.add_typer(geo_app, name="geo")


def _stdin_lines() -> Iterator[str]:
    """Lines of standard input as they come (undecodable bytes replaced, line ends removed)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        for line in sys.stdin:
            yield line.rstrip("\r\n")
        return
    for raw in stream:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")
