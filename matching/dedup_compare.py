"""Deduplication comparison: features of a pair of postings, vetoes and a duplicate score.

Features: title similarity (rapidfuzz on folded titles without gender marks, acronyms), conflicting title
qualifiers, description TF-IDF cosine and containment, dates, contract, place, employer, salary, positions,
URLs and France Travail partner links, same source. Decision: hard *vetoes* ("clearly different": another
employer, place, contract, service in the title, …) then a weighted score in [0, 1]. ``prefilter`` drops
with array arithmetic the candidate pairs a veto would drop anyway; ``score_pairs`` keeps the pairs at or
above ``MATCH_THRESHOLD`` as edges for the clustering.

Speed at a million postings (issue 19): the candidate pairs arrive in parts and are scored part by part; the
title gate and the employer veto are measured once per distinct pair of titles or employers and spread over
the pairs with arrays, so only the pairs that may be duplicates reach ``compare`` (the same decisions:
``tests/test_dedup_engine_equivalence.py``).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from matching.dedup_records import DedupRecord, employer_similarity, shares_url
from matching.geo import distance_km, haversine_km
from matching.text import stem

# Settings (tuned on the dev split; see docs/dedup.md)

#: Score at or above which a candidate pair is an edge of the duplicate graph.
MATCH_THRESHOLD = 0.62
#: Score below which two postings "clearly differ" (they may never share an offer).
DIFFER_THRESHOLD = 0.35
#: Score penalty when one title has a distinctive word the other posting never mentions.
ONE_SIDED_PENALTY = 0.3
#: Maximum publication gap (days) between two postings of one vacancy, without a strong link.
MAX_GAP_DAYS = 120
#: Maximum distance (km) between the communes of two postings of one vacancy.
MAX_DISTANCE_KM = 35.0
#: Beyond this distance two communes are two sites, unless the postings share a URL or a partner link.
SITE_DISTANCE_KM = 5.0

# Contract types that one vacancy may carry on two sources (public sector "titulaire ou contractuel",
# a seasonal fixed-term contract, work-study contracts).
_CONTRACT_GROUPS = [
    {"CDD", "saisonnier", "contractuel", "interim"},
    {"titulaire", "contractuel"},
    {"apprentissage", "professionnalisation"},
    {"independant", "liberal"},
]




@dataclass(slots=True)
class PairFeatures:
    """What a comparison found about a pair, and the decision."""

    title_ratio: float = 0.0
    title_set: float = 0.0
    title_conflict: bool = False
    title_one_sided: bool = False
    desc_cosine: float | None = None
    desc_containment: float | None = None
    strong_link: bool = False
    same_source: bool = False
    employer: float | None = None
    place: float | None = None
    distance_km: float | None = None
    gap_days: float | None = None
    rome: float | None = None
    contract_ok: bool | None = None
    hours_ok: bool | None = None
    salary_ok: bool | None = None
    positions_ok: bool | None = None
    veto: str | None = None
    score: float = 0.0



def _contracts_compatible(a: str | None, b: str | None) -> bool | None:
    if not a or not b:
        return None
    if a == b:
        return True
    return _contracts_in_one_group(a, b)


@lru_cache(maxsize=4096)
def _contracts_in_one_group(a: str, b: str) -> bool:
    return any(a in group and b in group for group in _CONTRACT_GROUPS)


@lru_cache(maxsize=262_144)
def _title_similarity(a: str, b: str) -> tuple[float, float]:
    """(ratio, token set ratio) of two folded titles, in [0, 1]; computed once per distinct pair of titles."""
    return fuzz.ratio(a, b) / 100.0, fuzz.token_set_ratio(a, b) / 100.0


def _distance(a: DedupRecord, b: DedupRecord) -> float | None:
    """``distance_km`` of the two records' points, without its conversions when they are finite floats."""
    la, oa, lb, ob = a.lat, a.lon, b.lat, b.lon
    if type(la) is float and type(oa) is float and type(lb) is float and type(ob) is float and math.isfinite(
        la + oa + lb + ob
    ):
        return haversine_km(la, oa, lb, ob)
    return distance_km((la, oa), (lb, ob))


_PERIOD_TO_MONTH = {"hour": 151.67, "month": 1.0, "year": 1 / 12}


def _monthly(record: DedupRecord) -> tuple[float, float] | None:
    low, high = record.salary_min, record.salary_max
    if low is None and high is None:
        return None
    factor = _PERIOD_TO_MONTH.get(record.salary_period or "month")
    if factor is None:
        return None
    low = low if low is not None else high
    high = high if high is not None else low
    return (low * factor, high * factor)  # type: ignore[operator]


def _salaries_compatible(a: DedupRecord, b: DedupRecord) -> bool | None:
    ra, rb = _monthly(a), _monthly(b)
    if ra is None or rb is None:
        return None
    tolerance = 0.08 * max(ra[1], rb[1], 1.0)
    return ra[0] <= rb[1] + tolerance and rb[0] <= ra[1] + tolerance


def _commune_stems(record: DedupRecord) -> frozenset[str]:
    return record.commune_stems


def _text_stems(record: DedupRecord) -> tuple[str, ...]:
    """Stems of everything the posting says, sorted (computed on first use, then kept).

    A sorted tuple rather than a set: about a quarter of the memory, which matters when hundreds of thousands
    of records keep theirs during a large rebuild.
    """
    if record.text_stems is None:
        words = {stem(w) for w in record.desc_words} | set(record.title_stems) | set(record.title_qualifier)
        record.text_stems = tuple(sorted(words | record.commune_stems))
    return record.text_stems


def _any_missing(words: Iterable[str], stems: tuple[str, ...]) -> bool:
    """True when one of ``words`` is not in the sorted tuple ``stems``."""
    for word in words:
        at = bisect_left(stems, word)
        if at == len(stems) or stems[at] != word:
            return True
    return False


def _title_conflict(a: DedupRecord, b: DedupRecord) -> tuple[bool, bool]:
    """(two-sided, one-sided) conflict of the titles' qualifiers (service, site, speciality).

    Two-sided: both titles name a qualifier and they share nothing ("pneumologie" vs "cardiologie"), even
    if each description mentions the other (a town hall's template lists every service).
    One-sided: one title names a qualifier that the other posting never mentions (title or description):
    weaker evidence, since a source may shorten a title.
    """
    qa = set(a.title_qualifier) - _commune_stems(b)
    qb = set(b.title_qualifier) - _commune_stems(a)
    if not qa and not qb:
        return False, False
    if qa and qb:
        return bool(qa - qb) and bool(qb - qa), False
    # one-sided evidence needs the other posting's description (a bare title may just be shortened)
    if qa:
        return False, bool(b.desc_words) and _any_missing(qa, _text_stems(b))
    return False, bool(a.desc_words) and _any_missing(qb, _text_stems(a))


def _acronym_of(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """True when ``short`` starts with the acronym of ``long``'s words ("ASH" / "agent service hospitalier")."""
    if not short or len(long) < 2:
        return False
    word = short[0]
    if not 2 <= len(word) <= 5:
        return False
    return word == "".join(w[0] for w in long)


def compare(a: DedupRecord, b: DedupRecord, desc_cosine: float | None = None) -> PairFeatures:
    """Compare two prepared records: features, vetoes and a duplicate score in [0, 1]."""
    f = PairFeatures()
    f.same_source = a.source == b.source
    if f.same_source and a.source_ref == b.source_ref:
        f.strong_link = True
    if shares_url(a, b):
        f.strong_link = True
    f.title_ratio, f.title_set = _title_similarity(a.title_text, b.title_text)
    if _acronym_of(a.title_words, b.title_words) or _acronym_of(b.title_words, a.title_words):
        f.title_ratio = f.title_set = max(f.title_set, 0.9)
    f.title_conflict, f.title_one_sided = _title_conflict(a, b)
    if a.desc_words and b.desc_words:
        short, long = (a.desc_words, b.desc_words) if len(a.desc_words) <= len(b.desc_words) else (
            b.desc_words, a.desc_words
        )
        inter = len(set(short).intersection(long))
        f.desc_containment = inter / min(len(a.desc_words), len(b.desc_words))
        f.desc_cosine = desc_cosine if desc_cosine is not None else inter / math.sqrt(
            len(a.desc_words) * len(b.desc_words)
        )
    # employer
    if a.siren and b.siren:
        f.employer = 1.0 if a.siren == b.siren else 0.0
        if f.employer == 0.0 and a.employer_key and b.employer_key:
            f.employer = employer_similarity(a.employer_key, b.employer_key)
    elif a.employer_key and b.employer_key:
        f.employer = employer_similarity(a.employer_key, b.employer_key)
    # place
    f.distance_km = _distance(a, b)
    if a.commune_insee and b.commune_insee:
        if a.commune_insee == b.commune_insee:
            f.place = 1.0
        elif a.epci and a.epci == b.epci:
            f.place = 0.7
        elif f.distance_km is not None and f.distance_km <= 15:
            f.place = 0.6
        else:
            f.place = 0.2
    elif a.departement and b.departement:
        f.place = 0.5 if a.departement == b.departement else 0.0
    # dates
    if a.published_at and b.published_at:
        f.gap_days = abs((a.published_at - b.published_at).total_seconds()) / 86400.0
    if a.rome_code and b.rome_code:
        f.rome = 1.0 if a.rome_code == b.rome_code else 0.5 if a.rome_code[:1] == b.rome_code[:1] else 0.0
    f.contract_ok = _contracts_compatible(a.contract_type, b.contract_type)
    f.salary_ok = _salaries_compatible(a, b)
    if a.hours_per_week and b.hours_per_week:
        f.hours_ok = abs(a.hours_per_week - b.hours_per_week) <= 2.0
    if a.positions and b.positions:
        f.positions_ok = a.positions == b.positions
    f.veto = _veto(a, b, f)
    f.score = 0.0 if f.veto else _score(f)
    return f


def _veto(a: DedupRecord, b: DedupRecord, f: PairFeatures) -> str | None:
    """Why the two postings clearly are two vacancies (None when they may be one)."""
    if f.same_source and a.source_ref == b.source_ref:
        return None
    if f.employer is not None and f.employer < 0.75:
        return "employer"
    if f.distance_km is not None and f.distance_km > MAX_DISTANCE_KM:
        return "place"
    if f.place == 0.0:
        return "place"
    if f.contract_ok is False:
        return "contract"
    if f.strong_link:
        return None
    if f.distance_km is not None and f.distance_km > SITE_DISTANCE_KM:
        return "place"
    if f.salary_ok is False:
        return "salary"
    if f.hours_ok is False:
        return "hours"
    if f.gap_days is not None and f.gap_days > MAX_GAP_DAYS:
        return "dates"
    if f.title_conflict:
        return "title"
    if f.title_set < 0.5 and (f.desc_cosine is None or f.desc_cosine < 0.6):
        return "title"
    if f.same_source:
        # One source with two ids: two vacancies unless the two postings are nearly identical, and always when
        # they name two communes (a board lists one vacancy once; a home-care or nursery chain posts the same
        # text for each commune it serves: real France Travail data, tests/data/dedup_real).
        if f.title_ratio < 0.95 or (f.desc_cosine is not None and f.desc_cosine < 0.95):
            return "same_source"
        if a.commune_insee and b.commune_insee and a.commune_insee != b.commune_insee:
            return "same_source"
    return None


def _score(f: PairFeatures) -> float:
    if f.strong_link:
        return 1.0
    title = 0.5 * f.title_ratio + 0.5 * f.title_set
    if f.desc_cosine is None:
        desc = 0.5
    else:
        desc = max(f.desc_cosine, 0.9 * (f.desc_containment or 0.0))
    employer = 0.5 if f.employer is None else f.employer
    place = 0.5 if f.place is None else f.place
    score = 0.40 * title + 0.30 * desc + 0.15 * employer + 0.15 * place
    if f.gap_days is not None and f.gap_days > 30:
        score -= min(0.15, (f.gap_days - 30) / 600)
    if f.positions_ok is False:
        score -= 0.05
    if f.title_one_sided:
        score -= ONE_SIDED_PENALTY
    if f.rome == 0.0:
        score -= 0.3
    elif f.rome == 0.5:
        score -= 0.1
    if f.contract_ok is None:
        score -= 0.02
    return max(0.0, min(1.0, score))


# --------------------------------------------------------------------------------------------------
# Description similarity (TF-IDF, sparse)
# --------------------------------------------------------------------------------------------------


def description_cosines(records: Sequence[DedupRecord], pairs: np.ndarray, chunk: int = 20_000) -> np.ndarray:
    """TF-IDF cosine of the descriptions of each pair (NaN when one description is missing).

    The vectoriser (scikit-learn) weighs each distinct folded word of a description (French stop words
    out, accents stripped) by its IDF, fitted on the records given, so the IDF reflects the batch being
    deduplicated.
    """
    if len(pairs) == 0:
        return np.full(0, np.nan, dtype=np.float32)
    return _pair_cosines(_description_matrix(records), pairs, chunk)


def _description_matrix(records: Sequence[DedupRecord]) -> tuple[Any, np.ndarray] | None:
    """The TF-IDF rows of the records' descriptions and which records have one (None: no description).

    The word counts are built straight into arrays and weighed by scikit-learn's ``TfidfTransformer`` with the
    vectoriser's settings: bit for bit the matrix of ``TfidfVectorizer(analyzer=words, dtype=float32)
    .fit_transform`` (a test checks it), without its lists of Python ints (gigabytes at a million postings).
    """
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfTransformer  # heavy: only when descriptions are compared

    n = len(records)
    lengths = np.fromiter((len(r.desc_words) for r in records), dtype=np.int64, count=n)
    has = lengths > 0
    if not has.any():
        return None
    # numbered in order of first appearance, rows sorted by that number, then renumbered in word order
    # without re-sorting: scikit-learn's steps, so the rows store their words in the same order and every
    # float sum (norms, cosines) is the same to the last bit
    first: defaultdict[str, int] = defaultdict()
    first.default_factory = first.__len__
    nnz = int(lengths.sum())
    index_type = np.int32 if nnz <= np.iinfo(np.int32).max else np.int64  # there are fewer words than nnz
    words = chain.from_iterable(r.desc_words for r in records)
    indices = np.fromiter(map(first.__getitem__, words), dtype=index_type, count=nnz)
    size = len(first)
    indptr = np.zeros(n + 1, dtype=index_type)
    np.cumsum(lengths, out=indptr[1:], dtype=index_type)
    counts = sparse.csr_array((np.ones(nnz, dtype=np.float32), indices, indptr), shape=(n, size), dtype=np.float32)
    del indices, indptr, lengths
    counts.sum_duplicates()  # a word listed twice counts twice, as in scikit-learn
    renumber = np.empty(size, dtype=counts.indices.dtype)
    for new_index, (_, old_index) in enumerate(sorted(first.items())):
        renumber[old_index] = new_index
    del first
    counts.indices = renumber.take(counts.indices, mode="clip")
    counts = sparse.csr_matrix(counts)
    transformer = TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=False)
    return transformer.fit(counts).transform(counts, copy=False).tocsr(), has


def _pair_cosines(described: tuple[Any, np.ndarray] | None, pairs: np.ndarray, chunk: int = 20_000) -> np.ndarray:
    result = np.full(len(pairs), np.nan, dtype=np.float32)
    if described is None or len(pairs) == 0:
        return result
    matrix, has = described
    for start in range(0, len(pairs), chunk):
        part = pairs[start : start + chunk]
        left, right = matrix[part[:, 0]], matrix[part[:, 1]]
        sims = np.asarray(left.multiply(right).sum(axis=1)).ravel()
        ok = has[part[:, 0]] & has[part[:, 1]]
        result[start : start + chunk] = np.where(ok, sims, np.nan)
    return result


@dataclass(slots=True)
class Edge:
    """A candidate pair above the threshold."""

    i: int
    j: int
    score: float


_CONTRACT_CODES: dict[str | None, int] = {}


def _contract_code(value: str | None) -> int:
    return _CONTRACT_CODES.setdefault(value, len(_CONTRACT_CODES))


class _Prefilter:
    """The per-record arrays of ``prefilter``, built once for a batch and applied to any number of pair chunks."""

    def __init__(self, records: Sequence[DedupRecord]) -> None:
        n = self.n = len(records)
        self.lat = np.fromiter((r.lat if r.lat is not None else np.nan for r in records), dtype=np.float64, count=n)
        self.lon = np.fromiter((r.lon if r.lon is not None else np.nan for r in records), dtype=np.float64, count=n)
        self.hours = np.fromiter((r.hours_per_week or np.nan for r in records), dtype=np.float64, count=n)
        self.stamp = np.fromiter(
            (r.published_at.timestamp() if r.published_at else np.nan for r in records), dtype=np.float64, count=n
        )
        self.codes = np.fromiter((_contract_code(r.contract_type) for r in records), dtype=np.int64, count=n)
        size = len(_CONTRACT_CODES)
        self.compatible = np.ones((size, size), dtype=bool)
        for value_a, code_a in _CONTRACT_CODES.items():
            for value_b, code_b in _CONTRACT_CODES.items():
                self.compatible[code_a, code_b] = _contracts_compatible(value_a, value_b) is not False
        # pairs that share a URL (strong links) escape the soft vetoes
        by_url: dict[str, list[int]] = defaultdict(list)
        for index, record in enumerate(records):
            for url in record.urls:
                by_url[url].append(index)
        shared = (members for members in by_url.values() if 1 < len(members) < 50)
        self.linked = np.fromiter((a * n + b for ms in shared for a in ms for b in ms if a < b), np.int64)
        # records with a URL shared by 50 postings or more: their pairs are not in ``linked``
        self.crowded = np.zeros(n, dtype=bool)
        for members in by_url.values():
            if len(members) >= 50:
                self.crowded[members] = True
        del by_url
        self.records = records
        self.title, self.title_first = _ids(r.title_text for r in records)
        self.employer, self.employer_first = _ids(r.employer_key or None for r in records)
        self.siren = _ids(r.siren or None for r in records)[0]
        self.ref = _ids((r.source, r.source_ref) for r in records)[0]

    def keep(self, pairs: np.ndarray) -> np.ndarray:
        """The pairs of ``pairs`` that no array veto drops (in their order)."""
        kept: list[np.ndarray] = []
        lat, lon, hours, stamp, codes = self.lat, self.lon, self.hours, self.stamp, self.codes
        for start in range(0, len(pairs), _CHUNK_PAIRS):  # in chunks: a few arrays of the chunk's length at a time
            part = pairs[start : start + _CHUNK_PAIRS]
            i, j = part[:, 0], part[:, 1]
            strong = np.isin(i.astype(np.int64) * self.n + j, self.linked)
            lat1, lon1, lat2, lon2 = map(np.radians, (lat[i], lon[i], lat[j], lon[j]))
            h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
            with np.errstate(invalid="ignore"):
                distance = 2 * 6371.0 * np.arcsin(np.sqrt(np.minimum(1.0, h)))
                veto = distance > MAX_DISTANCE_KM
                veto |= (distance > SITE_DISTANCE_KM) & ~strong
                veto |= np.abs(hours[i] - hours[j]) > 2.0
                veto |= (np.abs(stamp[i] - stamp[j]) > MAX_GAP_DAYS * 86400.0) & ~strong
            veto |= ~self.compatible[codes[i], codes[j]]
            kept.append(part[~veto])
        return kept[0] if len(kept) == 1 else np.concatenate(kept) if kept else pairs[:0]


    def hopeless(self, pairs: np.ndarray, cosines: np.ndarray) -> np.ndarray:
        """Which pairs ``_score_chunk`` would drop for sure: its title gate, or ``compare``'s employer veto.

        Computed once per distinct pair of titles or employers (with the very functions ``compare`` calls),
        then spread over the pairs with array indexing.
        """
        i, j = pairs[:, 0], pairs[:, 1]
        maybe_linked = np.isin(i.astype(np.int64) * self.n + j, self.linked) | (self.crowded[i] & self.crowded[j])
        records = self.records
        title_set = self._per_distinct(
            self.title[i], self.title[j], self.title_first,
            lambda x, y: _title_similarity(records[x].title_text, records[y].title_text)[1],
        )
        with np.errstate(invalid="ignore"):
            drop = ~maybe_linked & (title_set < 0.5) & ~(cosines >= 0.6)
        # employer veto (``_veto``'s first test after the same-posting exemption)
        si, sj, ei, ej = self.siren[i], self.siren[j], self.employer[i], self.employer[j]
        both_siren, both_key = (si >= 0) & (sj >= 0), (ei >= 0) & (ej >= 0)
        other_siren = both_siren & (si != sj)
        measured = both_key & (other_siren | ~both_siren)
        similarity = self._per_distinct(
            np.where(measured, ei, -1), np.where(measured, ej, -1), self.employer_first,
            lambda x, y: employer_similarity(records[x].employer_key, records[y].employer_key),
        )
        employer_low = (other_siren & ~both_key) | (measured & (similarity < 0.75))
        drop |= employer_low & (self.ref[i] != self.ref[j])
        return drop

    @staticmethod
    def _per_distinct(left: np.ndarray, right: np.ndarray, first: np.ndarray, measure: Any) -> np.ndarray:
        """``measure(x, y)`` of each pair of ids (NaN where an id is -1), called once per distinct pair with
        ``x``, ``y`` the first records carrying the ids (``first``: id → record, from ``_ids``)."""
        values = np.full(len(left), np.nan)
        valid = (left >= 0) & (right >= 0)
        if not valid.any():
            return values
        combos, inverse = np.unique(np.stack((left[valid], right[valid]), axis=1), axis=0, return_inverse=True)
        ends = first[combos]
        measured = np.fromiter((measure(x, y) for x, y in ends.tolist()), dtype=np.float64, count=len(combos))
        values[valid] = measured[inverse.ravel()]
        return values


def _ids(values: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
    """An id per value (-1 for None), equal values equal ids, and the first position of each id."""
    numbers: dict[Any, int] = {}
    first: list[int] = []
    ids = []
    for position, value in enumerate(values):
        if value is None:
            ids.append(-1)
            continue
        number = numbers.setdefault(value, len(numbers))
        if number == len(first):
            first.append(position)
        ids.append(number)
    return np.array(ids, dtype=np.int64), np.array(first, dtype=np.int64)


def prefilter(records: Sequence[DedupRecord], pairs: np.ndarray) -> np.ndarray:
    """Drop, with array arithmetic, the candidate pairs that ``compare`` would veto anyway.

    Vetoes computed here: distance (over ``MAX_DISTANCE_KM``, or over ``SITE_DISTANCE_KM`` without a shared
    URL), incompatible contracts, other weekly hours, publication gap; the pairs kept go to ``compare``.
    """
    if len(pairs) == 0:
        return pairs
    return _Prefilter(records).keep(pairs)


_CHUNK_PAIRS = 250_000


def score_pairs(records: Sequence[DedupRecord], pairs: np.ndarray | Iterable[np.ndarray]) -> list[Edge]:
    """Compare the candidate pairs and keep those at or above ``MATCH_THRESHOLD`` as edges.

    ``pairs``: one ``(n, 2)`` array, or parts of it one after the other (``iter_candidate_pairs``): each part
    is prefiltered, its description cosines computed and its pairs compared before the next one is read, so
    only one part's pairs are in memory at a time. Same edges, in the same order, either way.
    """
    parts = [pairs] if isinstance(pairs, np.ndarray) else pairs
    checks: _Prefilter | None = None
    described: tuple[Any, np.ndarray] | None | bool = False  # False: not built yet
    edges: list[Edge] = []
    for part in parts:
        if len(part) == 0:
            continue
        checks = checks or _Prefilter(records)
        if described is False:
            described = _description_matrix(records)
        for start in range(0, len(part), _CHUNK_PAIRS):
            kept = checks.keep(part[start : start + _CHUNK_PAIRS])
            cosines = _pair_cosines(described, kept)  # type: ignore[arg-type]
            alive = ~checks.hopeless(kept, cosines)
            kept, cosines = kept[alive], cosines[alive]
            for at in range(0, len(kept), _CHUNK_COMPARED):  # Python lists of a small slice at a time
                edges.extend(_score_chunk(records, kept[at : at + _CHUNK_COMPARED], cosines[at : at + _CHUNK_COMPARED]))
        del part
    return edges


#: Pairs turned into Python values at a time for ``compare``.
_CHUNK_COMPARED = 50_000


def _score_chunk(records: Sequence[DedupRecord], pairs: np.ndarray, cosines: np.ndarray) -> list[Edge]:
    edges: list[Edge] = []
    for i, j, cos in zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), cosines.tolist(), strict=True):
        a, b = records[i], records[j]
        # cheap pre-filter: unrelated titles without a shared URL cannot be duplicates
        if not shares_url(a, b) and _title_similarity(a.title_text, b.title_text)[1] < 0.5 and (
            cos != cos or cos < 0.6
        ):
            continue
        features = compare(a, b, None if cos != cos else cos)
        if features.score >= MATCH_THRESHOLD:
            edges.append(Edge(i, j, features.score))
    return edges


__all__ = [
    "DIFFER_THRESHOLD",
    "MATCH_THRESHOLD",
    "Edge",
    "PairFeatures",
    "compare",
    "description_cosines",
    "prefilter",
    "score_pairs",
]
