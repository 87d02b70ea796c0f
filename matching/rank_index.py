"""The offer index: fitted TF-IDF vectorizers (``TextModel``) and offers in columnar form (``OfferIndex``:
scipy CSC float32 matrices, so a query only touches the columns of its own terms, and numpy attribute arrays).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.rank_docs import LICENCE, OfferDoc
from matching.rank_terms import ABBREVIATIONS, char_preprocessor, term, word_analyzer
from matching.text import strip_gender_marks, tokens


@dataclass(slots=True)
class TextModel:
    """The fitted vectorizers (vocabulary and IDF) and the title words used to correct typos.

    Fitted once on an offer corpus; blocks of a large corpus can share it.
    """

    words: TfidfVectorizer
    chars: TfidfVectorizer
    title_words: list[str]
    _char_analyzer: Any = None

    @classmethod
    def fit(cls, offers: Sequence[OfferDoc]) -> TextModel:
        words = TfidfVectorizer(analyzer=word_analyzer, sublinear_tf=True, dtype=np.float32, min_df=1, norm="l2")
        chars = TfidfVectorizer(
            analyzer="char_wb",
            preprocessor=char_preprocessor,
            ngram_range=(3, 5),
            sublinear_tf=True,
            dtype=np.float32,
            norm="l2",
        )
        words.fit([_offer_body(o) for o in offers] or ["vide"])
        chars.fit([o.title for o in offers] or ["vide"])
        vocabulary = {w for o in offers for w in tokens(strip_gender_marks(o.title)) if len(w) >= 4 and w.isalpha()}
        return cls(words=words, chars=chars, title_words=sorted(vocabulary))

    def vectorize(self, texts: Sequence[str], kind: str = "words") -> sparse.csr_matrix:
        """TF-IDF vectors of a few short query texts (same weighting as the fitted vectorizer, without its
        per-call overhead: queries are a handful of words)."""
        vectorizer = self.words if kind == "words" else self.chars
        if kind == "words":
            analyzer = word_analyzer
        else:
            if self._char_analyzer is None:
                self._char_analyzer = self.chars.build_analyzer()
            analyzer = self._char_analyzer
        vocabulary, idf = vectorizer.vocabulary_, vectorizer.idf_
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for text in texts:
            counts: dict[int, int] = {}
            for token in analyzer(text):
                column = vocabulary.get(token)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            weights = [(1.0 + math.log(c)) * idf[column] for column, c in counts.items()]
            norm = math.sqrt(sum(v * v for v in weights)) or 1.0
            indices.extend(counts)
            data.extend(v / norm for v in weights)
            indptr.append(len(indices))
        return sparse.csr_matrix(
            (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int32)),
            shape=(len(texts), len(vocabulary)),
        )

    def correct(self, text: str) -> str:
        """``text`` with each word unknown to the corpus replaced by the closest title word (typos)."""
        known = self.words.vocabulary_
        out = []
        for word in tokens(strip_gender_marks(text)):
            if len(word) >= 5 and word.isalpha() and term(word) not in known and word not in ABBREVIATIONS:
                word = _closest(word, tuple(self.title_words)) or word
            out.append(word)
        return " ".join(out)


@lru_cache(maxsize=50_000)
def _closest(word: str, vocabulary: tuple[str, ...]) -> str | None:
    from rapidfuzz import fuzz, process  # noqa: PLC0415

    found = process.extractOne(word, vocabulary, scorer=fuzz.ratio, score_cutoff=85)
    return found[0] if found else None


def _offer_body(offer: OfferDoc) -> str:
    return f"{offer.title}. {offer.rome_label or ''}. {offer.description[:4000]}"


class _Codes:
    """A categorical column: integer codes (−1 = unknown) and the value → code mapping."""

    __slots__ = ("codes", "mapping")

    def __init__(self, values: Sequence[str | None]) -> None:
        self.mapping: dict[str, int] = {}
        codes = np.empty(len(values), dtype=np.int32)
        for i, value in enumerate(values):
            codes[i] = self.mapping.setdefault(value, len(self.mapping)) if value else -1
        self.codes = codes

    def isin(self, wanted: Iterable[str], rows: np.ndarray | None = None) -> np.ndarray:
        """Boolean mask of the rows (all, or ``rows``) whose value is in ``wanted``."""
        ids = [self.mapping[w] for w in wanted if w in self.mapping]
        codes = self.codes if rows is None else self.codes[rows]
        if not ids:
            return np.zeros(codes.shape[0], dtype=bool)
        if len(ids) == 1:
            return codes == ids[0]
        return np.isin(codes, np.array(ids, dtype=np.int32))

    def known(self, rows: np.ndarray) -> np.ndarray:
        return self.codes[rows] >= 0


class OfferIndex:
    """Offers in columnar form: sparse TF-IDF matrices (CSC, float32) and numpy attribute arrays."""

    def __init__(self, offers: Sequence[OfferDoc], model: TextModel | None = None) -> None:
        self.offers = list(offers)
        self.model = model or TextModel.fit(self.offers)
        titles = [o.title for o in self.offers] or [""]
        self.title_words = self._csc(self.model.words.transform(titles))
        self.title_chars = self._csc(self.model.chars.transform(titles))
        self.body_words = self._csc(self.model.words.transform([_offer_body(o) for o in self.offers] or [""]))
        if not self.offers:  # keep the matrices' row count equal to the number of offers
            self.title_words, self.title_chars, self.body_words = (
                m[:0] for m in (self.title_words, self.title_chars, self.body_words)
            )
        n = len(self.offers)
        self.ids = np.array([o.id for o in self.offers], dtype=object)
        self.lat = np.array([o.lat if o.lat is not None else np.nan for o in self.offers], dtype=np.float64)
        self.lon = np.array([o.lon if o.lon is not None else np.nan for o in self.offers], dtype=np.float64)
        self.insee = _Codes([o.insee for o in self.offers])
        self.epci = _Codes([o.epci for o in self.offers])
        self.departement = _Codes([o.departement for o in self.offers])
        self.rome = _Codes([o.rome_code for o in self.offers])
        self.rome_domain = _Codes([(o.rome_code or "")[:3] for o in self.offers])
        self.rome_grand = _Codes([(o.rome_code or "")[:1] for o in self.offers])
        self.contract = _Codes([o.contract_type for o in self.offers])
        self.working_time = _Codes([o.working_time for o in self.offers])
        self.remote_full = np.array([str(o.remote or "").lower() in ("full", "total", "100") for o in self.offers])
        self.published = np.array(
            [o.published_at.timestamp() if o.published_at else np.nan for o in self.offers], dtype=np.float64
        )
        self.expires = np.array(
            [o.expires_at.timestamp() if o.expires_at else np.nan for o in self.offers], dtype=np.float64
        )
        self.status_open = (
            np.array(
                [o.status == "open" and (o.expires_at is not None or "expired" not in o.flags) for o in self.offers],
                dtype=bool,
            )
            if n
            else np.zeros(0, dtype=bool)
        )
        self.asks_licence = np.array([bool(LICENCE.search(o.description or "")) for o in self.offers], dtype=bool)
        self.position = {o.id: i for i, o in enumerate(self.offers)}

    @staticmethod
    def _csc(matrix: sparse.spmatrix) -> sparse.csc_matrix:
        return sparse.csc_matrix(matrix, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.offers)

    def coverage(self, phrases: Sequence[Sequence[str]], rows: np.ndarray) -> np.ndarray:
        """Share of ``phrases`` (each a list of index terms: one skill or diploma) found in the text of each of
        ``rows``; a phrase is found when at least two thirds of its terms are (read from the CSC columns)."""
        found = np.zeros(len(self.offers), dtype=np.float32)
        vocabulary, matrix = self.model.words.vocabulary_, self.body_words
        for terms in phrases:
            columns = [vocabulary[t] for t in terms if t in vocabulary]
            if not columns:
                continue
            counts = np.zeros(len(self.offers), dtype=np.int32)
            for column in columns:
                counts[matrix.indices[matrix.indptr[column] : matrix.indptr[column + 1]]] += 1
            found += counts >= max(1, math.ceil(len(terms) * 2 / 3))
        return found[rows] / max(1, len(phrases))

    # ---- similarity -------------------------------------------------------------------------------

    @staticmethod
    def _column_scores(matrix: sparse.csc_matrix, queries: sparse.csr_matrix) -> np.ndarray:
        """Cosine of every row of ``matrix`` with each query row (both L2-normalised): N × q dense.

        Reads only the columns of the query terms, straight from the CSC arrays (a scipy column slice costs
        more in checks than in work for a five-word query)."""
        n = matrix.shape[0]
        cols = np.unique(queries.indices)
        out = np.zeros((n, queries.shape[0]), dtype=np.float32)
        if cols.size == 0 or n == 0:
            return out
        starts, ends = matrix.indptr[cols], matrix.indptr[cols + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return out
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        positions = offsets + np.arange(total)
        rows, values = matrix.indices[positions], matrix.data[positions]
        which = np.repeat(np.arange(cols.size), lengths)
        for j in range(queries.shape[0]):
            lo, hi = queries.indptr[j], queries.indptr[j + 1]
            if lo == hi:
                continue
            weights = np.zeros(cols.size, dtype=np.float32)
            weights[np.searchsorted(cols, queries.indices[lo:hi])] = queries.data[lo:hi]
            out[:, j] = np.bincount(rows, weights=values * weights[which], minlength=n)
        return out

