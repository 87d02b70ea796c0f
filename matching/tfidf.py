"""A fitted scikit-learn ``TfidfVectorizer``'s ``transform`` without importing scikit-learn (start-up time).

Importing scikit-learn costs about 0.9 s of CPU (it pulls in ``scipy.stats`` and ``narwhals``) while a crawl
process only needs the vectorisers of the ROME model (``matching.rome_model``) to transform titles and
descriptions. ``CompactTfidf`` holds the same vocabulary, idf and options and computes the same matrix with
the same floating-point operations in the same order (counts in first-seen order then sorted columns,
``1 + log(tf)``, ``× idf``, each row divided by its sequentially summed l2 norm). ``compact_vectorizers``
swaps the vectorisers of an object for compact ones only when their options are supported **and** the
compact transform gives bit-identical results on the sample texts it is given; otherwise scikit-learn's stay.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy import sparse

_WHITE_SPACES = re.compile(r"\s\s+")
_WORD_PATTERN = r"(?u)\b\w\w+\b"
#: TfidfVectorizer options with the value(s) this module reproduces
_SUPPORTED: dict[str, tuple[object, ...]] = {
    "input": ("content",),
    "encoding": ("utf-8",),
    "decode_error": ("strict",),
    "strip_accents": (None, "unicode"),
    "lowercase": (True, False),
    "preprocessor": (None,),
    "tokenizer": (None,),
    "stop_words": (None,),
    "token_pattern": (_WORD_PATTERN,),
    "analyzer": ("word", "char_wb"),
    "binary": (False,),
    "norm": ("l2",),
    "use_idf": (True,),
}


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


class CompactTfidf:
    """``transform`` of a fitted ``TfidfVectorizer`` (word or char_wb n-grams, l2 norm); see module."""

    def __init__(self, params: dict[str, Any], vocabulary: dict[str, int], idf: np.ndarray) -> None:
        self.analyzer = str(params["analyzer"])
        self.min_n, self.max_n = (int(n) for n in params["ngram_range"])
        self.lowercase = bool(params["lowercase"])
        self.strip_accents = params["strip_accents"] == "unicode"
        self.sublinear_tf = bool(params["sublinear_tf"])
        self.dtype = np.dtype(params["dtype"])
        self.vocabulary_ = vocabulary
        self.idf_ = idf
        self._tokens = re.compile(_WORD_PATTERN)

    @classmethod
    def supports(cls, params: dict[str, Any]) -> bool:
        """True when every option of ``params`` (a vectoriser's ``get_params()``) is reproduced here."""
        return all(params.get(name, values[0]) in values for name, values in _SUPPORTED.items())

    def _features(self, doc: str) -> list[str]:
        if self.lowercase:
            doc = doc.lower()
        if self.strip_accents:
            doc = _strip_accents(doc)
        if self.analyzer == "char_wb":
            return self._char_wb(_WHITE_SPACES.sub(" ", doc))
        return self._word_ngrams(self._tokens.findall(doc))

    def _word_ngrams(self, tokens: list[str]) -> list[str]:
        min_n, max_n = self.min_n, self.max_n
        if max_n == 1:
            return tokens
        grams = list(tokens) if min_n == 1 else []
        for n in range(max(min_n, 2), min(max_n + 1, len(tokens) + 1)):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams

    def _char_wb(self, doc: str) -> list[str]:
        grams: list[str] = []
        add = grams.extend
        sizes = range(self.min_n, self.max_n + 1)
        for word in doc.split():
            word = f" {word} "
            length = len(word)
            for n in sizes:
                if length <= n:  # a short word is counted once
                    grams.append(word[:n])
                    break
                add([word[i : i + n] for i in range(length - n + 1)])
        return grams

    def transform(self, docs: Iterable[str]) -> sparse.csr_matrix:
        """The l2-normalised TF-IDF rows of ``docs`` (float64 CSR, sorted column indices)."""
        vocabulary = self.vocabulary_
        indices: list[int] = []
        values: list[int] = []
        indptr = [0]
        lookup = vocabulary.get
        for doc in docs:
            counter = Counter([j for j in map(lookup, self._features(doc)) if j is not None])
            indices.extend(counter)
            values.extend(counter.values())
            indptr.append(len(indices))
        matrix = sparse.csr_matrix(
            (
                np.asarray(values, dtype=np.intc),
                np.asarray(indices, dtype=np.int32),
                np.asarray(indptr, dtype=np.int32),
            ),
            shape=(len(indptr) - 1, len(vocabulary)),
            dtype=self.dtype,
        )
        matrix.sort_indices()
        data = matrix.data
        if self.sublinear_tf:
            np.log(data, data)
            data += 1.0
        data *= self.idf_[matrix.indices]
        bounds = matrix.indptr.tolist()
        for start, end in zip(bounds, bounds[1:], strict=False):
            if end > start:
                row = data[start:end]
                total = np.cumsum(row * row)[-1]  # sequential sum, as scikit-learn's l2 normaliser
                if total != 0:
                    row /= np.sqrt(total)
        return matrix


def _is_sklearn_tfidf(value: object) -> bool:
    cls = type(value)
    return cls.__name__ == "TfidfVectorizer" and cls.__module__.startswith("sklearn.")


def compact_vectorizers(owner: object, samples: list[str]) -> list[str]:
    """Replace the fitted ``TfidfVectorizer`` attributes of ``owner`` by ``CompactTfidf`` equivalents when
    supported and bit-identical on ``samples``; returns the names of the attributes replaced."""
    replaced = []
    for name, value in list(getattr(owner, "__dict__", {}).items()):  # a slotted object keeps its own
        if not _is_sklearn_tfidf(value):
            continue
        params = value.get_params()
        if not CompactTfidf.supports(params):
            continue
        compact = CompactTfidf(params, dict(value.vocabulary_), np.asarray(value.idf_))
        if _same(value.transform(samples), compact.transform(samples)):
            setattr(owner, name, compact)
            replaced.append(name)
    return replaced


def _same(expected: Any, got: sparse.csr_matrix) -> bool:
    expected = sparse.csr_matrix(expected)
    return (
        expected.shape == got.shape
        and expected.dtype == got.dtype
        and np.array_equal(expected.indptr, got.indptr)
        and np.array_equal(expected.indices, got.indices)
        and np.array_equal(expected.data, got.data)
    )
