"""ROME classification measured on real France Travail offers (truth = the code the employer chose).

Run: ``PYTHONPATH=. python -m bench.rome_real`` or ``ohmylot quality report``
(needs ``tests/data/real_offers/offers.jsonl``, see its README).

Figures on the **test** part (titles never seen in training or tuning), all from the same run:
- ``ours``: the shipped classifier (rules + linear models, calibrated), title alone and title + description;
- ``rules``: the rule-based classifier alone (what ohmylot did before the models);
- ``baseline``: plain character TF-IDF (``char_wb`` 2–4-grams), nearest title among the ROME appellations
  **and the tuning titles** (the same supervision as ours), codes of the nearest titles in order;
- calibration: accuracy of the best code when it is shown as sure vs uncertain;
- ``by_source``: ours (title + description) and the baseline per source repository (the ``anp67x`` offers are
  a national search for the keyword "data", mostly data/IT jobs; the others cover all trades);
- speed: milliseconds a title when classifying the test titles in one batch (CPU time of this process).
"""

from __future__ import annotations

import csv
import time

import numpy as np

from matching import rome
from services.real_offers import MISSING, from_keyword_search, load_offers


class NearestTitleBaseline:
    """Character TF-IDF nearest title over the ROME appellations plus labelled real titles."""

    def __init__(self, extra: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
        from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415 - bench only

        pairs: list[tuple[str, str]] = []
        with (rome.DATA_DIR / "rome_appellations.csv").open(encoding="utf-8", newline="") as handle:
            pairs += [(r["appellation"], r["code"]) for r in csv.DictReader(handle)]
        pairs += list(extra)
        self.codes = [c for _, c in pairs]
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True)
        self.matrix = self.vectorizer.fit_transform([t for t, _ in pairs])

    def predict(self, titles: list[str], top: int = 3) -> list[list[str]]:
        sims = (self.vectorizer.transform(titles) @ self.matrix.T).toarray()
        result: list[list[str]] = []
        for row in sims:
            ranked: list[str] = []
            for j in np.argsort(-row):
                if row[j] <= 0 or len(ranked) == top:
                    break
                if self.codes[j] not in ranked:
                    ranked.append(self.codes[j])
            result.append(ranked)
        return result


def accuracy(gold: list[str], predicted: list[list[str]]) -> dict[str, float | int]:
    n = len(gold)
    at1 = sum(bool(p) and p[0] == g for g, p in zip(gold, predicted, strict=True))
    at3 = sum(g in p[:3] for g, p in zip(gold, predicted, strict=True))
    return {"n": n, "acc@1": round(at1 / n, 4) if n else 0.0, "acc@3": round(at3 / n, 4) if n else 0.0}


def evaluate(offers: list[dict] | None = None, *, split: str = "test") -> dict[str, object]:
    """Every figure of the module docstring, as a dict (raises FileNotFoundError when the set is absent)."""
    offers = offers if offers is not None else load_offers()
    if not offers:
        raise FileNotFoundError(MISSING)
    rows = [r for r in offers if r["split"] == split]
    tuning = [r for r in offers if r["split"] == "tuning"]
    titles = [r["title"] for r in rows]
    descriptions: list[str | None] = [r["description"] for r in rows]
    gold = [r["rome_code"] for r in rows]
    classifier = rome.get_classifier()
    started = time.process_time()
    ours = classifier.classify_many(titles, top=3)
    per_title_ms = (time.process_time() - started) * 1000 / max(len(titles), 1)
    ours_desc = classifier.classify_many(titles, descriptions, top=3)
    rules = rome.RomeClassifier(use_model=False)
    rules_pred = [[m.code for m in ms] for ms in rules.classify_many(titles, top=3)]
    rules_desc = [[m.code for m in ms] for ms in rules.classify_many(titles, descriptions, top=3)]
    baseline = NearestTitleBaseline([(r["title"], r["rome_code"]) for r in tuning]).predict(titles)
    baseline_rome_only = NearestTitleBaseline().predict(titles)
    sure = [i for i, ms in enumerate(ours_desc) if ms and not ms[0].uncertain]
    unsure = [i for i, ms in enumerate(ours_desc) if not ms or ms[0].uncertain]
    best = [[m.code for m in ms] for ms in ours_desc]
    return {
        "split": split,
        "n_titles": len(rows),
        "n_codes": len(set(gold)),
        "ours_title": accuracy(gold, [[m.code for m in ms] for ms in ours]),
        "ours_title_description": accuracy(gold, best),
        "rules_title": accuracy(gold, rules_pred),
        "rules_title_description": accuracy(gold, rules_desc),
        "baseline_char_tfidf_rome_and_tuning_titles": accuracy(gold, baseline),
        "baseline_char_tfidf_rome_titles": accuracy(gold, baseline_rome_only),
        "sure": {
            "share": round(len(sure) / max(len(rows), 1), 3),
            **accuracy([gold[i] for i in sure], [best[i] for i in sure]),
        },
        "uncertain": {
            "share": round(len(unsure) / max(len(rows), 1), 3),
            **accuracy([gold[i] for i in unsure], [best[i] for i in unsure]),
        },
        "by_source": _by_source(rows, gold, best, baseline),
        "all_trades": _all_trades(rows, gold, best, baseline),
        "ms_per_title_batch_cpu": round(per_title_ms, 3),
    }


def _all_trades(
    rows: list[dict], gold: list[str], ours: list[list[str]], baseline: list[list[str]]
) -> dict[str, object]:
    """Ours and the baseline on the offers of the all-trades sources (keyword searches left out)."""
    idx = [i for i, row in enumerate(rows) if not from_keyword_search(row)]
    return {
        "ours": accuracy([gold[i] for i in idx], [ours[i] for i in idx]),
        "baseline": accuracy([gold[i] for i in idx], [baseline[i] for i in idx]),
    }


def _by_source(
    rows: list[dict], gold: list[str], ours: list[list[str]], baseline: list[list[str]]
) -> dict[str, dict[str, object]]:
    """Ours and the baseline per source repository of the offers."""
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(row["source"].split(":")[0], []).append(i)
    return {
        repo: {
            "ours": accuracy([gold[i] for i in idx], [ours[i] for i in idx]),
            "baseline": accuracy([gold[i] for i in idx], [baseline[i] for i in idx]),
        }
        for repo, idx in sorted(groups.items())
    }


def errors(limit: int = 40, split: str = "tuning") -> list[dict[str, object]]:
    """Misclassified titles of the tuning part (to read; the test part is for reporting only)."""
    rows = [r for r in load_offers() if r["split"] == split]
    classifier = rome.get_classifier()
    found = classifier.classify_many([r["title"] for r in rows], [r["description"] for r in rows], top=3)
    out: list[dict[str, object]] = []
    for row, matches in zip(rows, found, strict=True):
        if not matches or matches[0].code != row["rome_code"]:
            out.append(
                {
                    "title": row["title"],
                    "gold": row["rome_code"],
                    "gold_label": rome.rome_label(row["rome_code"]),
                    "got": [(m.code, m.label, m.confidence) for m in matches],
                }
            )
    return out[:limit]
