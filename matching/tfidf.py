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
from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy import sparse

_WHITE_SPACES = re.compile(r"\s\s+")
_WORD_PATTERN = r"(?u)\b\w\w+\b"
_BLOCK_CELLS = 4_000_000  # most cells of the zero-padded block of squares (32 MB), else row by row
_MEMO_WORDS = 200_000  # words whose char_wb ids are remembered (then the memo starts again)
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


#: runs of characters from U+0300 on: the only ones that can be combining marks
_MAYBE_COMBINING = re.compile("[\u0300-\U0010ffff]+")


def _drop_combining(match: re.Match[str]) -> str:
    return "".join(c for c in match.group(0) if not unicodedata.combining(c))


def _strip_accents(text: str) -> str:
    """scikit-learn's ``strip_accents_unicode``: NFKD, combining marks removed (only non-ASCII runs examined)."""
    if text.isascii():
        return text
    return _MAYBE_COMBINING.sub(_drop_combining, unicodedata.normalize("NFKD", text))


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

    def _ids(self, doc: str) -> list[int]:
        """Vocabulary ids of the features of ``doc`` that are in the vocabulary, with repeats."""
        lookup = self.vocabulary_.get
        if self.analyzer != "char_wb":
            return [j for j in map(lookup, self._features(doc)) if j is not None]
        # char_wb n-grams never cross a word: each word's ids are computed once (titles share their words)
        if self.lowercase:
            doc = doc.lower()
        if self.strip_accents:
            doc = _strip_accents(doc)
        memo = self.__dict__.get("_word_ids")
        if memo is None or len(memo) > _MEMO_WORDS:
            memo = self.__dict__["_word_ids"] = {}
        ids: list[int] = []
        for word in _WHITE_SPACES.sub(" ", doc).split():
            found = memo.get(word)
            if found is None:
                found = memo[word] = [j for j in map(lookup, self._char_wb(word)) if j is not None]
            ids.extend(found)
        return ids

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_word_ids", None)  # a memo, not part of the fitted vectoriser
        return state

    def transform(self, docs: Iterable[str]) -> sparse.csr_matrix:
        """The l2-normalised TF-IDF rows of ``docs`` (float64 CSR, sorted column indices).

        Counts per (row, column) with one ``np.unique`` over the batch; each row's l2 norm is the sequential
        sum of its squares (``np.cumsum`` along the rows of a zero-padded block: adding zeros changes nothing),
        as scikit-learn's normaliser and this module's first, row-by-row version computed it.
        """
        ids: list[int] = []
        lengths: list[int] = []
        for doc in docs:
            found = self._ids(doc)
            ids.extend(found)
            lengths.append(len(found))
        n_docs, width = len(lengths), len(self.vocabulary_)
        keys = np.repeat(np.arange(n_docs, dtype=np.int64), lengths) * width + np.asarray(ids, dtype=np.int64)
        unique, counts = np.unique(keys, return_counts=True)
        rows = unique // width
        indptr = np.zeros(n_docs + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
        matrix = sparse.csr_matrix(
            (counts.astype(np.intc), (unique - rows * width).astype(np.int32), indptr),
            shape=(n_docs, width),
            dtype=self.dtype,
        )
        data = matrix.data
        if self.sublinear_tf:
            np.log(data, data)
            data += 1.0
        data *= self.idf_[matrix.indices]
        _l2_rows(data, matrix.indptr)
        return matrix


def _l2_rows(data: np.ndarray, indptr: np.ndarray) -> None:
    """Divide each CSR row by its l2 norm (in place), the squares summed sequentially; empty rows unchanged."""
    lengths = np.diff(indptr)
    if not data.size:
        return
    if len(lengths) * int(lengths.max()) > _BLOCK_CELLS:  # one very long document: row by row
        bounds = indptr.tolist()
        for start, end in zip(bounds, bounds[1:], strict=False):
            if end > start:
                row = data[start:end]
                total = np.cumsum(row * row)[-1]
                if total != 0:
                    row /= np.sqrt(total)
        return
    block = np.zeros((len(lengths), int(lengths.max())), dtype=data.dtype)
    mask = np.arange(block.shape[1]) < lengths[:, None]
    block[mask] = data * data
    totals = np.cumsum(block, axis=1)[:, -1]
    norms = np.sqrt(totals)
    norms[totals == 0] = 1.0
    data /= np.repeat(norms, lengths)


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
