"""ROME classifier: a job title (and optionally its description) → ranked ROME codes with scores.

The index is built at load time from the ROME open data in ``matching/data/``: the 13,120 job titles
("appellations", each written "Masculin / Féminin") of the 532 codes that job offers carry (e.g. J1501),
the code labels, and the skills of each code (for descriptions).

How a title is scored (see docs/rome.md for the evaluation):

1. **Title preparation** (same for reference titles and queries): the masculine and feminine forms are split
   ("Aide-soignant / Aide-soignante à domicile" → "Aide-soignant à domicile", "Aide-soignante à domicile"),
   gender marks dropped ("(e)", "·e", "H/F", "/euse"…), words folded (accents, œ/æ), elisions and stop words
   removed. For queries only: acronyms of the field are expanded (``matching.abbreviations``: ASH, IDE,
   AMP…), noise words dropped (contract types, "de nuit", "URGENT", numbers, place names), and unknown words
   corrected to the nearest word of the ROME vocabulary (rapidfuzz) to absorb typos.
2. **Three similarity channels** between the query and every reference title: cosine of word-level TF-IDF
   over Snowball stems (unigrams + bigrams), cosine of character n-gram TF-IDF (3–5-grams inside words, robust
   to typos and unknown inflections), and a head-noun match (the first content word of a French job title is
   its head: "*Cuisinier* de collectivité").
3. **Fusion per code**: a weighted sum of the channels per reference title, principal titles slightly
   favoured, then the best reference title of each code gives the code's score. A description, when given,
   adds a weaker signal: word TF-IDF against a profile of each code (all its titles and skills).

Scores are in [0, 1]; they rank codes for one title and are not calibrated probabilities.

Title preparation (step 1) lives in ``matching.rome_titles``. Size (issue 20): still a little over 600 lines
because ``RomeClassifier`` is one model (index build, channels, fusion) whose steps share its arrays.
"""

from __future__ import annotations

import copy
import csv
import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from scipy import sparse

from matching import rome_model
from matching.abbreviations import ABBREVIATIONS, AMBIGUOUS_SHORT, STRUCTURES
from matching.cache import cached_build
from matching.rome_aliases import ALIASES
from matching.rome_titles import DE_CAPITALS as _DE_CAPITALS
from matching.rome_titles import NOISE_WORDS as NOISE_WORDS
from matching.rome_titles import STATE_DIPLOMA as _STATE_DIPLOMA
from matching.rome_titles import char_features as _char_features
from matching.rome_titles import clean_markup as _clean_markup
from matching.rome_titles import content_words as _content
from matching.rome_titles import gender_forms as gender_forms
from matching.rome_titles import plain_words as _plain_words
from matching.rome_titles import query_forms as _query_forms
from matching.rome_titles import raw_words as _raw_words
from matching.rome_titles import strip_all_gender as _strip_all_gender
from matching.rome_titles import title_key as title_key  # re-exported (services.real_offers, tests)
from matching.rome_titles import word_features as _word_features
from matching.rome_titles import word_stems as _stems
from matching.text import FRENCH_STOP_WORDS, stem

DATA_DIR = Path(__file__).resolve().parent / "data"

_CODE_RE = re.compile(r"^[A-N]\d{4}$")
GENERIC_CODES = 6  # a lone title word heading titles of more codes than this is generic (confidence lowered)


@dataclass(frozen=True, slots=True)
class RomeMatch:
    """One ROME code proposed for a title, with its label and score (higher is better, in [0, 1])."""

    code: str
    label: str
    score: float
    confidence: float | None = None  # calibrated probability that this is the employer's code (model shipped)

    @property
    def uncertain(self) -> bool:
        """True when the calibrated confidence is below the threshold chosen on the tuning data."""
        return self.confidence is not None and self.confidence < _low_confidence()

    def as_dict(self) -> dict[str, object]:
        value: dict[str, object] = {"code": self.code, "label": self.label, "score": round(self.score, 4)}
        if self.confidence is not None:
            value["confidence"] = round(self.confidence, 3)
            value["uncertain"] = self.uncertain
        return value


@dataclass(frozen=True, slots=True)
class Weights:
    """Fusion weights of the channels (tuned on the development split of tests/data/rome_eval)."""

    word: float = 0.45
    char: float = 0.40
    head: float = 0.20
    principal: float = 0.03  # relative boost of principal titles and code labels
    description: float = 0.20  # share of the description channel when a description is given
    description_floor: float = 0.3  # a description's best cosine below this lowers its weight proportionally
    fuzzy_cutoff: float = 80.0  # rapidfuzz ratio needed to correct an unknown word
    char_max_df: float = 0.02  # character grams found in more than this share of the titles are dropped


# --------------------------------------------------------------------------------------------- reference data


@lru_cache(maxsize=1)
def _codes() -> dict[str, dict[str, str]]:
    with (DATA_DIR / "rome_codes.csv").open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


@lru_cache(maxsize=1)
def _domain_labels() -> dict[str, str]:
    with (DATA_DIR / "rome_domaines.csv").open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["label"] for row in csv.DictReader(handle)}


def rome_label(code: str | None) -> str | None:
    """Label of a 532-level ROME code ("J1501" → "Aide-soignant / Aide-soignante"), None if unknown."""
    if not code:
        return None
    row = _codes().get(str(code).strip().upper())
    return row["label"] if row else None


def rome_domain(code: str | None) -> str:
    """The domaine professionnel of a ROME code: its first three characters ("J1501" → "J15"); "" if invalid."""
    value = str(code or "").strip().upper()
    return value[:3] if _CODE_RE.match(value) else ""


def grand_domain(code: str | None) -> str:
    """The grand domaine of a ROME code: its letter ("J1501" → "J"); "" if invalid."""
    value = str(code or "").strip().upper()
    return value[:1] if _CODE_RE.match(value) else ""


def domain_label(code: str | None) -> str | None:
    """Label of a grand domaine ("J") or domaine professionnel ("J15"), also accepting a full code."""
    value = str(code or "").strip().upper()
    if _CODE_RE.match(value):
        value = value[:3]
    return _domain_labels().get(value)


# --------------------------------------------------------------------------------------------- vector space


class _Space:
    """A TF-IDF space over string features: vocabulary, idf, and l2-normalised sparse rows."""

    def __init__(self, docs: list[list[str]], *, sublinear: bool = False, max_df: float = 1.0) -> None:
        self.sublinear = sublinear
        # One pass: feature ids assigned on the fly, document frequencies from the count matrix.
        found: dict[str, int] = {}
        assign = found.setdefault
        indptr = [0]
        indices: list[int] = []
        for feats in docs:
            indices.extend(assign(f, len(found)) for f in feats)
            indptr.append(len(indices))
        counts = sparse.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
            shape=(len(docs), len(found)),
        )
        counts.sum_duplicates()
        df = np.bincount(counts.indices, minlength=len(found))
        keep = df <= max_df * len(docs)
        new_id = np.cumsum(keep) - 1
        names = list(found)
        self.vocabulary = {names[j]: int(new_id[j]) for j in np.flatnonzero(keep).tolist()}
        self.idf = (np.log((1 + len(docs)) / (1 + df[keep])) + 1.0).astype(np.float32)
        self.matrix = self._weigh(counts[:, np.flatnonzero(keep)].tocsr())

    def vector(self, feats: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """One l2-normalised TF-IDF row as (column indices, values), without building a sparse matrix."""
        counts = Counter(j for j in map(self.vocabulary.get, feats) if j is not None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        if self.sublinear:
            tf = 1.0 + np.log(tf)
        values = tf * self.idf[cols]
        return cols, values / np.float32(np.sqrt(np.dot(values, values)))

    def transform(self, docs: list[list[str]]) -> sparse.csr_matrix:
        """l2-normalised TF-IDF rows of feature lists (unknown features ignored)."""
        vocab = self.vocabulary
        indptr = [0]
        indices: list[int] = []
        for feats in docs:
            indices.extend(j for j in map(vocab.get, feats) if j is not None)
            indptr.append(len(indices))
        counts = sparse.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
            shape=(len(docs), len(vocab)),
        )
        counts.sum_duplicates()
        return self._weigh(counts)

    def _weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Raw counts → l2-normalised TF-IDF (in place)."""
        if self.sublinear:
            counts.data = 1.0 + np.log(counts.data)
        counts.data *= self.idf[counts.indices]
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        counts.data /= np.repeat(norms, np.diff(counts.indptr)).astype(np.float32)
        return counts


@dataclass(slots=True)
class _Query:
    """A prepared query: content words after expansion, correction and noise removal."""

    words: list[str]
    head: str | None


class RomeClassifier:
    """In-memory index of the ROME titles; build it once with :func:`get_classifier`."""

    def __init__(self, weights: Weights | None = None, *, use_model: bool = True) -> None:
        self.weights = weights or Weights()
        self.models = rome_model.load() if use_model else None
        self._lock = threading.Lock()
        codes = _codes()
        self.codes: list[str] = sorted(codes)
        self.labels: dict[str, str] = {c: codes[c]["label"] for c in self.codes}
        code_index = {c: i for i, c in enumerate(self.codes)}

        # Reference titles: (code, words, principal) per distinct form, sorted by code for reduceat.
        seen: set[tuple[str, str]] = set()
        refs: list[tuple[int, list[str], bool, str]] = []

        def add(code: str, text: str, principal: bool) -> None:
            if any(mark in text for mark in "(/·•."):
                text = _strip_all_gender(text)
            words = _content(_plain_words(text))
            key = (code, " ".join(words))
            if not words or key in seen:
                return
            seen.add(key)
            refs.append((code_index[code], words, principal, text))

        for code, row in codes.items():
            for form in gender_forms(row["label"]):
                add(code, form, True)
            add(code, row["label_v3"], False)
        for alias, code in ALIASES:
            for form in gender_forms(alias):
                add(code, form, True)
        with (DATA_DIR / "rome_appellations.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                code = row["code"]
                if code not in code_index:
                    continue
                principal = row["principale"] == "1"
                for form in gender_forms(row["appellation"]):
                    add(code, form, principal)
                for form in gender_forms(row["appellation_court"]):
                    add(code, form, principal)
        refs.sort(key=lambda r: r[0])
        self._ref_code = np.array([r[0] for r in refs], dtype=np.int32)
        self._ref_text = [r[3] for r in refs]
        ref_words = [r[1] for r in refs]
        ref_stems = [_stems(w) for w in ref_words]
        self._word_space = _Space([_word_features(s) for s in ref_stems])
        # Character grams shared by many titles ("eur ", " ch") weigh little and cost most: dropped.
        self._char_space = _Space([_char_features(w) for w in ref_words], max_df=self.weights.char_max_df)
        heads = sorted({s[0] for s in ref_stems})
        self._head_index = {h: i for i, h in enumerate(heads)}
        self._head_matrix = sparse.csr_matrix(
            (np.ones(len(refs), dtype=np.float32), ([self._head_index[s[0]] for s in ref_stems], np.arange(len(refs)))),
            shape=(len(heads), len(refs)),
        ).T.tocsr()
        self._principal = np.array([r[2] for r in refs], dtype=bool)
        self._combine()

        # Vocabulary for typo correction: folded words of the reference titles (and of the expansions).
        vocab: set[str] = {w for words in ref_words for w in words}
        for expansion in ABBREVIATIONS.values():
            vocab.update(expansion.split())
        vocab.update(ABBREVIATIONS)
        self._vocab = vocab
        self._vocab_list = sorted(w for w in vocab if len(w) >= 3 and not w.isdigit())
        self._places = _place_words() - vocab

        self._ref_words = ref_words
        self._profile: tuple[_Space, sparse.csr_matrix] | None = None
        # How many codes have reference titles headed by each word ("operateur": dozens, "boulanger": one).
        head_codes: dict[str, set[int]] = {}
        for code_i, words in zip(self._ref_code.tolist(), ref_words, strict=True):
            head_codes.setdefault(words[0], set()).add(code_i)
        self._head_spread = {word: len(codes) for word, codes in head_codes.items()}

    def _profiles(self) -> tuple[_Space, sparse.csr_matrix]:
        """Description channel (built on first use): one profile per code (titles + skills), sublinear tf."""
        if self._profile is None:
            with self._lock:
                if self._profile is None:
                    code_index = {c: i for i, c in enumerate(self.codes)}
                    profile: dict[int, list[str]] = {i: [] for i in range(len(self.codes))}
                    for code_i, words in zip(self._ref_code.tolist(), self._ref_words, strict=True):
                        profile[code_i].extend(words)
                    with (DATA_DIR / "rome_skills.csv").open(encoding="utf-8", newline="") as handle:
                        for row in csv.DictReader(handle):
                            i = code_index.get(row["code"])
                            if i is not None and row["type"] in ("savoir_faire", "savoir"):
                                profile[i].extend(_content(_plain_words(row["skill"])))
                    space = _Space([_stems(profile[i]) for i in range(len(self.codes))], sublinear=True)
                    self._profile = (space, space.matrix.T.tocsr())
        return self._profile

    def _combine(self) -> None:
        """One transposed index for the three title channels, channel weights included (one product per batch)."""
        w = self.weights
        total = w.word + w.char + w.head
        blocks = [
            self._word_space.matrix.T * (w.word / total),
            self._char_space.matrix.T * (w.char / total),
            self._head_matrix.T * (w.head / total),
        ]
        self._index_t = sparse.vstack(blocks, format="csr", dtype=np.float32)
        self._char_offset = blocks[0].shape[0]
        self._head_offset = self._char_offset + blocks[1].shape[0]
        self._ref_weight = np.where(self._principal, 1.0, 1.0 / (1.0 + w.principal)).astype(np.float32)

    def set_weights(self, weights: Weights) -> None:
        """Change the fusion weights (the spaces are kept; ``char_max_df`` needs a new classifier)."""
        self.weights = weights
        self._combine()

    # ----------------------------------------------------------------------------------------- queries

    @lru_cache(maxsize=50_000)  # noqa: B019 - one classifier per process (get_classifier)
    def _correct(self, word: str) -> str | None:
        """The ROME-title word closest to an unknown word (a typo), or None.

        Words of five letters or fewer are too short to correct safely, and words of the ROME skills (real
        French words that are simply absent from the titles, like "consultation") are never "corrected".
        """
        if len(word) < 5 or word.isdigit() or word in _skill_words():
            return None
        cutoff = self.weights.fuzzy_cutoff + (5.0 if len(word) < 7 else 0.0)
        found = process.extractOne(word, self._vocab_list, scorer=fuzz.ratio, score_cutoff=cutoff)
        return found[0] if found else None

    def prepare(self, title: str) -> _Query:
        """Analyse a query title: gender forms, acronyms, noise words, typo correction."""
        text = _clean_markup(str(title or ""))
        text = _STATE_DIPLOMA.sub(" ", text)
        if text != text.upper():
            text = _DE_CAPITALS.sub(" ", text)
        text = _strip_all_gender(_query_forms(text))
        raw = _raw_words(text)
        alone = len([w for w, _ in raw if w not in NOISE_WORDS]) <= 1
        out: list[str] = []
        for word, upper in raw:
            expansion = ABBREVIATIONS.get(word)
            if expansion is not None and (word not in AMBIGUOUS_SHORT or upper or alone):
                out.extend(expansion.split())
                if word in self._vocab:
                    out.append(word)
                continue
            if word in STRUCTURES:
                if word in self._vocab:
                    out.append(word)
                continue
            if word in NOISE_WORDS or word.isdigit():
                continue
            if word in self._vocab or word in FRENCH_STOP_WORDS:
                out.append(word)
                continue
            if word in self._places:
                continue
            out.append(self._correct(word) or word)
        words = _content(out)
        return _Query(words=words, head=stem(words[0]) if words else None)

    def _query_matrix(self, queries: list[_Query]) -> sparse.csr_matrix:
        stems = [_stems(q.words) for q in queries]
        qw = self._word_space.transform([_word_features(s) for s in stems])
        qc = self._char_space.transform([_char_features(q.words) for q in queries])
        rows, cols = [], []
        for i, q in enumerate(queries):
            j = self._head_index.get(q.head) if q.head else None
            if j is not None:
                rows.append(i)
                cols.append(j)
        qh = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(queries), len(self._head_index))
        )
        return sparse.hstack([qw, qc, qh], format="csr", dtype=np.float32)

    def _one_title_scores(self, query: _Query) -> np.ndarray:
        """``_title_scores`` for one query, with plain numpy (scipy's per-call overhead dominates otherwise)."""
        word_cols, word_vals = self._word_space.vector(_word_features(_stems(query.words)))
        char_cols, char_vals = self._char_space.vector(_char_features(query.words))
        cols = [word_cols, char_cols + self._char_offset]
        vals = [word_vals, char_vals]
        head = self._head_index.get(query.head) if query.head else None
        if head is not None:
            cols.append(np.array([head + self._head_offset]))
            vals.append(np.ones(1, dtype=np.float32))
        index = self._index_t
        docs: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        for col, value in zip(np.concatenate(cols).tolist(), np.concatenate(vals).tolist(), strict=True):
            lo, hi = index.indptr[col], index.indptr[col + 1]
            docs.append(index.indices[lo:hi])
            weights.append(index.data[lo:hi] * value)
        out = np.zeros((1, len(self.codes)), dtype=np.float32)
        if docs:
            all_docs = np.concatenate(docs)
            sims = np.bincount(all_docs, weights=np.concatenate(weights), minlength=len(self._ref_code))
            hit = np.flatnonzero(sims)
            np.maximum.at(out[0], self._ref_code[hit], (sims[hit] * self._ref_weight[hit]).astype(np.float32))
        return out

    def _title_scores(self, queries: list[_Query]) -> np.ndarray:
        """Per-code title scores (n_queries × n_codes): the best reference title of each code."""
        if len(queries) == 1:
            return self._one_title_scores(queries[0])
        sims = self._query_matrix(queries) @ self._index_t
        out = np.zeros((len(queries), len(self.codes)), dtype=np.float32)
        if sims.nnz:
            _per_code_max(out, sims, self._ref_code, self._ref_weight)
        return out

    def _description_scores(self, descriptions: list[str]) -> np.ndarray:
        docs = [_stems(_content(_plain_words(_clean_markup(d)))) for d in descriptions]
        space, matrix_t = self._profiles()
        scores = (space.transform(docs) @ matrix_t).toarray()
        # Relative to the best code (descriptions vary in length and vocabulary), but a description that
        # matches no code well (company boilerplate) keeps a proportionally smaller say.
        best = np.maximum(scores.max(axis=1, keepdims=True), self.weights.description_floor)
        return scores / best

    def scores(self, titles: list[str], descriptions: list[str | None] | None = None) -> np.ndarray:
        """Score matrix (n_titles × 532 codes, in ``self.codes`` order): rules and shipped models fused."""
        return self._fused(titles, descriptions)[0]

    def _fused(
        self, titles: list[str], descriptions: list[str | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(fused scores, calibrated probabilities or None without a model) for a batch of titles.

        A weighted mean of the channels, weights chosen on the tuning offers (``bench/rome_train.py``): rules
        (title, plus their description channel), title model, how often employers choose each code, and for
        titles with a description the description model and the rules' description profiles of the codes.
        """
        queries = [self.prepare(t) for t in titles]
        models = self.models
        if models is None or not titles:
            return self._rule_scores(queries, descriptions), None
        title_rules = self._title_scores(queries)
        rules, profile = self._mix_description(title_rules, queries, descriptions)
        fusion = models.fusion
        title_model = models.title_scores([" ".join(q.words) for q in queries])
        fused = fusion.rules * rules + fusion.title * title_model
        weight = np.full(len(titles), fusion.rules + fusion.title, dtype=np.float32)
        with_desc = [i for i, d in enumerate(descriptions or []) if d and d.strip()]
        if with_desc and descriptions is not None:
            d_scores = models.description_scores([descriptions[i] or "" for i in with_desc])
            if d_scores is not None:
                fused[with_desc] += fusion.description * d_scores
                weight[with_desc] += fusion.description
            # The prior is how employers code their *offers*: it applies to offers (a description is given),
            # not to a job named alone (a prospect's wish), where it lowered the ranking's nDCG@10.
            fused[with_desc] += fusion.profile * profile + fusion.prior * models.code_prior
            weight[with_desc] += fusion.profile + fusion.prior
            # A lone generic word ("Ouvrier H/F", "Opérateur") says little: the description decides. (Doing so
            # for every uncertain title lowered tuning accuracy@1 by 1.3 to 2.7 points: not done.)
            generic = self._generic([queries[i] for i in with_desc], None) < 1.0
            rows = [i for i, vague in zip(with_desc, generic.tolist(), strict=True) if vague]
            if rows:
                title_weight = fusion.rules + fusion.title
                fused[rows] += title_weight * profile[generic]
                weight[rows] += title_weight
        fused /= weight[:, None]
        np.clip(fused, 0.0, 1.0, out=fused)  # float32 rounding can leave 1.0000001
        # A title with no recognisable word and no description stays unclassified.
        empty = [i for i, q in enumerate(queries) if not q.words and not (descriptions and descriptions[i])]
        fused[empty] = 0.0
        probabilities = rome_model.confidence(fused, fusion.temperature * weight[:, None])
        generic = self._generic(queries, descriptions)
        return fused, probabilities * generic[:, None]

    def _generic(self, queries: list[_Query], descriptions: list[str | None] | None) -> np.ndarray:
        """Confidence factor per title: a lone generic head word ("Opérateur", "Assistant") says little.

        A one-word title whose word heads reference titles of ``n`` codes keeps ``min(1, GENERIC_CODES / n)``
        of its confidence, unless a description is there to decide.
        """
        factor = np.ones(len(queries), dtype=np.float32)
        for i, query in enumerate(queries):
            if len(query.words) == 1 and not (descriptions and descriptions[i]):
                spread = self._head_spread.get(query.words[0], 1)
                factor[i] = min(1.0, GENERIC_CODES / spread)
        return factor

    def rule_scores(self, titles: list[str], descriptions: list[str | None] | None = None) -> np.ndarray:
        """The rule-based scores alone (no shipped model): used to train and tune the models."""
        return self._rule_scores([self.prepare(t) for t in titles], descriptions)

    def _rule_scores(self, queries: list[_Query], descriptions: list[str | None] | None) -> np.ndarray:
        result = self._title_scores(queries) if queries else np.zeros((0, len(self.codes)), dtype=np.float32)
        return self._mix_description(result, queries, descriptions)[0]

    def _mix_description(
        self, title_scores: np.ndarray, queries: list[_Query], descriptions: list[str | None] | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(title scores with the rules' description channel mixed in, the description channel itself).

        The second array has one row per title with a non-blank description, in order; the first is a copy.
        """
        result = title_scores.copy()
        with_desc = [i for i, d in enumerate(descriptions or []) if d and d.strip()]
        if not with_desc or descriptions is None:
            return result, np.zeros((0, len(self.codes)), dtype=np.float32)
        d_scores = self._description_scores([descriptions[i] or "" for i in with_desc]).astype(np.float32)
        share = self.weights.description
        for k, i in enumerate(with_desc):
            if queries[i].words:
                result[i] = (1 - share) * result[i] + share * d_scores[k]
            else:
                result[i] = d_scores[k]
        return result, d_scores

    def classify_many(
        self,
        titles: list[str],
        descriptions: list[str | None] | None = None,
        top: int = 3,
        *,
        chunk: int = 256,
    ) -> list[list[RomeMatch]]:
        """Classify a batch of titles (much faster per title than calling :meth:`classify` in a loop)."""
        top = max(1, int(top))
        results: list[list[RomeMatch]] = []
        for start in range(0, len(titles), chunk):
            part = titles[start : start + chunk]
            part_desc = descriptions[start : start + chunk] if descriptions is not None else None
            matrix, probabilities = self._fused(part, part_desc)
            k = min(top, matrix.shape[1])
            best = np.argpartition(-matrix, k - 1, axis=1)[:, :k]
            for i, cols in enumerate(best):
                ordered = sorted(cols.tolist(), key=lambda c, row=matrix[i]: (-row[c], self.codes[c]))
                results.append(
                    [
                        RomeMatch(
                            self.codes[c],
                            self.labels[self.codes[c]],
                            float(matrix[i, c]),
                            None if probabilities is None else float(probabilities[i, c]),
                        )
                        for c in ordered
                        if matrix[i, c] > 0
                    ]
                )
        return results

    def classify(self, title: str, description: str | None = None, top: int = 3) -> list[RomeMatch]:
        """Ranked ROME codes for one title (best first); empty when nothing in the title is recognisable."""
        return self.classify_many([title], [description] if description else None, top=top)[0]

    def explain(self, title: str) -> dict[str, object]:
        """What the classifier read in a title and the reference titles that made its best code."""
        query = self.prepare(title)
        result = self.classify(title, top=1)
        best_refs: list[str] = []
        if result:
            code_i = self.codes.index(result[0].code)
            sims = (self._query_matrix([query]) @ self._index_t).toarray()[0]
            mine = np.flatnonzero(self._ref_code == code_i)
            best_refs = [self._ref_text[int(j)] for j in mine[np.argsort(-sims[mine])][:3]]
        return {"words": query.words, "head": query.head, "best": [m.as_dict() for m in result], "refs": best_refs}


def _per_code_max(out: np.ndarray, sims: sparse.csr_matrix, ref_code: np.ndarray, ref_weight: np.ndarray) -> None:
    """``out[row, code] = max(out[row, code], best weighted similarity of the code's reference titles)``.

    What ``np.maximum.at`` did, vectorised. The references are stored code by code, so each code's columns
    are one run: the weighted similarities as a dense block (rows × references, the absent ones 0, which
    the maximum with ``out``'s zeros ignores), then one ``np.maximum.reduceat`` per run. Otherwise the (row,
    code) keys of the non-zero similarities are sorted and reduced. A maximum does not round: the values are
    bit-identical to ``np.maximum.at``'s.
    """
    starts = np.flatnonzero(np.concatenate(([True], ref_code[1:] != ref_code[:-1])))
    if len(ref_code) and bool(np.all(ref_code[1:] >= ref_code[:-1])):
        block = sims.toarray()
        block *= ref_weight
        columns = ref_code[starts]
        out[:, columns] = np.maximum(out[:, columns], np.maximum.reduceat(block, starts, axis=1))
        return
    values = sims.data * ref_weight[sims.indices]
    rows = np.repeat(np.arange(sims.shape[0], dtype=np.int64), np.diff(sims.indptr))
    keys = rows * out.shape[1] + ref_code[sims.indices]
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    runs = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    flat = out.reshape(-1)
    flat[keys[runs]] = np.maximum(flat[keys[runs]], np.maximum.reduceat(values, runs))


@lru_cache(maxsize=1)
def _skill_words() -> frozenset[str]:
    """Folded words of the ROME skills (read on the first unknown word of a query)."""
    words: set[str] = set()
    with (DATA_DIR / "rome_skills.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            words.update(_plain_words(row["skill"]))
    return frozenset(words)


@lru_cache(maxsize=1)
def _place_words() -> frozenset[str]:
    """Folded one-word names of French communes and départements (noise in a job title)."""
    names: set[str] = set()
    for filename, column in (("communes.csv", "name"), ("departements.csv", "name"), ("regions.csv", "name")):
        path = DATA_DIR / filename
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                for piece in _plain_words(row.get(column) or ""):
                    if len(piece) >= 4:
                        names.add(piece)
    names.add("france")
    return frozenset(names)


_instance: RomeClassifier | None = None
_instance_lock = threading.Lock()


def get_classifier() -> RomeClassifier:
    """The process-wide classifier (built on first use, then cached)."""
    global _instance
    if _instance is None:
        with _instance_lock:
            if _instance is None:
                _instance = cached_build("rome", _build_classifier, compact=_compact_classifier)
    return _instance


def _build_classifier() -> RomeClassifier:
    """A classifier with its description channel built too (what ``matching.cache`` keeps on disk)."""
    classifier = RomeClassifier()
    classifier._profiles()  # noqa: SLF001 - built once here rather than at the first description
    return classifier


def _compact_classifier(classifier: RomeClassifier) -> RomeClassifier:
    """The classifier kept on disk: its TF-IDF vectorisers loadable without scikit-learn (``matching.tfidf``)."""
    if classifier.models is not None:
        from matching.tfidf import compact_vectorizers  # noqa: PLC0415 - only when building

        classifier.models = copy.copy(classifier.models)  # rome_model.load()'s own object keeps scikit-learn's
        compact_vectorizers(classifier.models, classifier._ref_text + _TFIDF_CHECKS)  # noqa: SLF001
    return classifier


#: texts the compact TF-IDF must transform exactly like scikit-learn (beside every reference title)
_TFIDF_CHECKS = [
    "",
    "  Aide-soignant(e)  H/F   -  CDI 35h  ",
    "CHAUFFEUR POIDS LOURD\tSPL\nnuit & week-end",
    "Infirmier·ère DE — Unité de soins, l'hôpital d'Étampes ; 1 800 € brut/mois",
    "<p>Vous assurez l'accueil des clients, la mise en rayon et l'encaissement.</p>",
    "Œnologue caviste — cœur de métier : vinification, élevage, dégustation (Cahors AOC)",
    "a b c x y 12 345 ÀÉÎÕÜ ß ﬁ ² ½ ™",
]


def _low_confidence() -> float:
    models = get_classifier().models
    return models.fusion.low_confidence if models is not None else 0.0


def classify(title: str, description: str | None = None, top: int = 3) -> list[RomeMatch]:
    """Shortcut for ``get_classifier().classify(...)``."""
    return get_classifier().classify(title, description, top=top)
