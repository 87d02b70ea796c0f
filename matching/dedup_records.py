"""Deduplication records: the comparable fields of one posting and the keys derived from them.

A ``DedupRecord`` is built from a database row (``store/dedup.py``) or from the JSON form of a normalised
posting (``record_from_json``); ``prepare`` fills its derived fields (folded title words and stems, title
qualifier, employer key, canonical URLs, the distinct words of its description). Pure functions, no I/O
except the commune names of ``matching/data/`` read once.
"""

from __future__ import annotations

import csv
import math
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from rapidfuzz import fuzz

from matching.text import FRENCH_STOP_WORDS, normalize_name, stem, strip_gender_marks, tokens
from matching.text import words as text_words

_DATA = Path(__file__).resolve().parent / "data"

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
    urls: tuple[str, ...] = ()  # distinct canonical URLs, sorted (a tuple: a fifth of a set's memory)
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
    """A comparable URL: no scheme, no ``www.``, no tracking parameters, fragment or trailing slash.

    A fragment that is an application route (``#/apply/job/xyfmo22h388/…``, ``#!/…``) is kept: on such sites
    it is what names the posting. A bare site root (no path, query or route left) names no posting: None.
    """
    if not url or not isinstance(url, str):
        return None
    simple = _SIMPLE_URL.match(url)
    if simple:  # the common case (no query, fragment, user, port, space or non-ASCII): same result, faster
        path = (simple["path"] or "").rstrip("/")
        return f"{simple['host'].lower().removeprefix('www.')}{path}".lstrip("/") if path else None
    return _canonical_url_parsed(url)


def _canonical_url_parsed(url: str) -> str | None:
    """``canonical_url`` through the URL parser: every URL, the fast path's reference."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.netloc:
        return None
    host = parts.netloc.lower().removeprefix("www.")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING_PARAMS.match(k.lower())))
    path = parts.path.rstrip("/") or "/"
    route = parts.fragment if parts.fragment.startswith(("/", "!/")) else ""
    if path == "/" and not query and not route:
        return None
    return urlunsplit(("", host, path, query, route)).lstrip("/")


#: An absolute http(s) URL with a plain host and path only (``canonical_url``'s fast path).
_SIMPLE_URL = re.compile(
    r"https?://(?P<host>[A-Za-z0-9.-]+)(?P<path>/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?\Z", re.IGNORECASE
)


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


@lru_cache(maxsize=262_144)
def employer_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two employer keys; the distinctive words (without the kind words) decide.

    "EHPAD Les Tilleuls" ~ "Résidence Les Tilleuls"; "Centre hospitalier de Cahors" ≠ "… de Brive".
    """
    core_a = " ".join(w for w in a.split() if w not in _EMPLOYER_KIND_WORDS)
    core_b = " ".join(w for w in b.split() if w not in _EMPLOYER_KIND_WORDS)
    if core_a and core_b:
        return fuzz.token_set_ratio(core_a, core_b) / 100.0
    return fuzz.token_set_ratio(a, b) / 100.0


def shares_url(a: DedupRecord, b: DedupRecord) -> bool:
    """True when the two records have a canonical URL in common (a strong link)."""
    return bool(a.urls) and bool(b.urls) and any(url in b.urls for url in a.urls)


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
    shared by many postings (title analysis, employer key, commune stems) are computed once per distinct
    string and are the same objects.
    """
    _share_strings(record)
    title = record.title_clean or record.title or ""
    commune_name = record.commune_name or ""
    record.title_words, record.title_stems, record.title_text, _ = _title_analysis(title)
    record.title_qualifier = _title_qualifier_cached(title, commune_name, record.departement or "")
    record.commune_stems = _commune_stem_set(commune_name)
    record.employer_key = _employer_key_cached(record.employer or "")
    if record.employer_siret:
        siret = _NON_DIGIT.sub("", record.employer_siret)
        record.siren = siret[:9] if len(siret) >= 9 else ""
    else:
        record.siren = ""
    urls = {canonical_url(record.url), canonical_url(record.apply_url)}
    if record.partners:
        urls.update(_partner_urls(record.partners))
    else:
        record.partners = _NO_PARTNERS
    urls.discard(None)
    urls.discard("")
    record.urls = tuple(sorted(urls)) if urls else ()  # type: ignore[arg-type]
    text = record.description[:description_chars] if record.description else None
    record.desc_words = _sorted_words(text)
    record.description = None
    return record


_NO_PARTNERS: list[Any] = []
#: Fields whose values repeat across postings: one string object per distinct value (``sys.intern``), not
#: one per posting (a database row or a JSON document gives each posting its own copies).
_SHARED_FIELDS = (
    "source", "title", "title_clean", "employer", "contract_type", "commune_insee", "commune_name", "epci",
    "departement", "rome_code", "salary_period",
)


def _share_strings(record: DedupRecord) -> None:
    for name in _SHARED_FIELDS:
        value = getattr(record, name)
        if type(value) is str:
            setattr(record, name, sys.intern(value))
_NON_DIGIT = re.compile(r"\D")
_EMPTY_WORDS: tuple[str, ...] = ()


def _sorted_words(text: str | None) -> tuple[str, ...]:
    """``description_words`` as a sorted tuple of interned words (eight bytes a word in memory)."""
    if not text:
        return _EMPTY_WORDS
    words = _description_word_set(text)
    return tuple(sorted(map(sys.intern, words))) if words else _EMPTY_WORDS


#: One title's analysis: words, distinctive stems, folded text and its parts (folded name, tokens) for the
#: qualifier; computed once per distinct title (titles repeat: a million postings have far fewer titles).
TitleAnalysis = tuple[tuple[str, ...], frozenset[str], str, tuple[tuple[str, tuple[str, ...]], ...]]


@lru_cache(maxsize=262_144)
def _title_analysis(title: str) -> TitleAnalysis:
    stripped = strip_gender_marks(title)
    words = tuple(tokens(stripped))
    stems = frozenset(stem(w) for w in words if w not in _GENERIC_TITLE_WORDS)
    parts: list[tuple[str, tuple[str, ...]]] = []
    pieces = [p for p in _QUALIFIER_SPLIT.split(stripped) if p and p.strip()]
    if len(pieces) >= 2:  # one part: never a qualifier
        for piece in pieces:
            folded = text_words(piece)
            parts.append((" ".join(folded), tuple(w for w in folded if w not in FRENCH_STOP_WORDS)))
    return words, stems, " ".join(words), tuple(parts)


@lru_cache(maxsize=50_000)
def _place_words(commune_name: str, departement: str) -> frozenset[str]:
    return frozenset(tokens(commune_name)) | {"lot", "quercy", "france"} | ({departement} if departement else set())


@lru_cache(maxsize=262_144)
def _title_qualifier_cached(title: str, commune_name: str, departement: str) -> tuple[str, ...]:
    parts = _title_analysis(title)[3]
    if not parts:
        return ()
    return _qualifier_of_parts(parts, _place_words(commune_name, departement))


@lru_cache(maxsize=50_000)
def _commune_stem_set(name: str) -> frozenset[str]:
    return frozenset(stem(w) for w in tokens(name))


@lru_cache(maxsize=200_000)
def _employer_key_cached(name: str) -> str:
    return employer_key(name) if name else ""


_ASCII_WORD = re.compile(r"[a-z0-9]+")
_FOLD_MAP = {"œ": "oe", "æ": "ae", "ß": "ss", "’": " ", "‘": " ", "`": " "}
_FOLD_TABLE = str.maketrans(_FOLD_MAP)
_FOLD_REPLACEMENTS = tuple(_FOLD_MAP.items())


def description_words(text: str | None) -> frozenset[str]:
    """The distinct folded words of a description, stop words left out.

    Same words as ``matching.text.tokens`` for French text, with a faster fold (NFKD then ASCII in C, rather
    than a per-character filter): descriptions are long and a rebuild folds every one of them.
    """
    if not text:
        return frozenset()
    return frozenset(_description_word_set(text))


def _description_word_set(text: str) -> set[str]:
    folded = text.lower()
    if folded.isascii():  # an ASCII text is its own NFKD form; of the fold table only "`" can be in it
        if "`" in folded:
            folded = folded.replace("`", " ")
    else:  # ``str.replace`` per mapped character: the same as ``translate(_FOLD_TABLE)``, in C
        for char, replacement in _FOLD_REPLACEMENTS:
            if char in folded:
                folded = folded.replace(char, replacement)
        folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    words = set(_ASCII_WORD.findall(folded))
    words -= FRENCH_STOP_WORDS
    return words


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


_QUALIFIER_SPLIT = re.compile(r"\s[-–—|/:]\s|[()\[\],]")
_QUALIFIER_NOISE = frozenset(
    "service poste secteur site urgent cdi cdd interim saisonnier h f hf fh temps plein partiel "
    "titulaire contractuel alternance stage".split()
)


def title_qualifier(title: str, place_words: Iterable[str] = ()) -> tuple[str, ...]:
    """The stems of what a title adds after its job name ("Infirmier H/F - Service pneumologie" → pneumolog).

    Commune names, contract words and gender marks are not qualifiers.
    """
    parts = _title_analysis(title or "")[3]
    return _qualifier_of_parts(parts, frozenset(place_words)) if parts else ()


def _qualifier_of_parts(parts: tuple[tuple[str, tuple[str, ...]], ...], own: frozenset[str]) -> tuple[str, ...]:
    places = _place_names()
    # a part that is a place: any several-word commune name ("Saint-Cyr-la-Roche"), or the posting's own
    # commune (one-word commune names are also ordinary words: "Noyers", "Pommiers")
    kept = [words for name, words in parts if not (name in places and (" " in name or name in own))]
    noise = _QUALIFIER_NOISE
    cleaned = [c for c in ([w for w in ws if w not in noise and w not in own and not w.isdigit()] for ws in kept) if c]
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


__all__ = [
    "DedupRecord",
    "canonical_url",
    "description_words",
    "employer_key",
    "employer_similarity",
    "prepare",
    "record_from_json",
    "shares_url",
    "title_qualifier",
]
