"""Train the supervised ROME models and write ``matching/data/rome_model.npz`` (see ``matching/rome_model.py``).

Run (from the repository root)::

    PYTHONPATH=. python -m bench.rome_train            # train with the recorded fusion weights
    PYTHONPATH=. python -m bench.rome_train --tune     # also re-choose the fusion weights and temperature

Training data: the ROME appellations (``matching/data/rome_appellations.csv``) and, when it has been built
(``bench/real_offers.py``), the **tuning** part of the real offers (titles and descriptions with the code the
employer chose). The test part is never read here. ``--tune`` trains a second time on 5/7 of the tuning part,
scores the other 2/7 and grid-searches the fusion weights and the softmax temperature on them.

Without the real offers the title model learns from the appellations alone and the description model is left
out; the script says so.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matching import rome, rome_model  # noqa: E402
from matching.rome_aliases import ALIASES  # noqa: E402
from services.real_offers import OUT_FILE as OFFERS_FILE  # noqa: E402
from services.real_offers import from_keyword_search, load_offers  # noqa: E402

# Chosen on the tuning part (3 folds by title, out-of-fold scores; ``--tune`` redoes it on one inner split),
# 2026-12-07: see docs/rome.md and BENCHMARKS.md.
RECORDED_FUSION = rome_model.Fusion(
    rules=0.5, title=0.6, description=0.2, profile=0.2, prior=0.2, temperature=12.0, low_confidence=0.5
)
REAL_TITLE_WEIGHT = 3.0  # a real offer title counts as much as three appellations
KEEP_WEIGHTS = 400_000  # largest |weights| kept per model (size of the shipped file)


def reference_titles(classifier: rome.RomeClassifier) -> list[tuple[str, str]]:
    """(prepared text, code) for every gender form of every appellation and code label."""
    import csv  # noqa: PLC0415 - only the trainer reads the raw file

    pairs: list[tuple[str, str]] = []
    known = set(classifier.codes)
    with (rome.DATA_DIR / "rome_appellations.csv").open(encoding="utf-8", newline="") as handle:
        rows = [(r["appellation"], r["code"]) for r in csv.DictReader(handle) if r["code"] in known]
    rows += [(classifier.labels[c], c) for c in classifier.codes]
    rows += [(alias, code) for alias, code in ALIASES if code in known]
    for title, code in rows:
        for form in rome.gender_forms(title):
            text = " ".join(classifier.prepare(form).words)
            if text:
                pairs.append((text, code))
    return sorted(set(pairs))


def _sgd() -> SGDClassifier:
    return SGDClassifier(loss="modified_huber", alpha=2e-5, max_iter=8, tol=None, random_state=0, n_jobs=2)


def _sparse_coef(model: SGDClassifier, codes: list[str], keep: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """(features × codes) CSR of the ``keep`` largest weights, and the bias per code (codes order)."""
    index = {c: i for i, c in enumerate(codes)}
    cols = np.array([index[c] for c in model.classes_])
    coef = model.coef_
    if coef.size > keep:
        cut = np.partition(np.abs(coef).ravel(), coef.size - keep)[coef.size - keep]
        coef = np.where(np.abs(coef) >= cut, coef, 0.0)
    full = sparse.csr_matrix(coef.T.astype(np.float32))
    mapped = sparse.csr_matrix((full.shape[0], len(codes)), dtype=np.float32)
    mapped = sparse.lil_matrix(mapped)
    mapped[:, cols] = full
    bias = np.full(len(codes), float(model.intercept_.min()) - 1.0, dtype=np.float32)
    bias[cols] = model.intercept_
    return mapped.tocsr(), bias


def train(classifier: rome.RomeClassifier, tuning: list[dict], *, keep: int = KEEP_WEIGHTS) -> dict[str, np.ndarray]:
    """Arrays of the npz file (without meta) for a training set = appellations + ``tuning`` offers."""
    refs = reference_titles(classifier)
    texts = [t for t, _ in refs] + [" ".join(classifier.prepare(r["title"]).words) for r in tuning]
    labels = [c for _, c in refs] + [r["rome_code"] for r in tuning]
    weights = np.array([1.0] * len(refs) + [REAL_TITLE_WEIGHT] * len(tuning))
    word = TfidfVectorizer(**rome_model.WORD_PARAMS)  # type: ignore[arg-type]
    char = TfidfVectorizer(min_df=2, max_features=60_000, **rome_model.CHAR_PARAMS)  # type: ignore[arg-type]
    features = sparse.hstack([word.fit_transform(texts), char.fit_transform(texts)], format="csr")
    started = time.perf_counter()
    title_model = _sgd().fit(features, labels, sample_weight=weights)
    print(
        f"  title model: {features.shape[0]} titles × {features.shape[1]} features, "
        f"{time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    coef, bias = _sparse_coef(title_model, classifier.codes, keep)
    arrays: dict[str, np.ndarray] = {
        "word_vocab": np.array(word.get_feature_names_out(), dtype=str),
        "word_idf": word.idf_.astype(np.float32),
        "char_vocab": np.array(char.get_feature_names_out(), dtype=str),
        "char_idf": char.idf_.astype(np.float32),
        **_pack("title", coef),
        "title_bias": bias,
        "code_prior": rome_model.code_prior(
            classifier.codes, [r["rome_code"] for r in tuning if not from_keyword_search(r)]
        ),
    }
    with_desc = [r for r in tuning if r.get("description")]
    if len(with_desc) >= 200:
        desc = TfidfVectorizer(min_df=2, max_df=0.5, **rome_model.DESC_PARAMS)  # type: ignore[arg-type]
        d_features = desc.fit_transform([r["description"] for r in with_desc])
        d_model = _sgd().fit(d_features, [r["rome_code"] for r in with_desc])
        d_coef, d_bias = _sparse_coef(d_model, classifier.codes, keep // 2)
        arrays |= {
            "desc_vocab": np.array(desc.get_feature_names_out(), dtype=str),
            "desc_idf": desc.idf_.astype(np.float32),
            **_pack("desc", d_coef),
            "desc_bias": d_bias,
        }
    return arrays


def _pack(name: str, matrix: sparse.csr_matrix) -> dict[str, np.ndarray]:
    return {
        f"{name}_data": matrix.data.astype(np.float16),
        f"{name}_indices": matrix.indices.astype(np.int32),
        f"{name}_indptr": matrix.indptr.astype(np.int32),
        f"{name}_shape": np.array(matrix.shape, dtype=np.int64),
    }


def write(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, object]) -> None:
    np.savez_compressed(path, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)


def tune(classifier: rome.RomeClassifier, tuning: list[dict]) -> rome_model.Fusion:
    """Fusion weights and temperature chosen on an inner split of the tuning part (5/7 train, 2/7 score)."""
    inner = [r for r in tuning if _bucket(r["title"], 7) < 5]
    held = [r for r in tuning if _bucket(r["title"], 7) >= 5]
    tmp = ROOT / "var" / "rome_model_inner.npz"
    tmp.parent.mkdir(exist_ok=True)
    write(tmp, train(classifier, inner), _meta(classifier, RECORDED_FUSION, inner))
    models = rome_model.LinearModels(tmp)
    descriptions = [r["description"] for r in held]
    channels = {
        "rules": classifier.rule_scores([r["title"] for r in held], descriptions),
        "title": models.title_scores([" ".join(classifier.prepare(r["title"]).words) for r in held]),
        "description": models.description_scores(descriptions),
        "profile": classifier._description_scores(descriptions),  # noqa: SLF001 - the rules' own channel
        "prior": np.broadcast_to(models.code_prior, (len(held), len(classifier.codes))),
    }
    gold = np.array([classifier.codes.index(r["rome_code"]) for r in held])
    grid = {
        "rules": (0.3, 0.5, 0.8),
        "title": (0.3, 0.6, 1.0),
        "description": (0.0, 0.1, 0.2, 0.3),
        "profile": (0.0, 0.1, 0.2, 0.3),
        "prior": (0.0, 0.2, 0.4, 0.6),
    }
    best: tuple[float, dict[str, float]] | None = None
    for values in itertools.product(*grid.values()):
        weights = dict(zip(grid, values, strict=True))
        fused = sum(w * channels[k] for k, w in weights.items() if channels[k] is not None)
        order = np.argsort(-fused, axis=1)[:, :3]
        value = float(np.mean(order[:, 0] == gold)) + 0.5 * float(np.mean((order == gold[:, None]).any(axis=1)))
        if best is None or value > best[0]:
            best = (value, weights)
    assert best is not None
    weights = best[1]
    total = sum(weights.values())
    fused = sum(w * channels[k] for k, w in weights.items() if channels[k] is not None) / total
    temps = [4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0]
    nll = [
        float(-np.mean(np.log(rome_model.confidence(fused, t * total)[np.arange(len(gold)), gold] + 1e-12)))
        for t in temps
    ]
    temperature = temps[int(np.argmin(nll))]
    print(f"  tuned on {len(held)} held titles: {weights}, temperature {temperature}", file=sys.stderr)
    return rome_model.Fusion(**weights, temperature=temperature, low_confidence=RECORDED_FUSION.low_confidence)


def _bucket(title: str, modulo: int) -> int:
    return int(hashlib.sha1(rome.title_key(title).encode(), usedforsecurity=False).hexdigest(), 16) % modulo


def _meta(classifier: rome.RomeClassifier, fusion: rome_model.Fusion, tuning: list[dict]) -> dict[str, object]:
    digest = hashlib.sha256(OFFERS_FILE.read_bytes()).hexdigest() if OFFERS_FILE.exists() else None
    return {
        "format": rome_model.FORMAT_VERSION,
        "codes": classifier.codes,
        "fusion": dataclasses.asdict(fusion),
        "trained_on": {"real_tuning_titles": len(tuning), "real_offers_sha256": digest},
        "sklearn": sklearn.__version__,
        "built": time.strftime("%Y-%m-%d"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Entraîne les modèles ROME livrés dans matching/data/rome_model.npz")
    parser.add_argument("--tune", action="store_true", help="re-choose fusion weights and temperature")
    parser.add_argument("--output", type=Path, default=rome_model.MODEL_FILE)
    args = parser.parse_args(argv)
    classifier = rome.RomeClassifier(use_model=False)
    offers = load_offers()
    tuning = [r for r in offers if r["split"] == "tuning"]
    if not offers:
        print(
            "offres réelles absentes (bench/real_offers.py) : modèle appris sur les appellations seules",
            file=sys.stderr,
        )
    fusion = tune(classifier, tuning) if args.tune and tuning else RECORDED_FUSION
    if not tuning:
        fusion = rome_model.Fusion(rules=0.7, title=1.0, description=0.0, temperature=fusion.temperature)
    write(args.output, train(classifier, tuning), _meta(classifier, fusion, tuning))
    print(f"modèle écrit : {args.output} ({args.output.stat().st_size // 1024} Kio)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
