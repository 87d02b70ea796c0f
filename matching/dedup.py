"""Deduplication of postings into offers (one real vacancy), as pure functions.

Pipeline (no database, no network; ``store/dedup.py`` persists the result):

1. **Records**: a ``DedupRecord`` holds the comparable fields of one posting (built from a database row or
   from the JSON form of a normalised posting, ``record_from_json``).
2. **Blocking** (``blocking_keys``): each record gets several keys (specific URL or partner link, employer ×
   commune, employer × ROME, title word × place, ROME × EPCI, …). Two records are compared only when they
   share a key (union of blocks, so a missing field on one side does not lose the pair). Inside a large
   block, records are sorted by date and compared only with their neighbours in a date window
   (sorted-neighbourhood), so the cost grows with the corpus, not with its square.
3. **Comparison** (``compare``): features of a pair (title similarity with rapidfuzz on folded titles without
   gender marks, conflicting title words, description TF-IDF cosine and containment, dates, contract, place,
   employer, salary, positions, URLs, France Travail partner links, source ids) and a decision: a score in
   [0, 1] plus hard *vetoes* ("clearly different": another employer, another place, another contract,
   another service in the title, …).
4. **Clustering** (``cluster``): candidate edges above the threshold are merged greedily by decreasing score;
   two groups merge only if *no* pair across them clearly differs (complete-linkage check), no source
   contributes two different source ids unless nearly identical, and their lifetimes overlap (a repost after
   the offer closed is a new vacancy). Chaining A≈B≈C into one offer when A and C differ is therefore
   impossible.

Thresholds are tuned on the dev split of ``tests/data/dedup/`` (see ``docs/dedup.md``).
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
import sys
import unicodedata
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from rapidfuzz import fuzz

from matching.text import FRENCH_STOP_WORDS, normalize_name, stem, strip_gender_marks, tokens

_DATA = Path(__file__).resolve().parent / "data"

# --------------------------------------------------------------------------------------------------
# Settings (tuned on the dev split; see docs/dedup.md)
# --------------------------------------------------------------------------------------------------

#: Score at or above which a candidate pair is an edge of the duplicate graph.
MATCH_THRESHOLD = 0.62
#: Score below which two postings "clearly differ" (they may never share an offer).
DIFFER_THRESHOLD = 0.35
#: Score penalty when one title has a distinctive word the other posting never mentions.
ONE_SIDED_PENALTY = 0.3
#: Blocks larger than this are scanned with a sorted date window instead of all pairs.
FULL_BLOCK_SIZE = 40
#: Neighbours compared on each side in a large block (sorted by publication date).
WINDOW_NEIGHBOURS = 25
#: Maximum publication gap (days) between two postings of one vacancy, without a strong link.
MAX_GAP_DAYS = 120
#: Grace (days) between the closing of an offer and the first sight of a repost of it.
REPOST_GRACE_DAYS = 3
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

_LEGAL_FORMS = frozenset(
    "sa sas sasu sarl eurl scop scic sci snc sca gie earl gaec scea selarl selas eirl ei ets etablissements "
    "groupe group societe france".split()
)
# Words that say nothing about which vacancy a title is about (kept out of title conflicts and blocking).
_GENERIC_TITLE_WORDS = frozenset(
    "poste emploi offre recrutement recrute recherche cdi cdd temps plein partiel nuit jour "
    "confirme experimente debutant junior senior interim mission saisonnier saison urgent "
    "h f hf fh x ou et en de du des la le les a au aux sur pour".split()
)
_TRACKING_PARAMS = re.compile(r"^(utm_|from$|origin$|source$|ref$|src$|xtor$|at_|mc_|fbclid$|gclid$|cpc$|poc$|op$)")


# --------------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class DedupRecord:
    """The comparable fields of one posting. ``key`` is the caller's id (posting id or JSON ``id``)."""

    key: Any
    source: str
    source_ref: str
    title: str
    title_clean: str | None = None
    employer: str | None = None
    employer_siret: str | None = None
    description: str | None = None
    contract_type: str | None = None
    hours_per_week: float | None = None
    published_at: datetime | None = None
    first_seen_at: datetime | None = None
    closed_at: datetime | None = None
    commune_insee: str | None = None
    commune_name: str | None = None
    epci: str | None = None
    departement: str | None = None
    lat: float | None = None
    lon: float | None = None
    rome_code: str | None = None
    url: str | None = None
    apply_url: str | None = None
    partners: list[Any] = field(default_factory=list)
    salary_min: float | None = None
    salary_max: float | None = None
    salary_period: str | None = None
    positions: int | None = None
    # derived (filled by ``prepare``)
    title_words: tuple[str, ...] = ()
    title_stems: frozenset[str] = frozenset()
    title_qualifier: tuple[str, ...] = ()
    commune_stems: frozenset[str] = frozenset()
    text_stems: tuple[str, ...] | None = None  # sorted, filled on first use
    title_text: str = ""
    employer_key: str = ""
    siren: str = ""
    urls: frozenset[str] = frozenset()
    # a sorted tuple of interned words, not a set: eight bytes a word, so a million records fit in memory
    desc_words: tuple[str, ...] = ()

    @property
    def since(self) -> datetime | None:
        """When the posting was first known (first sight, else publication)."""
        return self.first_seen_at or self.published_at


def _aware(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def canonical_url(url: str | None) -> str | None:
    """A comparable URL: no scheme, no ``www.``, no tracking parameters, fragment or trailing slash."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.netloc:
        return None
    host = parts.netloc.lower().removeprefix("www.")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING_PARAMS.match(k.lower())))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("", host, path, query, "")).lstrip("/")


# Abbreviations that French employers use for themselves on one source and spell out on another.
_EMPLOYER_ABBREVIATIONS = {
    "ch": "centre hospitalier",
    "chu": "centre hospitalier universitaire",
    "chs": "centre hospitalier specialise",
    "ehpad": "ehpad",
    "ccas": "centre communal action sociale",
    "cias": "centre intercommunal action sociale",
    "mairie": "commune",
    "ville": "commune",
    "cc": "communaute communes",
    "cdc": "communaute communes",
    "cd": "conseil departemental",
    "departement": "conseil departemental",
    "adapei": "adapei",
    "ssiad": "service soins infirmiers domicile",
    "admr": "admr",
}
_EMPLOYER_NOISE = frozenset({"de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux"})


def employer_key(name: str | None) -> str:
    """A comparable employer name: folded words, abbreviations spelled out, without legal forms or articles."""
    words: list[str] = []
    for word in normalize_name(name).split():
        if word in _LEGAL_FORMS or word in _EMPLOYER_NOISE:
            continue
        words.extend(_EMPLOYER_ABBREVIATIONS.get(word, word).split())
    return " ".join(words)


# Words naming the kind of organisation (an EHPAD is often called "Résidence X" on another board).
_EMPLOYER_KIND_WORDS = frozenset(
    "ehpad residence association hotel restaurant camping domaine commune centre hospitalier foyer institut "
    "maison entreprise".split()
)


def employer_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two employer keys; the distinctive words (without the kind words) decide.

    "EHPAD Les Tilleuls" ~ "Résidence Les Tilleuls"; "Centre hospitalier de Cahors" ≠ "… de Brive".
    """
    core_a = " ".join(w for w in a.split() if w not in _EMPLOYER_KIND_WORDS)
    core_b = " ".join(w for w in b.split() if w not in _EMPLOYER_KIND_WORDS)
    if core_a and core_b:
        return fuzz.token_set_ratio(core_a, core_b) / 100.0
    return fuzz.token_set_ratio(a, b) / 100.0


def _partner_urls(partners: Iterable[Any]) -> list[str]:
    found = []
    for partner in partners or []:
        if isinstance(partner, dict):
            for key in ("url", "urlOrigine", "lien"):
                canon = canonical_url(partner.get(key))
                if canon:
                    found.append(canon)
        elif isinstance(partner, str):
            canon = canonical_url(partner)
            if canon:
                found.append(canon)
    return found


def prepare(record: DedupRecord, *, description_chars: int = 2000) -> DedupRecord:
    """Fill the derived fields of ``record`` (folded title words, employer key, URLs) and return it.

    The description is reduced to its distinct words (``desc_words``, what the TF-IDF cosine and the
    containment use) and the text itself dropped, so that a million records fit in memory; derived values
    shared by many postings (title analysis, employer key, commune stems) are the same objects.
    """
    title = record.title_clean or record.title or ""
    parts = _title_parts(title, record.commune_name or "", record.departement or "")
    record.title_words, record.title_stems, record.title_text, record.title_qualifier = parts
    record.commune_stems = _commune_stem_set(record.commune_name or "")
    record.employer_key = _employer_key_cached(record.employer or "")
    siret = re.sub(r"\D", "", record.employer_siret or "")
    record.siren = siret[:9] if len(siret) >= 9 else ""
    urls = {canonical_url(record.url), canonical_url(record.apply_url), *_partner_urls(record.partners)}
    record.urls = frozenset(u for u in urls if u)
    if not record.partners:
        record.partners = _NO_PARTNERS
    text = record.description[:description_chars] if record.description else None
    record.desc_words = tuple(sorted(sys.intern(w) for w in description_words(text)))
    record.description = None
    return record


_NO_PARTNERS: list[Any] = []


@lru_cache(maxsize=100_000)
def _title_parts(
    title: str, commune_name: str, departement: str
) -> tuple[tuple[str, ...], frozenset[str], str, tuple[str, ...]]:
    words = tuple(tokens(strip_gender_marks(title)))
    stems = frozenset(stem(w) for w in words if w not in _GENERIC_TITLE_WORDS)
    place_words = set(tokens(commune_name)) | {"lot", "quercy", "france"} | ({departement} if departement else set())
    return words, stems, " ".join(words), title_qualifier(title, place_words)


@lru_cache(maxsize=50_000)
def _commune_stem_set(name: str) -> frozenset[str]:
    return frozenset(stem(w) for w in tokens(name))


@lru_cache(maxsize=200_000)
def _employer_key_cached(name: str) -> str:
    return employer_key(name) if name else ""


_ASCII_WORD = re.compile(r"[a-z0-9]+")
_FOLD_TABLE = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "’": " ", "‘": " ", "`": " "})


def description_words(text: str | None) -> frozenset[str]:
    """The distinct folded words of a description, stop words left out.

    Same words as ``matching.text.tokens`` for French text, with a faster fold (NFKD then ASCII in C, rather
    than a per-character filter): descriptions are long and a rebuild folds every one of them.
    """
    if not text:
        return frozenset()
    folded = unicodedata.normalize("NFKD", text.lower().translate(_FOLD_TABLE))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    return frozenset(w for w in _ASCII_WORD.findall(ascii_text) if w not in FRENCH_STOP_WORDS)


def record_from_json(data: dict[str, Any], key: Any = None) -> DedupRecord:
    """A record from the JSON form of a normalised posting (``NormalizedPosting.as_json()`` plus ``id``)."""
    location = data.get("location") or {}
    salary = data.get("salary") or {}
    positions = data.get("positions")
    return prepare(
        DedupRecord(
            key=data.get("id") if key is None else key,
            source=str(data.get("source") or ""),
            source_ref=str(data.get("source_id") or data.get("url") or data.get("id") or ""),
            title=str(data.get("title") or ""),
            title_clean=data.get("title_clean"),
            employer=data.get("employer"),
            employer_siret=data.get("employer_siret"),
            description=data.get("description") or data.get("description_text"),
            contract_type=data.get("contract_type"),
            hours_per_week=_float(data.get("hours_per_week")),
            published_at=_aware(data.get("published_at")),
            first_seen_at=_aware(data.get("first_seen_at")),
            closed_at=_aware(data.get("closed_at")),
            commune_insee=location.get("insee"),
            commune_name=location.get("name") or location.get("label"),
            epci=location.get("epci"),
            departement=location.get("departement"),
            lat=_float(location.get("lat")),
            lon=_float(location.get("lon")),
            rome_code=data.get("rome_code"),
            url=data.get("url"),
            apply_url=data.get("apply_url"),
            partners=list(data.get("partners") or []),
            salary_min=_float(salary.get("min")),
            salary_max=_float(salary.get("max")),
            salary_period=salary.get("period"),
            positions=positions if isinstance(positions, int) else None,
        )
    )


# --------------------------------------------------------------------------------------------------
# Blocking
# --------------------------------------------------------------------------------------------------


def _place_key(record: DedupRecord) -> str:
    return record.commune_insee or (f"d{record.departement}" if record.departement else "")


def _strong_title_words(record: DedupRecord, count: int = 2) -> list[str]:
    """The longest distinctive stems of the title (robust to rewording of the other words)."""
    return sorted(record.title_stems, key=lambda w: (-len(w), w))[:count]


def blocking_keys(record: DedupRecord) -> set[str]:
    """The blocking keys of a record (two records are compared when they share at least one)."""
    keys: set[str] = {f"u:{url}" for url in record.urls}
    employers = [e for e in (record.employer_key, record.siren and f"#{record.siren}") if e]
    place = _place_key(record)
    for emp in employers:
        if place:
            keys.add(f"ep:{emp}|{place}")
        if record.rome_code:
            keys.add(f"er:{emp}|{record.rome_code}")
        for word in _strong_title_words(record, 1):
            keys.add(f"ew:{emp}|{word}")
    for word in _strong_title_words(record):
        if record.epci:
            keys.add(f"wa:{word}|{record.epci}")
        if record.departement:
            keys.add(f"wd:{word}|{record.departement}")
    if record.rome_code and place:
        keys.add(f"rp:{record.rome_code}|{place}")
    return keys


def hashed_key(key: str) -> str:
    """A fixed-width digest of a blocking key (what the database index stores)."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def _timestamp(record: DedupRecord) -> float:
    since = record.published_at or record.first_seen_at
    return since.timestamp() if since else 0.0


def candidate_pairs(records: Sequence[DedupRecord], keys: Sequence[Iterable[str]] | None = None) -> np.ndarray:
    """Index pairs ``(i, j)``, ``i < j``, of records sharing a blocking key (an ``(n, 2)`` int array).

    Small blocks give all their pairs; large blocks are sorted by date and each record is paired with its
    ``WINDOW_NEIGHBOURS`` next records (sorted neighbourhood), so one huge employer cannot blow up the cost.
    """
    n = len(records)
    # typed arrays, not lists of Python ints: eight bytes a key at a million records
    key_codes = array("q")
    owners = array("i")
    for index, record in enumerate(records):
        for key in keys[index] if keys is not None else blocking_keys(record):
            key_codes.append(hash(key))
            owners.append(index)
    if n < 2 or not key_codes:
        return np.empty((0, 2), dtype=np.int32)
    # One row per (key, record), as arrays: far smaller than a dict of lists at a million records.
    code = np.frombuffer(key_codes, dtype=np.int64)
    owner = np.frombuffer(owners, dtype=np.int32)
    stamps = np.fromiter((_timestamp(r) for r in records), dtype=np.float64, count=n)
    order = np.lexsort((stamps[owner], code))  # by key, then by date inside a key
    code, owner = code[order], owner[order]
    del order, stamps, key_codes, owners
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    sizes = np.diff(np.r_[starts, len(code)])
    size_of_row = np.repeat(sizes, sizes)
    small = size_of_row <= FULL_BLOCK_SIZE
    del starts, size_of_row
    # The pairs are built one range of left records at a time, so that only that range's repeated codes are
    # in memory at once (a pair is found once per key it shares), in the order of one global sort.
    parts = max(1, min(32, -(-len(code) // _ROWS_PER_PART)))
    bounds = np.linspace(0, n, parts + 1).astype(np.int64)
    # Room for every pair the steps could give: only the pages written count (the array is cut at the end).
    pairs = np.empty((min(len(code) * (FULL_BLOCK_SIZE - 1), n * (n - 1) // 2), 2), dtype=np.int32)
    filled = 0
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        chunks: list[np.ndarray] = []
        for step in range(1, FULL_BLOCK_SIZE):
            if step >= len(code):
                break
            same = code[:-step] == code[step:]
            # small blocks: every pair; large blocks: the WINDOW_NEIGHBOURS next records by date
            if step > WINDOW_NEIGHBOURS:
                same &= small[:-step]
            if not same.any():
                if step > WINDOW_NEIGHBOURS and not (sizes > step).any():
                    break
                continue
            left, right = owner[:-step][same], owner[step:][same]
            low, high = np.minimum(left, right), np.maximum(left, right)
            keep = (low != high) & (low >= lo) & (low < hi)
            pair_code = low[keep].astype(np.int64)
            pair_code *= n
            pair_code += high[keep]
            chunks.append(pair_code)
        if not chunks:
            continue
        codes = np.concatenate(chunks)
        del chunks
        codes.sort()  # in place, then drop repeats (a pair shared by several keys)
        codes = codes[np.r_[True, codes[1:] != codes[:-1]]]
        np.floor_divide(codes, n, out=pairs[filled : filled + len(codes), 0], casting="unsafe")
        np.remainder(codes, n, out=pairs[filled : filled + len(codes), 1], casting="unsafe")
        filled += len(codes)
        del codes
    pairs.resize((filled, 2), refcheck=False)  # no view of it exists; int32 pairs: half the memory of int64
    return pairs


#: Rows (key, record) whose pairs are built at a time in ``candidate_pairs``.
_ROWS_PER_PART = 1_000_000


# --------------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------------


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


def _haversine(a: DedupRecord, b: DedupRecord) -> float | None:
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))  # type: ignore[arg-type]
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _contracts_compatible(a: str | None, b: str | None) -> bool | None:
    if not a or not b:
        return None
    if a == b:
        return True
    return any(a in group and b in group for group in _CONTRACT_GROUPS)


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


_QUALIFIER_SPLIT = re.compile(r"\s[-–—|/:]\s|[()\[\],]")
_QUALIFIER_NOISE = frozenset(
    "service poste secteur site urgent cdi cdd interim saisonnier h f hf fh temps plein partiel "
    "titulaire contractuel alternance stage".split()
)


def title_qualifier(title: str, place_words: Iterable[str] = ()) -> tuple[str, ...]:
    """The stems of what a title adds after its job name ("Infirmier H/F - Service pneumologie" → pneumolog).

    Commune names, contract words and gender marks are not qualifiers.
    """
    parts = [p for p in _QUALIFIER_SPLIT.split(strip_gender_marks(title or "")) if p and p.strip()]
    places, own = _place_names(), set(place_words)
    # a part that is a place: any several-word commune name ("Saint-Cyr-la-Roche"), or the posting's own
    # commune (one-word commune names are also ordinary words: "Noyers", "Pommiers")
    parts = [p for p in parts if not ((name := normalize_name(p)) in places and (" " in name or name in own))]
    noise = _QUALIFIER_NOISE | own
    cleaned = [[w for w in tokens(p) if w not in noise and not w.isdigit()] for p in parts]
    cleaned = [c for c in cleaned if c]
    if len(cleaned) < 2:
        return ()
    return tuple(sorted({stem(w) for part in cleaned[1:] for w in part}))


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    """Folded names of every commune and département (a title part that is a place is not a qualifier)."""
    names: set[str] = set()
    for filename, column in (("communes.csv", "name"), ("departements.csv", "name")):
        path = _DATA / filename
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                name = normalize_name(row.get(column) or "")
                if name:
                    names.add(name)
    return frozenset(names)


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
    if a.urls & b.urls:
        f.strong_link = True
    f.title_ratio = fuzz.ratio(a.title_text, b.title_text) / 100.0
    f.title_set = fuzz.token_set_ratio(a.title_text, b.title_text) / 100.0
    if _acronym_of(a.title_words, b.title_words) or _acronym_of(b.title_words, a.title_words):
        f.title_ratio = f.title_set = max(f.title_set, 0.9)
    f.title_conflict, f.title_one_sided = _title_conflict(a, b)
    if a.desc_words and b.desc_words:
        inter = len(set(a.desc_words).intersection(b.desc_words))
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
    f.distance_km = _haversine(a, b)
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
        # One source with two ids: two vacancies unless the two postings are nearly identical.
        if f.title_ratio < 0.95 or (f.desc_cosine is not None and f.desc_cosine < 0.95):
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


def _identity(words: tuple[str, ...]) -> tuple[str, ...]:
    return words


def description_cosines(records: Sequence[DedupRecord], pairs: np.ndarray, chunk: int = 20_000) -> np.ndarray:
    """TF-IDF cosine of the descriptions of each pair (NaN when one description is missing).

    The vectoriser (scikit-learn) weighs each distinct folded word of a description (French stop words
    out, accents stripped) by its IDF, fitted on the records given, so the IDF reflects the batch being
    deduplicated.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    result = np.full(len(pairs), np.nan, dtype=np.float32)
    if len(pairs) == 0:
        return result
    has = np.fromiter((bool(r.desc_words) for r in records), dtype=bool, count=len(records))
    if not has.any():
        return result
    vectorizer = TfidfVectorizer(analyzer=_identity, dtype=np.float32, min_df=1)
    try:
        matrix = vectorizer.fit_transform([r.desc_words for r in records]).tocsr()
    except ValueError:  # empty vocabulary
        return result
    for start in range(0, len(pairs), chunk):
        part = pairs[start : start + chunk]
        left, right = matrix[part[:, 0]], matrix[part[:, 1]]
        sims = np.asarray(left.multiply(right).sum(axis=1)).ravel()
        ok = has[part[:, 0]] & has[part[:, 1]]
        result[start : start + chunk] = np.where(ok, sims, np.nan)
    return result


# --------------------------------------------------------------------------------------------------
# Clustering
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Edge:
    """A candidate pair above the threshold."""

    i: int
    j: int
    score: float


class _Groups:
    """Union of groups that keeps the members of each group (for complete-linkage checks)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {i: [i] for i in range(n)}

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> int:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a].extend(self.members.pop(b))
        return a


def _lifetime(records: Sequence[DedupRecord], members: list[int]) -> tuple[float, float]:
    start = min((r.since.timestamp() for r in (records[m] for m in members) if r.since), default=-math.inf)
    ends = [records[m].closed_at for m in members]
    end = math.inf if any(e is None for e in ends) else max(e.timestamp() for e in ends if e)
    return start, end


def can_merge(
    records: Sequence[DedupRecord],
    group_a: list[int],
    group_b: list[int],
    cache: dict | None = None,
    vouched: frozenset[int] | set[int] = frozenset(),
) -> bool:
    """True when no pair across the two groups clearly differs and their lifetimes overlap.

    Postings in ``vouched`` (tied to another by a staff merge) are not checked: staff said their offer is
    one vacancy even if, say, two titles name two services.
    """
    start_a, end_a = _lifetime(records, group_a)
    start_b, end_b = _lifetime(records, group_b)
    grace = REPOST_GRACE_DAYS * 86400.0
    if start_b > end_a + grace or start_a > end_b + grace:
        # A repost after the offer closed is a new vacancy, unless it is the same posting reopened.
        refs_a = {(records[m].source, records[m].source_ref) for m in group_a}
        if not any((records[m].source, records[m].source_ref) in refs_a for m in group_b):
            return False
    for x in group_a:
        if x in vouched:
            continue
        for y in group_b:
            if y in vouched:
                continue
            key = (x, y) if x < y else (y, x)
            score = cache.get(key) if cache is not None else None
            if score is None:
                score = compare(records[x], records[y]).score
                if cache is not None:
                    cache[key] = score
            if score < DIFFER_THRESHOLD:
                return False
    return True


def cluster(
    records: Sequence[DedupRecord],
    edges: Iterable[Edge],
    *,
    forced_links: Iterable[tuple[int, int]] = (),
    forbidden: Iterable[tuple[int, int]] = (),
    staff_links: Iterable[tuple[int, int]] = (),
) -> list[int]:
    """Group records into offers; returns a group label (the smallest member index) per record.

    ``edges`` are merged by decreasing score with the complete-linkage check of ``can_merge``.
    ``forced_links`` (existing offers kept whole) and ``staff_links`` (staff merges) are applied first without
    checks; ``forbidden`` pairs (staff splits) never end up in one group through an automatic edge.
    """
    groups = _Groups(len(records))
    staff_links = list(staff_links)
    vouched = {i for pair in staff_links for i in pair}
    for x, y in [*forced_links, *staff_links]:
        rx, ry = groups.find(x), groups.find(y)
        if rx != ry:
            groups.union(rx, ry)
    banned: dict[int, set[int]] = defaultdict(set)
    for x, y in forbidden:
        banned[x].add(y)
        banned[y].add(x)
    cache: dict[tuple[int, int], float] = {}
    ordered = sorted(edges, key=lambda e: -e.score)
    for edge in ordered:
        cache[(min(edge.i, edge.j), max(edge.i, edge.j))] = edge.score
    for edge in ordered:
        ra, rb = groups.find(edge.i), groups.find(edge.j)
        if ra == rb:
            continue
        ma, mb = groups.members[ra], groups.members[rb]
        if banned and any(banned.get(m) and banned[m].intersection(mb) for m in ma):
            continue
        if can_merge(records, ma, mb, cache, vouched):
            groups.union(ra, rb)
    labels = [0] * len(records)
    for root, members in groups.members.items():
        label = min(members)
        for m in members:
            labels[m] = label
        del root
    return labels


_CONTRACT_CODES: dict[str | None, int] = {}


def _contract_code(value: str | None) -> int:
    return _CONTRACT_CODES.setdefault(value, len(_CONTRACT_CODES))


def prefilter(records: Sequence[DedupRecord], pairs: np.ndarray) -> np.ndarray:
    """Drop, with array arithmetic, the candidate pairs that ``compare`` would veto anyway.

    Vetoes computed here: distance (over ``MAX_DISTANCE_KM``, or over ``SITE_DISTANCE_KM`` without a shared
    URL), incompatible contracts, other weekly hours, publication gap; the pairs kept go to ``compare``.
    """
    if len(pairs) == 0:
        return pairs
    n = len(records)
    lat = np.fromiter((r.lat if r.lat is not None else np.nan for r in records), dtype=np.float64, count=n)
    lon = np.fromiter((r.lon if r.lon is not None else np.nan for r in records), dtype=np.float64, count=n)
    hours = np.fromiter((r.hours_per_week or np.nan for r in records), dtype=np.float64, count=n)
    stamp = np.fromiter(
        (r.published_at.timestamp() if r.published_at else np.nan for r in records), dtype=np.float64, count=n
    )
    codes = np.fromiter((_contract_code(r.contract_type) for r in records), dtype=np.int64, count=n)
    size = len(_CONTRACT_CODES)
    compatible = np.ones((size, size), dtype=bool)
    for value_a, code_a in _CONTRACT_CODES.items():
        for value_b, code_b in _CONTRACT_CODES.items():
            compatible[code_a, code_b] = _contracts_compatible(value_a, value_b) is not False
    # pairs that share a URL (strong links) escape the soft vetoes
    by_url: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        for url in record.urls:
            by_url[url].append(index)
    linked = np.fromiter(
        (a * n + b for members in by_url.values() if 1 < len(members) < 50 for a in members for b in members if a < b),
        dtype=np.int64,
    )
    kept: list[np.ndarray] = []
    for start in range(0, len(pairs), _CHUNK_PAIRS):  # in chunks: a few arrays of the chunk's length at a time
        part = pairs[start : start + _CHUNK_PAIRS]
        i, j = part[:, 0], part[:, 1]
        strong = np.isin(i.astype(np.int64) * n + j, linked)
        lat1, lon1, lat2, lon2 = map(np.radians, (lat[i], lon[i], lat[j], lon[j]))
        h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        with np.errstate(invalid="ignore"):
            distance = 2 * 6371.0 * np.arcsin(np.sqrt(np.minimum(1.0, h)))
            veto = distance > MAX_DISTANCE_KM
            veto |= (distance > SITE_DISTANCE_KM) & ~strong
            veto |= np.abs(hours[i] - hours[j]) > 2.0
            veto |= (np.abs(stamp[i] - stamp[j]) > MAX_GAP_DAYS * 86400.0) & ~strong
        veto |= ~compatible[codes[i], codes[j]]
        kept.append(part[~veto])
    return np.concatenate(kept)


_CHUNK_PAIRS = 1_000_000


def score_pairs(records: Sequence[DedupRecord], pairs: np.ndarray) -> list[Edge]:
    """Compare the candidate pairs and keep those at or above ``MATCH_THRESHOLD`` as edges."""
    pairs = prefilter(records, pairs)
    cosines = description_cosines(records, pairs)
    edges: list[Edge] = []
    for start in range(0, len(pairs), _CHUNK_PAIRS):
        edges.extend(_score_chunk(records, pairs[start : start + _CHUNK_PAIRS], cosines[start : start + _CHUNK_PAIRS]))
    return edges


def _score_chunk(records: Sequence[DedupRecord], pairs: np.ndarray, cosines: np.ndarray) -> list[Edge]:
    edges: list[Edge] = []
    for (i, j), cos in zip(pairs.tolist(), cosines.tolist(), strict=True):
        a, b = records[i], records[j]
        # cheap pre-filter: unrelated titles without a shared URL cannot be duplicates
        if not (a.urls & b.urls) and fuzz.token_set_ratio(a.title_text, b.title_text) < 50 and (
            cos != cos or cos < 0.6
        ):
            continue
        features = compare(a, b, None if cos != cos else cos)
        if features.score >= MATCH_THRESHOLD:
            edges.append(Edge(i, j, features.score))
    return edges


def dedupe_records(records: Sequence[DedupRecord], **kwargs: Any) -> list[int]:
    """Block, compare and cluster ``records`` (prepared); returns one group label per record."""
    pairs = candidate_pairs(records)
    edges = score_pairs(records, pairs)
    return cluster(records, edges, **kwargs)


def best_record_order(record: DedupRecord, trust: float, completeness: float) -> tuple[float, float, float]:
    """Sort key (descending) for choosing an offer's best posting: trust, completeness, freshness."""
    fresh = record.published_at or record.first_seen_at
    return (trust, completeness, fresh.timestamp() if fresh else 0.0)


def now_utc() -> datetime:
    """The current UTC time (injectable in callers through ``now=``)."""
    return datetime.now(UTC)


__all__ = [
    "DIFFER_THRESHOLD",
    "MATCH_THRESHOLD",
    "DedupRecord",
    "Edge",
    "PairFeatures",
    "blocking_keys",
    "candidate_pairs",
    "canonical_url",
    "can_merge",
    "cluster",
    "compare",
    "dedupe_records",
    "description_cosines",
    "employer_key",
    "hashed_key",
    "prepare",
    "record_from_json",
    "score_pairs",
]
