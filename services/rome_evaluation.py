"""Evaluation of the ROME classifier on the labelled titles of ``tests/data/rome_eval/titles.csv``.

accuracy@1 / @3 of ``matching.rome`` per split (dev for tuning, test held out), per origin and on the titles
not written exactly like a ROME title, against the baseline "plain character n-gram TF-IDF, nearest ROME
title" computed in the same run. Used by ``ohmylot rome evaluate`` and by ``bench/rome.py``.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer

from matching import rome

EVAL_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "rome_eval" / "titles.csv"


@dataclass(frozen=True, slots=True)
class EvalTitle:
    """One labelled title of the evaluation set."""

    title: str
    codes: frozenset[str]
    origin: str
    split: str


def load_eval(path: Path = EVAL_FILE) -> list[EvalTitle]:
    """The evaluation titles (columns title, codes, origin, split)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            EvalTitle(row["title"], frozenset(row["codes"].split()), row["origin"], row["split"])
            for row in csv.DictReader(handle)
        ]


def accuracy(rows: list[EvalTitle], predictions: list[list[str]]) -> dict[str, float | int]:
    """accuracy@1 and @3 of ranked code lists against the gold codes."""
    n = len(rows)
    if not n:
        return {"n": 0, "acc@1": 0.0, "acc@3": 0.0}
    at1 = sum(bool(p[:1]) and p[0] in r.codes for r, p in zip(rows, predictions, strict=True))
    at3 = sum(bool(r.codes & set(p[:3])) for r, p in zip(rows, predictions, strict=True))
    return {"n": n, "acc@1": round(at1 / n, 4), "acc@3": round(at3 / n, 4)}


class CharBaseline:
    """Plain character n-gram TF-IDF over the raw ROME titles; a title's codes are those of its nearest titles."""

    def __init__(self) -> None:
        titles: list[str] = []
        codes: list[str] = []
        with (rome.DATA_DIR / "rome_appellations.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                titles.append(row["appellation"])
                codes.append(row["code"])
        self.codes = codes
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True)
        self.matrix = self.vectorizer.fit_transform(titles)

    def predict(self, titles: list[str], top: int = 3) -> list[list[str]]:
        sims = (self.vectorizer.transform(titles) @ self.matrix.T).toarray()
        result: list[list[str]] = []
        for row in sims:
            ranked: list[str] = []
            for j in row.argsort()[::-1]:
                if row[j] <= 0:
                    break
                if self.codes[j] not in ranked:
                    ranked.append(self.codes[j])
                    if len(ranked) == top:
                        break
            result.append(ranked)
        return result


def rome_title_keys() -> frozenset[str]:
    """Every ROME title form (masculine, feminine, short), folded and without gender marks."""
    keys: set[str] = set()
    with (rome.DATA_DIR / "rome_appellations.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for form in rome.gender_forms(row["appellation"]) + rome.gender_forms(row["appellation_court"]):
                keys.add(rome.title_key(form))
    with (rome.DATA_DIR / "rome_codes.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            keys.update(rome.title_key(form) for form in rome.gender_forms(row["label"]))
    return frozenset(keys)


def evaluate(
    classifier: rome.RomeClassifier | None = None, rows: list[EvalTitle] | None = None, *, baseline: bool = True
) -> dict[str, object]:
    """Accuracy figures per split (and per origin, and on titles written differently from ROME's)."""
    classifier = classifier or rome.get_classifier()
    rows = rows if rows is not None else load_eval()
    predicted = [[m.code for m in ms] for ms in classifier.classify_many([r.title for r in rows], top=3)]
    base = CharBaseline().predict([r.title for r in rows]) if baseline else None
    report: dict[str, object] = {}
    keys = rome_title_keys()
    for split in ("dev", "test"):
        idx = [i for i, r in enumerate(rows) if r.split == split]
        sub = [rows[i] for i in idx]
        part: dict[str, object] = {"classifier": accuracy(sub, [predicted[i] for i in idx])}
        if base is not None:
            part["baseline"] = accuracy(sub, [base[i] for i in idx])
        by_origin: dict[str, list[int]] = defaultdict(list)
        for i in idx:
            by_origin[rows[i].origin.split(":")[0]].append(i)
        part["by_origin"] = {
            origin: accuracy([rows[i] for i in ids], [predicted[i] for i in ids])
            for origin, ids in sorted(by_origin.items())
        }
        different = [i for i in idx if rome.title_key(rows[i].title) not in keys]
        part["written_differently"] = accuracy([rows[i] for i in different], [predicted[i] for i in different])
        if base is not None:
            part["written_differently_baseline"] = accuracy(
                [rows[i] for i in different], [base[i] for i in different]
            )
        report[split] = part
    return report


def errors(split: str = "dev", classifier: rome.RomeClassifier | None = None) -> list[dict[str, object]]:
    """The titles of one split whose best code is wrong (for tuning: use the dev split only)."""
    classifier = classifier or rome.get_classifier()
    rows = [r for r in load_eval() if r.split == split]
    out = []
    for row, matches in zip(rows, classifier.classify_many([r.title for r in rows], top=3), strict=True):
        if not matches or matches[0].code not in row.codes:
            out.append(
                {
                    "title": row.title,
                    "gold": sorted(row.codes),
                    "got": [(m.code, m.label, round(m.score, 3)) for m in matches],
                    "words": classifier.prepare(row.title).words,
                }
            )
    return out
