"""The supervised part of the ROME classifier: linear models shipped in ``matching/data/rome_model.npz``.

Two linear models (scikit-learn ``SGDClassifier``, modified Huber loss, one-vs-rest over the 532 codes):

- **title model** on word 1–2-grams + character 2–5-grams (TF-IDF, sublinear tf) of the *prepared* title
  (``RomeClassifier.prepare``: gender marks dropped, acronyms expanded, typos corrected, noise words removed),
  trained on the ROME appellations plus the tuning part of real France Travail offer titles with the code the
  employer chose (``tests/data/real_offers``);
- **description model** on word unigrams of the offer description, trained on the tuning descriptions.

Only the weights ship (sparsified: the smallest weights are dropped, see ``bench/rome_train.py``), with the
vocabularies and idf of the vectorisers, and the fusion weights and calibration temperature chosen on the
tuning part. Rebuild with ``PYTHONPATH=. python -m bench.rome_train``. Nothing is downloaded at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

MODEL_FILE = Path(__file__).resolve().parent / "data" / "rome_model.npz"
FORMAT_VERSION = 2  # 2: fusion weights ``profile`` and ``prior`` and the ``code_prior`` array
READABLE_FORMATS = frozenset({1, 2})

WORD_PARAMS: dict[str, object] = {"analyzer": "word", "ngram_range": (1, 2), "sublinear_tf": True}
CHAR_PARAMS: dict[str, object] = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True}
DESC_PARAMS: dict[str, object] = {"analyzer": "word", "sublinear_tf": True, "strip_accents": "unicode"}


@dataclass(frozen=True, slots=True)
class Fusion:
    """How the channels are added (weights chosen on the tuning part) and the confidence temperature."""

    rules: float = 1.0  # the rule-based title (+ description) scores of ``RomeClassifier``
    title: float = 0.0  # the title model, each row rescaled to [0, 1]
    description: float = 0.0  # the description model, rescaled likewise
    profile: float = 0.0  # the rules' description profiles (titles + skills of each code), when a description is given
    prior: float = 0.0  # how often employers chose each code in the tuning offers (``code_prior``, in [0, 1])
    temperature: float = 10.0  # softmax temperature turning fused scores into a confidence
    low_confidence: float = 0.5  # below this the best code is shown as uncertain


def vectorizer(params: dict[str, object], vocabulary: list[str], idf: np.ndarray) -> TfidfVectorizer:
    """A fitted TF-IDF vectoriser rebuilt from its vocabulary and idf (no pickle)."""
    # Imported here: scikit-learn costs ~0.9 s of CPU, and a crawl loads the prebuilt classifier (matching.cache).
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415

    vec = TfidfVectorizer(vocabulary={term: i for i, term in enumerate(vocabulary)}, **params)  # type: ignore[arg-type]
    vec.idf_ = idf
    return vec


class LinearModels:
    """Loaded models: ``title_scores`` / ``description_scores`` give n × len(codes) arrays in ``codes`` order."""

    def __init__(self, path: Path = MODEL_FILE) -> None:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") not in READABLE_FORMATS:
                raise ValueError(f"{path}: format {meta.get('format')} (expected {FORMAT_VERSION})")
            self.meta = meta
            self.codes: list[str] = list(meta["codes"])
            self.fusion = Fusion(**meta["fusion"])
            self._word = vectorizer(WORD_PARAMS, list(data["word_vocab"]), data["word_idf"])
            self._char = vectorizer(CHAR_PARAMS, list(data["char_vocab"]), data["char_idf"])
            self._title_coef = _csr(data, "title")
            self._title_bias = data["title_bias"].astype(np.float32)
            # log share of each code among the employers' choices, rescaled to [0, 1]; zeros when absent
            self.code_prior = (
                data["code_prior"].astype(np.float32)
                if "code_prior" in data.files
                else np.zeros(len(self.codes), dtype=np.float32)
            )
            self._desc: TfidfVectorizer | None = None
            if "desc_vocab" in data.files:
                self._desc = vectorizer(DESC_PARAMS, list(data["desc_vocab"]), data["desc_idf"])
                self._desc_coef = _csr(data, "desc")
                self._desc_bias = data["desc_bias"].astype(np.float32)

    def title_scores(self, prepared: list[str]) -> np.ndarray:
        """Decision values of the title model for prepared titles (words joined by spaces)."""
        features = sparse.hstack([self._word.transform(prepared), self._char.transform(prepared)], format="csr")
        return _rescale((features @ self._title_coef).toarray() + self._title_bias)

    def description_scores(self, descriptions: list[str]) -> np.ndarray | None:
        if self._desc is None:
            return None
        return _rescale((self._desc.transform(descriptions) @ self._desc_coef).toarray() + self._desc_bias)


def code_prior(codes: list[str], chosen: list[str]) -> np.ndarray:
    """Log share of each code among ``chosen`` (add-one smoothed), rescaled to [0, 1], in ``codes`` order."""
    index = {c: i for i, c in enumerate(codes)}
    counts = np.bincount([index[c] for c in chosen if c in index], minlength=len(codes)).astype(np.float64)
    log_share = np.log((counts + 1.0) / (counts.sum() + len(codes)))
    span = max(float(log_share.max() - log_share.min()), 1e-9)
    return ((log_share - log_share.min()) / span).astype(np.float32)


def _csr(data: np.lib.npyio.NpzFile, name: str) -> sparse.csr_matrix:
    """A (features × codes) weight matrix stored as CSR arrays."""
    return sparse.csr_matrix(
        (data[f"{name}_data"].astype(np.float32), data[f"{name}_indices"], data[f"{name}_indptr"]),
        shape=tuple(data[f"{name}_shape"]),
    )


def _rescale(values: np.ndarray) -> np.ndarray:
    """Each row mapped to [0, 1] (min → 0, max → 1) so that the channels can be added."""
    low = values.min(axis=1, keepdims=True)
    span = np.maximum(values.max(axis=1, keepdims=True) - low, 1e-9)
    return ((values - low) / span).astype(np.float32)


def confidence(fused: np.ndarray, temperature: float | np.ndarray) -> np.ndarray:
    """Softmax of fused scores (rows), i.e. a probability per code calibrated by ``temperature`` (or one per row)."""
    z = fused * temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@lru_cache(maxsize=1)
def load() -> LinearModels | None:
    """The shipped models, or None when the file is missing (the rule-based classifier then works alone)."""
    if not MODEL_FILE.exists():
        return None
    return LinearModels(MODEL_FILE)
