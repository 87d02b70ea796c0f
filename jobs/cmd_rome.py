"""``ohmylot rome``: classify job titles into ROME codes, look codes up, measure the classifier."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import typer

from jobs.console import err, out
from jobs.errors import UserError

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.

_BATCH = 256


def _lines(stream, *, json_input: bool) -> Iterator[tuple[int, str, str | None]]:  # type: ignore[no-untyped-def]
    """(line number, title, description) for each non-blank input line; bad JSON lines are reported and skipped."""
    for number, line in enumerate(stream, start=1):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        if not json_input:
            yield number, text.strip(), None
            continue
        try:
            item = json.loads(text)
        except json.JSONDecodeError as exc:
            err.print(f"ligne {number} ignorée : JSON invalide ({exc.msg})")
            continue
        if not isinstance(item, dict) or not isinstance(item.get("title"), str):
            err.print(f"ligne {number} ignorée : objet JSON sans champ \"title\" texte")
            continue
        description = item.get("description")
        yield number, item["title"], description if isinstance(description, str) else None


rome_app = typer.Typer(help="Codes ROME : classer des intitulés de poste, consulter un code.", no_args_is_help=True)


@rome_app.command("classify")
def classify(
    top: int = typer.Option(3, "--top", "-n", min=1, max=50, help="Nombre de codes proposés par intitulé."),
    input_path: Path | None = typer.Option(
        None, "--input", "-i", help="Fichier à lire (par défaut : l'entrée standard).", dir_okay=False
    ),
    json_input: bool = typer.Option(
        False, "--json", help='Lignes d\'entrée JSON {"title": …, "description": …} au lieu de texte brut.'
    ),
    explain: bool = typer.Option(False, "--explain", help="Ajoute les mots retenus et les intitulés ROME proches."),
) -> None:
    """Lit un intitulé par ligne, écrit une ligne JSON par intitulé : {"title", "codes": [{code, label, score}]}.

    Exemple : echo "Aide-soignant(e) de nuit H/F" | ohmylot rome classify --top 3
    """
    from matching.rome import get_classifier  # on use: keeps CLI start-up fast

    if input_path is not None and not input_path.is_file():
        raise UserError(f"fichier introuvable : {input_path}")
    stream = input_path.open(encoding="utf-8", errors="replace") if input_path else sys.stdin
    interactive = input_path is None and sys.stdin.isatty()
    if interactive:
        err.print("[dim]Tapez un intitulé par ligne (Ctrl-D pour finir).[/dim]")
    classifier = get_classifier()
    count = 0

    def flush(batch: list[tuple[int, str, str | None]]) -> None:
        descriptions = [d for _, _, d in batch]
        results = classifier.classify_many(
            [t for _, t, _ in batch], descriptions if any(descriptions) else None, top=top
        )
        for (_, title, _), matches in zip(batch, results, strict=True):
            record: dict[str, object] = {"title": title, "codes": [m.as_dict() for m in matches]}
            if explain:
                detail = classifier.explain(title)
                record["words"] = detail["words"]
                record["nearest_rome_titles"] = detail["refs"]
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    try:
        batch: list[tuple[int, str, str | None]] = []
        for item in _lines(stream, json_input=json_input):
            batch.append(item)
            count += 1
            if interactive or len(batch) >= _BATCH:
                flush(batch)
                batch = []
        if batch:
            flush(batch)
    finally:
        if input_path is not None:
            stream.close()
    err.print(f"[dim]{count} intitulé(s) classé(s)[/dim]")


@rome_app.command("label")
def label(codes: list[str] = typer.Argument(..., help="Un ou plusieurs codes ROME, par exemple J1501.")) -> None:
    """Affiche le libellé d'un code ROME, son domaine professionnel et son grand domaine."""
    from matching.rome import domain_label, grand_domain, rome_domain, rome_label  # on use: keeps CLI start-up fast

    unknown = []
    for code in codes:
        name = rome_label(code)
        if name is None:
            unknown.append(code)
            continue
        value = code.strip().upper()
        out.print(f"{value}  {name}", markup=False)
        out.print(f"       domaine {rome_domain(value)} : {domain_label(rome_domain(value))}", markup=False)
        out.print(f"       grand domaine {grand_domain(value)} : {domain_label(grand_domain(value))}", markup=False)
    if unknown:
        raise UserError(
            f"code(s) ROME inconnu(s) : {', '.join(unknown)} (format attendu : une lettre et 4 chiffres, ex. J1501)"
        )


@rome_app.command("evaluate")
def evaluate(
    split: str = typer.Option("test", "--split", help="Partie du jeu d'évaluation : dev, test ou all."),
    errors: bool = typer.Option(False, "--errors", help="Liste les intitulés mal classés (partie dev seulement)."),
) -> None:
    """Mesure la justesse (accuracy@1 et @3) sur le jeu d'évaluation tests/data/rome_eval."""
    if split not in ("dev", "test", "all"):
        raise UserError("--split attend dev, test ou all")
    # Imported here, not at the top: scikit-learn would slow down every ``ohmylot`` start.
    from services.rome_evaluation import EVAL_FILE  # on use: keeps CLI start-up fast
    from services.rome_evaluation import errors as list_errors  # on use: keeps CLI start-up fast
    from services.rome_evaluation import evaluate as run_evaluation  # on use: keeps CLI start-up fast

    if not EVAL_FILE.exists():
        raise UserError(f"jeu d'évaluation introuvable : {EVAL_FILE}")
    if errors:
        if split == "test":
            raise UserError("les erreurs ne s'affichent que pour --split dev (la partie test ne sert pas à régler)")
        for item in list_errors("dev"):
            sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
        return
    report = run_evaluation()
    parts = ["dev", "test"] if split == "all" else [split]
    for part in parts:
        figures = report[part]
        assert isinstance(figures, dict)
        mine, base = figures["classifier"], figures.get("baseline")
        line = f"[{part}] {mine['n']} intitulés : accuracy@1 {mine['acc@1']:.3f}, @3 {mine['acc@3']:.3f}"
        out.print(line, markup=False)
        if base:
            out.print(f"[{part}] référence : accuracy@1 {base['acc@1']:.3f}, @3 {base['acc@3']:.3f}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(rome_app, name="rome")
