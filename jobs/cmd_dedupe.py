"""``ohmylot dedupe``: group postings into offers (one real vacancy), on a file or on the database.

- ``ohmylot dedupe --input postings.jsonl --output clusters.jsonl``: reads normalised postings (the JSON of
  ``NormalizedPosting.as_json()`` plus ``id``, one per line) and writes ``{"id", "offer_id"}`` per posting.
- ``ohmylot dedupe``: deduplicates the postings of the database not yet in an offer; ``--full`` regroups all.
- ``ohmylot dedupe-merge OFFER_A OFFER_B`` / ``ohmylot dedupe-split POSTING``: staff corrections, kept and
  replayed after every later run.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import typer

from jobs.console import err, open_db, out
from jobs.errors import UserError
from jobs.jsonlines import json_objects

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.


def _read_postings(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Postings of a JSON-lines file and the reasons of the lines left out (one line each)."""
    if str(path) != "-" and not path.is_file():
        raise UserError(f"fichier introuvable : {path}")
    postings: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: set[str] = set()
    try:
        handle = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
        with handle:
            for number, data, reason in json_objects(handle):
                if data is None:
                    problems.append(f"ligne {number} : {reason}")
                    continue
                key = data.get("id")
                if key is None or str(key).strip() == "":
                    problems.append(f"ligne {number} : champ « id » manquant")
                    continue
                if str(key) in seen:
                    problems.append(f"ligne {number} : id « {key} » en double, ligne ignorée")
                    continue
                if not str(data.get("title") or "").strip():
                    problems.append(f"ligne {number} : champ « title » manquant")
                    continue
                seen.add(str(key))
                postings.append(data)
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} n'est pas un fichier texte UTF-8 ({exc.reason})") from exc
    except OSError as exc:
        raise UserError(f"lecture impossible de {path} : {exc.strerror}") from exc
    return postings, problems


def dedupe_file(input_path: Path, output_path: Path) -> dict[str, Any]:
    """Deduplicate a JSON-lines file of postings into ``output_path``; returns the summary figures."""
    from matching.dedup import dedupe_records, record_from_json  # on use: keeps CLI start-up fast

    postings, problems = _read_postings(input_path)
    records = []
    for data in postings:
        try:
            records.append(record_from_json(data))
        except (TypeError, ValueError, AttributeError) as exc:  # a malformed field: report, go on
            problems.append(f"id « {data.get('id')} » : champ invalide ({exc})")
    labels = dedupe_records(records) if records else []
    numbers: dict[int, int] = {}
    rows = []
    for record, label in zip(records, labels, strict=True):
        offer = numbers.setdefault(label, len(numbers) + 1)
        rows.append({"id": record.key, "offer_id": offer})
    try:
        handle = sys.stdout if str(output_path) == "-" else output_path.open("w", encoding="utf-8")
        with handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise UserError(f"écriture impossible de {output_path} : {exc.strerror}") from exc
    sizes = Counter(labels)
    per_source: dict[str, list[int]] = {}
    for record, label in zip(records, labels, strict=True):
        entry = per_source.setdefault(record.source or "?", [0, 0])
        entry[0] += 1
        entry[1] += int(sizes[label] > 1)
    return {
        "postings": len(records),
        "offers": len(sizes),
        "merged": len(records) - len(sizes),
        "per_source": {k: tuple(v) for k, v in per_source.items()},
        "problems": problems,
    }


def _print_summary(postings: int, offers: int, merged: int, per_source: dict[str, tuple[int, int]]) -> None:
    out.print(f"{postings} annonces → {offers} offres ({merged} doublons fusionnés)")
    if per_source:
        out.print("Taux de doublons par source :")
        for source, (total, duplicates) in sorted(per_source.items()):
            rate = duplicates / total if total else 0.0
            out.print(f"  {source:<24} {duplicates:>6} / {total:<6} {rate:6.1%}")


def dedupe(
    input: Path | None = typer.Option(  # noqa: A002 - the documented option name
        None, "--input", "-i", help="Annonces normalisées (JSON lines, une par ligne, avec « id ») ; - = stdin."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Fichier de sortie {id, offer_id} par ligne (avec --input) ; - = stdout."
    ),
    full: bool = typer.Option(False, "--full", help="Base : regroupe toutes les annonces (reconstruction)."),
) -> None:
    """Dédoublonne les annonces en offres (un poste réel) : sur un fichier ou sur la base."""
    if input is not None:
        if output is None:
            raise UserError("--output est obligatoire avec --input (ou « -o - » pour la sortie standard)")
        summary = dedupe_file(input, output)
        for problem in summary["problems"]:
            err.print(f"[yellow]{problem}[/yellow]")
        if not summary["postings"]:
            raise UserError(f"aucune annonce lisible dans {input}")
        _print_summary(summary["postings"], summary["offers"], summary["merged"], summary["per_source"])
        if str(output) != "-":
            out.print(f"Regroupement écrit dans {output}")
        return
    if output is not None:
        raise UserError("--output ne s'utilise qu'avec --input")
    from store.dedup import dedupe_database  # on use: keeps CLI start-up fast

    db = open_db()
    with db.session() as session:
        stats = dedupe_database(session, full=full, per_source=True)
    mode = "reconstruction complète" if full else "incrémental"
    out.print(f"Dédoublonnage ({mode}) : {stats.new_offers} nouvelles offres, {stats.joined} annonces rattachées")
    if stats.rechecked:
        out.print(
            f"{stats.rechecked} annonces modifiées depuis leur regroupement revues, "
            f"{stats.moved} changées d'offre"
        )
    _print_summary(stats.postings, stats.offers, stats.merged, stats.per_source)


def dedupe_merge(
    offer_a: int = typer.Argument(..., help="Offre conservée."),
    offer_b: int = typer.Argument(..., help="Offre fusionnée dans la première."),
    staff: str = typer.Option(..., "--staff", help="Qui corrige (e-mail)."),
    reason: str = typer.Option("", "--reason", help="Pourquoi."),
) -> None:
    """Fusionne deux offres (correction gardée après chaque dédoublonnage)."""
    from store.dedup import merge_offers  # on use: keeps CLI start-up fast

    offer_id, count = _correct(merge_offers, offer_a, offer_b, staff, reason or None)
    out.print(f"Offre {offer_b} fusionnée dans l'offre {offer_id} ({count} annonces)")


def dedupe_split(
    posting: int = typer.Argument(..., help="Annonce à sortir de son offre."),
    staff: str = typer.Option(..., "--staff", help="Qui corrige (e-mail)."),
    reason: str = typer.Option("", "--reason", help="Pourquoi."),
) -> None:
    """Sort une annonce de son offre (correction gardée après chaque dédoublonnage)."""
    from store.dedup import split_posting  # on use: keeps CLI start-up fast

    offer_id, _ = _correct(split_posting, posting, staff, reason or None)
    out.print(f"Annonce {posting} séparée : nouvelle offre {offer_id}")


def register(app: typer.Typer) -> None:
    app.command("dedupe")(dedupe)
    app.command("dedupe-merge")(dedupe_merge)
    app.command("dedupe-split")(dedupe_split)


def _correct(action: Any, *args: Any) -> tuple[int, int]:
    """Apply one staff correction in its own transaction: (offer id, its postings); refusals are one line."""
    from store.dedup import CorrectionError  # on use: keeps CLI start-up fast

    db = open_db()
    try:
        with db.session() as session:
            offer = action(session, *args)
            return offer.id, len(offer.postings)
    except CorrectionError as exc:
        raise UserError(str(exc)) from exc
