"""``ohmylot quality report``: every evaluation set, our figure and the baselines of the same run, side by side.

Sets (each skipped with its reason when its data is absent):
- ``rome-real``: ROME classification of real France Travail offer titles (truth = the employer's code), test part;
- ``rome-labelled``: the hand-labelled titles of ``tests/data/rome_eval``, test split;
- ``rank-real``: ranking real offers of rural départements for fair-style prospects, test part;
- ``rank-relevance``: the graded relevance set of ``tests/data/relevance``;
- ``dedup-labelled``: labelled posting pairs of ``tests/data/dedup``, test split.
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


def _rome_real() -> list[tuple[str, Any, Any, str]]:
    from bench.rome_real import evaluate  # noqa: PLC0415 - bench modules are heavy, imported on use

    r = evaluate()
    base = r["baseline_char_tfidf_rome_and_tuning_titles"]
    return [
        ("acc@1 (titre)", r["ours_title"]["acc@1"], base["acc@1"], f"TF-IDF car. plus proche titre, n={r['n_titles']}"),
        ("acc@3 (titre)", r["ours_title"]["acc@3"], base["acc@3"], "idem"),
        (
            "acc@1 (titre + description)",
            r["ours_title_description"]["acc@1"],
            r["rules_title_description"]["acc@1"],
            "règles seules (avant le modèle)",
        ),
        (
            "acc@1 des codes sûrs",
            r["sure"]["acc@1"],
            r["uncertain"]["acc@1"],
            f"codes incertains ({r['uncertain']['share']:.0%} des titres)",
        ),
        ("ms par intitulé (lot, CPU)", r["ms_per_title_batch_cpu"], None, "cible ≤ 2 ms"),
    ]


def _rome_labelled() -> list[tuple[str, Any, Any, str]]:
    from bench.rome import evaluate  # noqa: PLC0415

    test = evaluate()["test"]
    return [
        ("acc@1", test["classifier"]["acc@1"], test["baseline"]["acc@1"], "TF-IDF car. titres ROME"),
        ("acc@3", test["classifier"]["acc@3"], test["baseline"]["acc@3"], "idem"),
    ]


def _rank_real() -> list[tuple[str, Any, Any, str]]:
    from bench.rank_real import evaluate  # noqa: PLC0415

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


def _rank_relevance() -> list[tuple[str, Any, Any, str]]:
    from bench.relevance import evaluate  # noqa: PLC0415

    r = evaluate()
    return [
        (
            "nDCG@10",
            r["ranker"]["ndcg@10"],
            r["tfidf"]["ndcg@10"],
            f"TF-IDF ; ROME+distance {r['rome_distance']['ndcg@10']}",
        )
    ]


def _dedup_labelled() -> list[tuple[str, Any, Any, str]]:
    from bench.dedup_labels import score  # noqa: PLC0415

    test = score()["test"]
    return [("précision", test["precision"], None, ""), ("rappel", test["recall"], None, "")]


SETS: dict[str, Callable[[], list[tuple[str, Any, Any, str]]]] = {
    "rome-real": _rome_real,
    "rome-labelled": _rome_labelled,
    "rank-real": _rank_real,
    "rank-relevance": _rank_relevance,
    "dedup-labelled": _dedup_labelled,
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


def register(app: typer.Typer) -> None:
    quality_app = typer.Typer(help="Qualité mesurée sur les jeux d'évaluation.", no_args_is_help=True)
    app.add_typer(quality_app, name="quality")

    @quality_app.command("report")
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
                err.print(f"[yellow]{name} : ignoré[/yellow] — {part['skipped']}", markup=True)
                continue
            out.print(f"\n{name} ({part['seconds']} s)", markup=False)
            for row in part["rows"]:
                base = "—" if row["baseline"] is None else row["baseline"]
                note = f"  ({row['baseline_is']})" if row["baseline_is"] else ""
                out.print(f"  {row['measure']:<34} nous {row['ours']!s:<8} référence {base!s:<8}{note}", markup=False)
