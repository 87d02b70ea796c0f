"""ROME classifier benchmark: accuracy on the evaluation set, against a baseline, and speed.

Run: ``PYTHONPATH=. python bench/rome.py`` (add ``--quick`` for the short version used in tests).

Figures:
- accuracy@1 / @3 of ``matching.rome`` on the dev and test splits of ``tests/data/rome_eval/titles.csv``
  (a title counts as right at k when one of its gold codes is among the first k codes), overall, per origin
  and on the titles not written exactly like a ROME title;
- the same for the baseline "plain character n-gram TF-IDF, nearest ROME title" (scikit-learn
  ``TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))`` over the raw ROME titles), computed in the same run;
- load time of the classifier (fresh instance) and time to classify 10,000 titles (batch and one by one),
  wall clock and CPU time of this process (the CPU figure is the one to compare on a shared machine).
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matching import rome, rome_titles  # noqa: E402
from matching.text import stem  # noqa: E402
from services.rome_evaluation import accuracy, errors, evaluate, load_eval  # noqa: E402


def _fresh_process_load() -> float:
    """Seconds for a new Python process to import ``matching.rome`` and build the classifier."""
    code = (
        "import time; t = time.perf_counter(); from matching.rome import get_classifier; get_classifier(); "
        "print(time.perf_counter() - t)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    return round(float(result.stdout.strip() or "nan"), 3)


_BOILERPLATE = (
    "Rejoignez notre équipe dynamique ! Nous recherchons une personne motivée, rigoureuse et autonome. "
    "Poste à pourvoir rapidement, CDI, mutuelle, tickets restaurant."
)


def description_effect(classifier: rome.RomeClassifier | None = None, seed: int = 1) -> dict[str, object]:
    """Dev-split accuracy when each title comes with a synthetic description (no labelled descriptions exist).

    ``matching``: six know-how items of the gold code's ROME skills (an informative description);
    ``other_code``: six items of a random code's skills (a misleading one); ``boilerplate``: recruitment
    chatter. The description channel should help the first and hardly hurt the other two.
    """
    classifier = classifier or rome.get_classifier()
    rows = [r for r in load_eval() if r.split == "dev"]
    skills: dict[str, list[str]] = defaultdict(list)
    with (rome.DATA_DIR / "rome_skills.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["type"] == "savoir_faire":
                skills[row["code"]].append(row["skill"])
    rng = random.Random(seed)
    codes = sorted(skills)

    def text(code: str) -> str:
        items = list(skills.get(code, []))
        rng.shuffle(items)
        return ". ".join(items[:6])

    variants: dict[str, list[str | None] | None] = {
        "none": None,
        "matching": [text(sorted(r.codes)[0]) for r in rows],
        "other_code": [text(rng.choice(codes)) for _ in rows],
        "boilerplate": [_BOILERPLATE] * len(rows),
    }
    titles = [r.title for r in rows]
    return {
        name: accuracy(rows, [[m.code for m in ms] for ms in classifier.classify_many(titles, descriptions)])
        for name, descriptions in variants.items()
    }


def speed(n_titles: int = 10_000) -> dict[str, float]:
    """Load time of a fresh classifier and time to classify ``n_titles`` titles (batch, then one by one)."""
    for cached in (rome._codes, rome._place_words, rome._skill_words, rome_titles._word_grams, stem):
        cached.cache_clear()  # a cold build, as in a fresh process
    started, cpu = time.perf_counter(), time.process_time()
    classifier = rome.RomeClassifier()
    load_s, load_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    pool = [r.title for r in load_eval()]
    titles = [pool[i % len(pool)] + ("" if i < len(pool) else f" {i % 97}") for i in range(n_titles)]
    started, cpu = time.perf_counter(), time.process_time()
    classifier.classify_many(titles, top=3)
    batch_s, batch_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    single_n = min(n_titles, 2_000)
    started, cpu = time.perf_counter(), time.process_time()
    for title in titles[:single_n]:
        classifier.classify(title, top=3)
    single_s = (time.perf_counter() - started) * n_titles / single_n
    single_cpu_s = (time.process_time() - cpu) * n_titles / single_n
    return {
        "fresh_process_import_and_load_s": _fresh_process_load(),
        "load_s": round(load_s, 3),
        "load_cpu_s": round(load_cpu_s, 3),
        "n_titles": n_titles,
        "classify_many_s": round(batch_s, 3),
        "classify_many_cpu_s": round(batch_cpu_s, 3),
        "classify_one_by_one_s_extrapolated": round(single_s, 3),
        "classify_one_by_one_cpu_s_extrapolated": round(single_cpu_s, 3),
    }


def run(quick: bool = False) -> dict[str, object]:
    """All figures; ``quick`` skips the baseline and classifies 500 titles instead of 10,000."""
    figures: dict[str, object] = {"evaluation": evaluate(baseline=not quick)}
    if not quick:
        figures["description_effect_dev"] = description_effect()
    figures["speed"] = speed(500 if quick else 10_000)
    return figures


if __name__ == "__main__":
    if "--errors" in sys.argv:
        print(json.dumps(errors("dev"), ensure_ascii=False, indent=1))
    else:
        print(json.dumps(run(quick="--quick" in sys.argv), ensure_ascii=False, indent=2))
