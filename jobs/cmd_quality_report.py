"""``ohmylot quality report``: every evaluation set, our figure and the baselines of the same run, side by side.

Sets (each skipped with its reason when its data is absent):
- ``rome-real``: ROME classification of real France Travail offer titles (truth = the employer's code), test part;
- ``rome-labelled``: the hand-labelled titles of ``tests/data/rome_eval``, test split;
- ``rank-real``: ranking real offers of rural départements for fair-style prospects, test part;
- ``dedup-real``: deduplication of real France Travail postings (truth from the sources' ids), test part.

The synthetic relevance and dedup label sets keep their bench commands (``python -m bench.relevance``,
``python -m bench.dedup_labels score``): their code lives in bench/, which jobs/ may not import.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import typer

from jobs.console import err, out
from jobs.errors import UserError

Row = tuple[str, Any, Any, str]  # measure, our figure, baseline figure, what the baseline is


def _rome_real() -> list[Row]:
    from services.quality_rome import evaluate  # heavy (scikit-learn): imported on use

    r = evaluate()
    base = r["baseline_char_tfidf_rome_and_tuning_titles"]
    return [
        ("acc@1 (titre)", r["ours_title"]["acc@1"], base["acc@1"], f"TF-IDF car. plus proche titre, n={r['n_titles']}"),
        ("acc@3 (titre)", r["ours_title"]["acc@3"], base["acc@3"], "idem"),
        ("acc@1 (titre + description)", r["ours_title_description"]["acc@1"], base["acc@1"], "idem"),
        ("acc@3 (titre + description)", r["ours_title_description"]["acc@3"], base["acc@3"], "idem"),
        ("acc@1 (règles seules, avant)", r["rules_title_description"]["acc@1"], base["acc@1"], "idem"),
        (
            "acc@1 (titre + desc.), tous métiers",
            r["all_trades"]["ours"]["acc@1"],
            r["all_trades"]["baseline"]["acc@1"],
            f"idem, n={r['all_trades']['ours']['n']} (sans la recherche « data »)",
        ),
        (
            "acc@3 (titre + desc.), tous métiers",
            r["all_trades"]["ours"]["acc@3"],
            r["all_trades"]["baseline"]["acc@3"],
            "idem",
        ),
        (
            "acc@1 des codes sûrs",
            r["sure"]["acc@1"],
            r["uncertain"]["acc@1"],
            f"codes incertains ({r['uncertain']['share']:.0%} des titres)",
        ),
        ("ms par intitulé (lot, CPU)", r["ms_per_title_batch_cpu"], None, "cible ≤ 2 ms"),
    ]


def _rome_labelled() -> list[Row]:
    from services.rome_evaluation import evaluate  # heavy: imported on use

    test = evaluate()["test"]
    return [
        ("acc@1", test["classifier"]["acc@1"], test["baseline"]["acc@1"], "TF-IDF car. titres ROME"),
        ("acc@3", test["classifier"]["acc@3"], test["baseline"]["acc@3"], "idem"),
    ]


def _rank_real() -> list[Row]:
    from services.quality_rank import evaluate  # heavy: imported on use

    r = evaluate()
    return [
        (
            "nDCG@10",
            r["ndcg@10"]["ours"],
            r["ndcg@10"]["tfidf_same_constraints"],
            f"TF-IDF + mêmes contraintes, {r['prospects']} prospects",
        ),
        ("contraintes violées (top 10)", r["violations_in_top10"]["ours"], r["violations_in_top10"]["tfidf"], ""),
        ("listes vides (métier à portée)", r["empty_lists_with_trade_in_reach"], None, ""),
    ]


def _dedup_real() -> list[Row]:
    from services.quality_dedup import evaluate  # heavy (scikit-learn): imported on use

    r = evaluate()
    ours, base = r["test"]["ours"], r["test"]["baseline"]
    note = f"titre rapidfuzz ≥ {r['baseline_threshold']} + même commune, {ours['duplicates']} doublons"
    return [
        ("précision (paires)", ours["precision"], base["precision"], note),
        ("rappel (paires)", ours["recall"], base["recall"], f"{ours['non_duplicates']} non-doublons"),
        ("F1", ours["f1"], base["f1"], "idem"),
        ("fusions à tort", ours["false_merges"], base["false_merges"], "idem"),
        ("paires ambiguës fusionnées", ours["ambiguous_merged"], base["ambiguous_merged"], "même employeur/titre/jour"),
    ]


SETS: dict[str, Callable[[], list[Row]]] = {
    "rome-real": _rome_real,
    "rome-labelled": _rome_labelled,
    "rank-real": _rank_real,
    "dedup-real": _dedup_real,
}


def report(names: list[str]) -> dict[str, Any]:
    """Figures per set: {set: {"rows": [...], "seconds": s} or {"skipped": reason}}."""
    result: dict[str, Any] = {}
    for name in names:
        started = time.perf_counter()
        try:
            rows = SETS[name]()
        except (FileNotFoundError, ImportError) as exc:
            result[name] = {"skipped": str(exc)}
            continue
        result[name] = {
            "rows": [{"measure": m, "ours": o, "baseline": b, "baseline_is": note} for m, o, b, note in rows],
            "seconds": round(time.perf_counter() - started, 1),
        }
    return result


def report_command(
    only: list[str] = typer.Option([], "--set", help=f"Jeu(x) à évaluer parmi : {', '.join(SETS)}."),
    as_json: bool = typer.Option(False, "--json", help="Écrit le résultat en JSON."),
) -> None:
    """Évalue chaque jeu (partie test) et affiche notre chiffre et la référence du même passage."""
    unknown = [n for n in only if n not in SETS]
    if unknown:
        raise UserError(f"jeu(x) inconnu(s) : {', '.join(unknown)} (choix : {', '.join(SETS)})")
    names = only or list(SETS)
    result = report(names)
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
        return
    for name in names:
        part = result[name]
        if "skipped" in part:
            err.print(f"{name} : ignoré — {part['skipped']}", markup=False)
            continue
        out.print(f"\n{name} ({part['seconds']} s)", markup=False)
        for row in part["rows"]:
            base = "—" if row["baseline"] is None else row["baseline"]
            note = f"  ({row['baseline_is']})" if row["baseline_is"] else ""
            out.print(f"  {row['measure']:<34} nous {row['ours']!s:<8} référence {base!s:<8}{note}", markup=False)


def register(app: typer.Typer) -> None:
    quality_app = typer.Typer(help="Qualité mesurée sur les jeux d'évaluation.", no_args_is_help=True)
    app.add_typer(quality_app, name="quality")
    quality_app.command("report")(report_command)
