"""Ranking offers for a prospect (and prospects for an offer), with reasons staff can read.

Pipeline for one prospect (``rank_offers``):

1. **Hard filters** (an offer failing one is never proposed): the offer is open (status and expiry date);
   it lies in the prospect's target area (communes, EPCIs, départements) or within ``radius_km`` of it (or
   of the current place when no area is given); its contract type is one the prospect accepts when the
   profile says the contract is *required*; same for the working time.
2. **Topic**: TF-IDF similarity (French analysis from ``matching.text``: folded words, elisions and stop
   words removed, feminine endings mapped to the masculine, Snowball stems, word unigrams + bigrams, plus
   character 3–5-grams of the title for typos) between each desired job and the offer title, and between
   the whole profile (jobs, skills, diplomas) and the offer text; combined with **ROME agreement** (same
   code, same domaine professionnel, same grand domaine).
3. **Context**: distance decay, freshness, contract and working-time preference.
4. ``score = topic × ((1 − context_share) + context_share × context)``: the context re-orders offers of
   the same trade but can never lift an unrelated offer above a related one. Offers whose topic is below
   ``min_topic``, or without evidence of the trade itself (a title like a desired job, or the same ROME
   code), are not proposed at all.

``rank_blocked`` ranks many prospects against a very large offer set one block (département) at a time.

Every weight is in ``RankWeights`` (one place). Reasons are French sentences for staff.

Pure module: no database, no network. ``OfferIndex`` holds the fitted vectorizers and sparse matrices
(scipy CSC, float32) so a query only touches the columns of its own terms.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from matching import mobility, reference
from matching.abbreviations import ABBREVIATIONS as _SHARED_ABBREVIATIONS
from matching.abbreviations import AMBIGUOUS_SHORT
from matching.text import FRENCH_STOP_WORDS, fold, stem, strip_gender_marks, tokens

# --------------------------------------------------------------------------------------------------
# Weights: the one place where the ranking is tuned
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RankWeights:
    """Every weight and constant of the ranking, in one place.

    Topic (what the job is), each part in [0, 1]:
      - ``title_word`` / ``title_char``: shares of word-level and character-level cosine between one desired
        job of the profile and the offer title (best desired job wins).
      - ``title`` / ``body``: shares of that title similarity and of the cosine between the whole profile
        text (jobs, skills, diplomas) and the offer text (title, ROME label, description) in the text score.
      - ``text`` / ``rome``: shares of the text score and of the ROME agreement in the topic.
      - ROME agreement: 1 for the same code, ``rome_same_domain`` for the same domaine professionnel
        (3 characters, e.g. J15), ``rome_same_grand_domain`` for the same grand domaine (1 letter), 0
        otherwise, times the confidence of the profile's code (1 for codes given by staff, the classifier's
        score for the codes it proposes). When the offer or the profile has no ROME code, the topic is the
        text score alone (less evidence: a confirmed ROME agreement ranks above an unknown one at equal text).

    Context (how well it fits the person's situation), each part in [0, 1]:
      - ``distance``: 1 inside the named target area, ``outside_area`` × exp(−km / ``distance_scale_km``)
        outside it (km from the area), exp(−km / ``distance_scale_km``) from the current place when no area
        is given; ``distance_unknown`` without coordinates.
      - ``freshness``: 0.5 ** (days since publication / ``freshness_half_life_days``); 0.5 when unknown.
      - ``contract``: 1 when the offer's contract is among the wanted ones, ``contract_unknown`` when either
        side is silent, ``contract_other`` otherwise (when not required; required ones are hard filters).
      - ``working_time``: the same with ``working_time_unknown`` / ``working_time_other``.
      - ``driving_licence_missing``: context multiplier when the offer asks for a driving licence and the
        prospect has none.

    The parts are combined by weighted means: ``title_word`` and ``title_char`` (title similarity), ``title``
    and ``body`` (text), ``text`` and ``rome`` (topic), ``distance``, ``freshness``, ``contract`` and
    ``working_time`` (context).

    Final: ``score = topic × ((1 − context_share) + context_share × context)``, where ``context_share`` bounds
    what the context can change. Offers with a topic below ``min_topic`` are not proposed, nor offers whose
    title similarity is below ``min_title`` without the same ROME code held with a confidence of at least
    ``min_rome_evidence`` (no evidence of the trade itself). ``default_radius_km`` applies when the profile
    gives no radius.

    Values: set by reasoning, then the title/body split and ``context_share`` chosen on the dev half of the
    relevance set (docs/matching.md).
    """

    title_word: float = 0.5
    title_char: float = 0.5
    title: float = 0.5
    body: float = 0.5
    text: float = 0.55
    rome: float = 0.45
    rome_same_domain: float = 0.5
    rome_same_grand_domain: float = 0.15
    distance: float = 0.35
    freshness: float = 0.15
    contract: float = 0.3
    working_time: float = 0.2
    distance_scale_km: float = 40.0
    distance_unknown: float = 0.5
    outside_area: float = 0.5
    freshness_half_life_days: float = 45.0
    contract_unknown: float = 0.6
    contract_other: float = 0.2
    working_time_unknown: float = 0.7
    working_time_other: float = 0.3
    driving_licence_missing: float = 0.6
    context_share: float = 0.5
    min_topic: float = 0.1
    min_title: float = 0.2
    min_rome_evidence: float = 0.75
    default_radius_km: float = 30.0


DEFAULT_WEIGHTS = RankWeights()

# --------------------------------------------------------------------------------------------------
# French analysis for the ranker
# --------------------------------------------------------------------------------------------------

# Abbreviations staff and employers write (IDE, ASH, AES…), shared with the ROME classifier; expanded on
# both sides (profile and offer) before analysis. Short keys that are also French words ("as", "me") are left.
ABBREVIATIONS: dict[str, list[str]] = {
    key: tokens(value) for key, value in _SHARED_ABBREVIATIONS.items() if key not in AMBIGUOUS_SHORT
} | {"prof": ["professeur"], "maths": ["mathematiques"], "math": ["mathematiques"], "kines": ["kinesitherapeute"]}

# Feminine → masculine endings, longest first (aide-soignante → aide-soignant, infirmière → infirmier).
_FEMININE = (
    ("trices", "teurs"),
    ("trice", "teur"),
    ("euses", "eurs"),
    ("euse", "eur"),
    ("ieres", "iers"),
    ("iere", "ier"),
    ("iennes", "iens"),
    ("ienne", "ien"),
    ("ennes", "ens"),
    ("enne", "en"),
    ("antes", "ants"),
    ("ante", "ant"),
    ("ere", "er"),
    ("elle", "el"),
    ("ive", "if"),
)
_SURFACE_WORD = re.compile(r"[^\W_]+", re.UNICODE)


_FAST_FOLD = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "’": "'", "‘": "'", "`": "'"})
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)'")
_WORD = re.compile(r"[a-z0-9]+")
_COMBINING = re.compile("[\u0300-\u036f]+")


def fast_tokens(text: str) -> list[str]:
    """``matching.text.tokens`` (folded words, elisions and stop words removed), about four times faster on
    long texts: accents are stripped by one NFKD + ASCII pass instead of a per-character loop (what the offer
    index spends its time on at a million offers). Characters without an ASCII form become separators."""
    folded = _COMBINING.sub("", unicodedata.normalize("NFKD", text.translate(_FAST_FOLD)))
    folded = folded.encode("ascii", "replace").decode("ascii")
    folded = _ELISION.sub(" ", folded.lower())
    return [w for w in _WORD.findall(folded) if w not in FRENCH_STOP_WORDS]


def masculine(word: str) -> str:
    """Map a folded French word's feminine ending to the masculine one (used on both sides, so harmless)."""
    if len(word) < 5:
        return word
    for fem, masc in _FEMININE:
        if word.endswith(fem):
            return word[: -len(fem)] + masc
    return word


def _expand(words: Iterable[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        out.append(word)
        out.extend(ABBREVIATIONS.get(word, ()))
    return out


@lru_cache(maxsize=200_000)
def term(word: str) -> str:
    """The index term of one folded word: masculine form, then its Snowball stem."""
    return stem(masculine(word))


def word_terms(text: object) -> list[str]:
    """Index terms (stems) of a text, abbreviations expanded, gender marks and stop words removed."""
    return [term(w) for w in _expand(fast_tokens(strip_gender_marks(str(text or ""))))]


def word_analyzer(text: object) -> list[str]:
    """Unigrams and bigrams of index terms: the analyzer of the word ``TfidfVectorizer``."""
    terms = word_terms(text)
    return terms + [f"{a} {b}" for a, b in zip(terms, terms[1:], strict=False)]


def char_preprocessor(text: object) -> str:
    """Folded, gender-mark free, abbreviation-expanded text for the character n-gram vectorizer."""
    return " ".join(_expand(fast_tokens(strip_gender_marks(str(text or "")))))


def surface_terms(text: str) -> dict[str, str]:
    """Index term → the first word of ``text`` (as written, lower case) that produced it."""
    found: dict[str, str] = {}
    for raw in _SURFACE_WORD.findall(text or ""):
        folded = fold(raw)
        if len(folded) < 3 or folded in FRENCH_STOP_WORDS:
            continue
        found.setdefault(term(folded), raw.lower())
    return found


# --------------------------------------------------------------------------------------------------
# Representations
# --------------------------------------------------------------------------------------------------

CONTRACT_LABELS = {
    "CDI": "CDI",
    "CDD": "CDD",
    "interim": "intérim",
    "apprentissage": "apprentissage",
    "professionnalisation": "contrat de professionnalisation",
    "stage": "stage",
    "saisonnier": "saisonnier",
    "liberal": "exercice libéral",
    "titulaire": "poste de titulaire (fonction publique)",
    "contractuel": "contractuel (fonction publique)",
    "independant": "indépendant",
    "autre": "autre contrat",
}
# A wanted contract type also accepts these offer types (a permanent civil-service post is as stable as a CDI).
CONTRACT_ACCEPTS = {
    "CDI": {"CDI", "titulaire"},
    "titulaire": {"titulaire", "CDI"},
    "CDD": {"CDD", "contractuel", "saisonnier"},
    "contractuel": {"contractuel", "CDD"},
    "saisonnier": {"saisonnier", "CDD"},
    "liberal": {"liberal", "independant"},
    "independant": {"independant", "liberal"},
}
WORKING_TIME_LABELS = {"full_time": "temps plein", "part_time": "temps partiel"}
_CONTRACT_ALIASES = {fold(k).lower(): k for k in CONTRACT_LABELS} | {
    "interim": "interim",
    "intérim": "interim",
    "temporaire": "interim",
    "alternance": "apprentissage",
    "fonctionnaire": "titulaire",
}
_WORKING_TIME_ALIASES = {
    "full_time": "full_time",
    "temps plein": "full_time",
    "plein": "full_time",
    "temps_plein": "full_time",
    "part_time": "part_time",
    "temps partiel": "part_time",
    "partiel": "part_time",
    "temps_partiel": "part_time",
}
_LICENCE = re.compile(r"\bpermis\s+(?:b|de conduire|vl)\b", re.IGNORECASE)


def normalize_contract(value: object) -> str | None:
    """A contract type among ``CONTRACT_LABELS`` keys, or None."""
    if not value:
        return None
    key = fold(str(value)).strip()
    return _CONTRACT_ALIASES.get(key) or next((k for k in CONTRACT_LABELS if k.lower() == key), None)


def normalize_working_time(value: object) -> str | None:
    """``full_time``, ``part_time`` or None."""
    if not value:
        return None
    return _WORKING_TIME_ALIASES.get(fold(str(value)).strip())


def _parse_datetime(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_date(value: object) -> date | None:
    parsed = _parse_datetime(value)
    return parsed.date() if parsed else None


def _float_or_none(value: object) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _str_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;|]", value) if part.strip()]
    if isinstance(value, Iterable):
        return [str(part).strip() for part in value if str(part).strip()]
    return [str(value)]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return ", ".join(str(v) for v in value if v)
    return str(value)


@dataclass(slots=True)
class OfferDoc:
    """What the ranker knows of one offer (built from a normalised offer's JSON or from the database)."""

    id: str
    title: str
    description: str = ""
    employer: str | None = None
    contract_type: str | None = None
    working_time: str | None = None
    rome_code: str | None = None
    rome_label: str | None = None
    insee: str | None = None
    commune_name: str | None = None
    departement: str | None = None
    epci: str | None = None
    lat: float | None = None
    lon: float | None = None
    remote: str | None = None
    published_at: datetime | None = None
    expires_at: datetime | None = None
    status: str = "open"
    flags: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.published_at = _parse_datetime(self.published_at)
        self.expires_at = _parse_datetime(self.expires_at)
        self.contract_type = normalize_contract(self.contract_type)
        self.working_time = normalize_working_time(self.working_time)
        self.description = self.description or ""
        if self.insee:
            ref = reference.communes().by_insee.get(self.insee)
            if ref:
                self.commune_name = self.commune_name or ref.name
                self.departement = self.departement or ref.departement
                self.epci = self.epci or ref.epci
                if self.lat is None or self.lon is None:
                    self.lat, self.lon = ref.lat, ref.lon

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OfferDoc:
        """From the normalised offer JSON (``NormalizedPosting.as_json()`` plus ``id``); raises ValueError."""
        offer_id = data.get("id")
        if offer_id is None or offer_id == "":
            offer_id = data.get("source_id")
        title = data.get("title_clean") or data.get("title")
        if offer_id is None or offer_id == "":
            raise ValueError("offre sans « id »")
        if not title:
            raise ValueError(f"offre {offer_id} sans titre")
        location = data.get("location") or {}
        if not isinstance(location, Mapping):
            location = {}
        return cls(
            id=str(offer_id),
            title=str(title),
            description=_text(data.get("description") or data.get("description_text")),
            employer=data.get("employer"),
            contract_type=normalize_contract(data.get("contract_type")),
            working_time=normalize_working_time(data.get("working_time")),
            rome_code=(str(data["rome_code"]).strip().upper() or None) if data.get("rome_code") else None,
            rome_label=data.get("rome_label"),
            insee=location.get("insee") or data.get("commune_insee"),
            commune_name=location.get("name") or data.get("commune_name"),
            departement=location.get("departement") or data.get("departement"),
            epci=location.get("epci") or data.get("epci"),
            lat=_float_or_none(location.get("lat", data.get("lat"))),
            lon=_float_or_none(location.get("lon", data.get("lon"))),
            remote=data.get("remote"),
            published_at=_parse_datetime(data.get("published_at")),
            expires_at=_parse_datetime(data.get("expires_at")),
            status=str(data.get("status") or "open"),
            flags=list(data.get("flags") or []),
        )

    def is_open(self, now: datetime) -> bool:
        """Open: status ``open``, not past its expiry date (or flagged expired when it has none)."""
        if self.status != "open":
            return False
        if self.expires_at is not None:
            return self.expires_at >= now
        return "expired" not in self.flags

    @property
    def place_label(self) -> str:
        if self.commune_name:
            return f"{self.commune_name} ({self.departement})" if self.departement else self.commune_name
        if self.departement:
            name = reference.communes().departement_names.get(self.departement)
            return f"{name} ({self.departement})" if name else f"département {self.departement}"
        return "lieu non précisé"


@dataclass(slots=True)
class Profile:
    """What the ranker knows of one prospect (mirrors ``store.models.Candidate``)."""

    id: str
    desired_jobs: str = ""
    rome_codes: list[str] = field(default_factory=list)
    skills: str = ""
    experience_years: float | None = None
    diplomas: str = ""
    languages: str = ""
    driving_licence: bool | None = None
    contract_types: list[str] = field(default_factory=list)
    contract_required: bool = False
    working_time: str | None = None
    working_time_required: bool = False
    available_from: date | None = None
    lat: float | None = None
    lon: float | None = None
    insee: str | None = None
    target_communes: list[str] = field(default_factory=list)
    target_epcis: list[str] = field(default_factory=list)
    target_departements: list[str] = field(default_factory=list)
    radius_km: float | None = None
    household_id: str | None = None

    def __post_init__(self) -> None:
        self.contract_types = [c for c in (normalize_contract(v) for v in self.contract_types) if c]
        self.working_time = normalize_working_time(self.working_time)
        self.rome_codes = [c.strip().upper() for c in self.rome_codes if c and c.strip()]
        if self.insee and (self.lat is None or self.lon is None):
            ref = reference.communes().by_insee.get(self.insee)
            if ref:
                self.lat, self.lon = ref.lat, ref.lon

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Profile:
        """From the documented candidate JSON (docs/matching.md); raises ValueError on a missing id."""
        if data.get("id") is None or data.get("id") == "":
            raise ValueError("candidat sans « id »")
        location = data.get("location") or {}
        area = data.get("target_area") or {}
        if not isinstance(location, Mapping) or not isinstance(area, Mapping):
            raise ValueError(f"candidat {data.get('id')} : « location » et « target_area » doivent être des objets")
        household = data.get("household_id")
        return cls(
            id=str(data["id"]),
            desired_jobs=_text(data.get("desired_jobs")),
            rome_codes=_str_list(data.get("rome_codes")),
            skills=_text(data.get("skills")),
            experience_years=_float_or_none(data.get("experience_years")),
            diplomas=_text(data.get("diplomas")),
            languages=_text(data.get("languages")),
            driving_licence=data.get("driving_licence"),
            contract_types=_str_list(data.get("contract_types")),
            contract_required=bool(data.get("contract_required")),
            working_time=data.get("working_time"),
            working_time_required=bool(data.get("working_time_required")),
            available_from=_parse_date(data.get("available_from")),
            lat=_float_or_none(location.get("lat")),
            lon=_float_or_none(location.get("lon")),
            insee=location.get("insee"),
            target_communes=_str_list(area.get("communes")),
            target_epcis=_str_list(area.get("epcis")),
            target_departements=_str_list(area.get("departements")),
            radius_km=_float_or_none(data.get("radius_km")),
            household_id=str(household) if household not in (None, "") else None,
        )

    def job_items(self) -> list[str]:
        """The desired jobs, one per item ("aide-soignante, ASH" → two items; gender marks removed first)."""
        text = strip_gender_marks(self.desired_jobs or "").replace("(", " ").replace(")", " ")
        items = [" ".join(p.split()) for p in re.split(r"[,;/|\n]|\bou\b", text) if p.strip()]
        return items or ([self.desired_jobs.strip()] if self.desired_jobs.strip() else [])

    def full_text(self) -> str:
        return " ".join(part for part in (self.desired_jobs, self.skills, self.diplomas) if part)

    @property
    def has_area(self) -> bool:
        return bool(self.target_communes or self.target_epcis or self.target_departements)


# --------------------------------------------------------------------------------------------------
# ROME codes of a profile
# --------------------------------------------------------------------------------------------------


def _classifier() -> Any | None:
    """The ROME classifier when the ``matching.rome`` module is there (built by another area)."""
    try:
        from matching import rome  # noqa: PLC0415 - optional and heavy
    except ImportError:
        return None
    try:
        return rome.get_classifier()
    except Exception:  # noqa: BLE001 - a broken classifier must not stop the ranking
        return None


# A desired job gets the classifier's best code when its score reaches CLASSIFIER_MIN_SCORE, and the codes
# scoring within CLASSIFIER_TIE of the best (near ties: "infirmière" → J1506, J1505, J1502).
CLASSIFIER_MIN_SCORE = 0.5
CLASSIFIER_TIE = 0.95


@lru_cache(maxsize=20_000)
def _classify_job(item: str) -> tuple[tuple[str, float], ...]:
    classifier = _classifier()
    if classifier is None:
        return ()
    try:
        found = classifier.classify(item, None, top=3)
    except Exception:  # noqa: BLE001
        return ()
    if not found:
        return ()
    best = max(m.score for m in found)
    if best < CLASSIFIER_MIN_SCORE:  # nothing recognisable: the text alone will speak
        return ()
    return tuple((m.code, min(1.0, float(m.score))) for m in found if m.score >= CLASSIFIER_TIE * best)[:3]


def profile_rome_weights(profile: Profile) -> dict[str, float]:
    """The profile's ROME codes with a confidence: the codes given (staff validated) count 1; without them, the
    classifier's codes for each desired job count their classifier score."""
    if profile.rome_codes:
        return dict.fromkeys(profile.rome_codes, 1.0)
    weights: dict[str, float] = {}
    for item in profile.job_items():
        for code, score in _classify_job(item):
            weights[code] = max(weights.get(code, 0.0), score)
    return weights


def profile_rome_codes(profile: Profile) -> list[str]:
    """The profile's ROME codes, most confident first."""
    weights = profile_rome_weights(profile)
    return sorted(weights, key=lambda code: -weights[code])


# --------------------------------------------------------------------------------------------------
# The offer index
# --------------------------------------------------------------------------------------------------

_EARTH_KM = 6371.0088


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


def _haversine(lat1: np.ndarray, lon1: np.ndarray, lat2: float, lon2: float) -> np.ndarray:
    p1, p2 = np.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dl = math.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points, in km."""
    return float(_haversine(np.array([a[0]]), np.array([a[1]]), b[0], b[1])[0])


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
        self.asks_licence = np.array([bool(_LICENCE.search(o.description or "")) for o in self.offers], dtype=bool)
        self.position = {o.id: i for i, o in enumerate(self.offers)}

    @staticmethod
    def _csc(matrix: sparse.spmatrix) -> sparse.csc_matrix:
        return sparse.csc_matrix(matrix, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.offers)

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


# --------------------------------------------------------------------------------------------------
# Ranking
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class RankedOffer:
    """One proposed offer: score in [0, 1], French reasons for staff, and the score's parts."""

    offer_id: str
    score: float
    reasons: list[str]
    parts: dict[str, float]


@dataclass(slots=True)
class _Area:
    """The prospect's geography, ready for vectorised tests."""

    communes: set[str]
    epcis: set[str]
    departements: set[str]
    anchors: np.ndarray  # (k, 2) lat, lon
    radius: float
    constrained: bool
    key: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None = None


@lru_cache(maxsize=4096)
def _area_points(communes: tuple[str, ...], epcis: tuple[str, ...], departements: tuple[str, ...]) -> np.ndarray:
    """(k, 2) lat, lon of the communes of a target area (cached: many prospects share an area)."""
    table = reference.communes()
    refs = [table.by_insee[c] for c in communes if c in table.by_insee]
    refs += [ref for siren in epcis for ref in table.by_epci.get(siren, ())]
    refs += [ref for dep in departements for ref in table.by_departement.get(dep, ())]
    points = [(r.lat, r.lon) for r in refs if r.lat is not None and r.lon is not None]
    array = np.array(points, dtype=np.float64).reshape(-1, 2)
    array.setflags(write=False)
    return array


@lru_cache(maxsize=1024)
def _area_tree(communes: tuple[str, ...], epcis: tuple[str, ...], departements: tuple[str, ...]) -> Any:
    """A k-d tree over the 3D unit vectors of an area's communes (nearest commune of the area, fast)."""
    from scipy.spatial import cKDTree  # noqa: PLC0415

    points = _area_points(communes, epcis, departements)
    return cKDTree(_unit_vectors(points[:, 0], points[:, 1]))


def _area(profile: Profile, weights: RankWeights) -> _Area:
    key = (tuple(profile.target_communes), tuple(profile.target_epcis), tuple(profile.target_departements))
    anchors = _area_points(*key)
    if not profile.has_area and profile.lat is not None and profile.lon is not None:
        anchors = np.array([[profile.lat, profile.lon]], dtype=np.float64)
    return _Area(
        communes=set(profile.target_communes),
        epcis=set(profile.target_epcis),
        departements=set(profile.target_departements),
        anchors=anchors,
        radius=profile.radius_km if profile.radius_km is not None else weights.default_radius_km,
        constrained=profile.has_area or anchors.shape[0] > 0,
        key=key if profile.has_area else None,
    )


def _area_distances(index: OfferIndex, rows: np.ndarray, area: _Area) -> np.ndarray:
    """km from the target area (0 inside it) for ``rows``; NaN when the offer has no coordinates."""
    dist = np.full(rows.shape[0], np.nan)
    inside = index.insee.isin(area.communes, rows) | index.epci.isin(area.epcis, rows)
    inside |= index.departement.isin(area.departements, rows)
    dist[inside] = 0.0
    todo = ~inside & ~np.isnan(index.lat[rows])
    if area.anchors.shape[0] and todo.any():
        lat, lon = index.lat[rows][todo], index.lon[rows][todo]
        if area.anchors.shape[0] <= 4:
            best = np.full(lat.shape[0], np.inf)
            for a_lat, a_lon in area.anchors:
                best = np.minimum(best, _haversine(lat, lon, a_lat, a_lon))
        else:
            tree = _area_tree(*area.key) if area.key is not None else None
            if tree is None:
                from scipy.spatial import cKDTree  # noqa: PLC0415

                tree = cKDTree(_unit_vectors(area.anchors[:, 0], area.anchors[:, 1]))
            chord, _ = tree.query(_unit_vectors(lat, lon), k=1)
            best = 2 * _EARTH_KM * np.arcsin(np.clip(chord / 2, 0, 1))
        dist[todo] = best
    return dist


def _anchor_box(area: _Area) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) of the area's anchor points widened by its radius."""
    margin_lat = area.radius / 111.0 + 0.01
    lat_min, lat_max = area.anchors[:, 0].min() - margin_lat, area.anchors[:, 0].max() + margin_lat
    cos = max(math.cos(math.radians(max(abs(lat_min), abs(lat_max)))), 0.05)
    margin_lon = area.radius / (111.0 * cos) + 0.01
    lon_min, lon_max = area.anchors[:, 1].min() - margin_lon, area.anchors[:, 1].max() + margin_lon
    return float(lat_min), float(lat_max), float(lon_min), float(lon_max)


def _bbox_rows(index: OfferIndex, area: _Area) -> np.ndarray:
    """Rows that may be inside or near the area: a cheap bounding-box and membership pre-filter."""
    n = len(index)
    keep = index.insee.isin(area.communes) | index.epci.isin(area.epcis)
    keep |= index.departement.isin(area.departements)
    if area.anchors.shape[0]:
        lat_min, lat_max, lon_min, lon_max = _anchor_box(area)
        with np.errstate(invalid="ignore"):
            keep |= (index.lat >= lat_min) & (index.lat <= lat_max) & (index.lon >= lon_min) & (index.lon <= lon_max)
    keep |= index.remote_full
    return np.flatnonzero(keep) if n else np.zeros(0, dtype=np.int64)


def _accepts_contract(wanted: Sequence[str], offered: str) -> bool:
    return any(offered in CONTRACT_ACCEPTS.get(w, {w}) for w in wanted)


def _rome_agreement(
    codes: Mapping[str, float], index: OfferIndex, rows: np.ndarray, weights: RankWeights
) -> np.ndarray:
    """ROME agreement of each row with the best of the profile's codes, times that code's confidence (0 when one
    side has no code)."""
    best = np.zeros(rows.shape[0], dtype=np.float32)
    for code, confidence in codes.items():
        same = index.rome.isin([code], rows)
        domain = index.rome_domain.isin([code[:3]], rows)
        grand = index.rome_grand.isin([code[:1]], rows)
        value = np.where(
            same, 1.0, np.where(domain, weights.rome_same_domain, np.where(grand, weights.rome_same_grand_domain, 0.0))
        )
        best = np.maximum(best, (confidence * value).astype(np.float32))
    best[~index.rome.known(rows)] = 0.0
    return best


class Ranker:
    """Ranks offers of an ``OfferIndex`` for profiles; explains the proposals."""

    def __init__(self, index: OfferIndex, weights: RankWeights = DEFAULT_WEIGHTS) -> None:
        self.index = index
        self.weights = weights

    # ---- filters --------------------------------------------------------------------------------

    def eligible(
        self, profile: Profile, now: datetime, area: _Area | None = None, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows (all, or among ``rows``) passing the hard filters, and their km from the target area (NaN when
        unknown)."""
        index, area = self.index, area or _area(profile, self.weights)
        n = len(index)
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        if rows is None:
            rows = _bbox_rows(index, area) if area.constrained else np.arange(n)
        ts = now.timestamp()
        expires = index.expires[rows]
        with np.errstate(invalid="ignore"):
            open_ = index.status_open[rows] & ~(expires < ts)
        rows = rows[open_]
        if profile.contract_required and profile.contract_types:
            allowed = set().union(*(CONTRACT_ACCEPTS.get(c, {c}) for c in profile.contract_types))
            rows = rows[index.contract.isin(allowed, rows)]
        if profile.working_time_required and profile.working_time:
            rows = rows[index.working_time.isin([profile.working_time], rows) | ~index.working_time.known(rows)]
        dist = _area_distances(index, rows, area) if area.constrained else np.full(rows.shape[0], np.nan)
        if area.constrained:
            with np.errstate(invalid="ignore"):
                ok = (dist <= area.radius) | index.remote_full[rows]
            rows, dist = rows[ok], dist[ok]
        if profile.driving_licence is False and profile.lat is not None and profile.lon is not None:
            # Mobility is a hard constraint without a licence: cycling distance or a station at both ends.
            reach, _ = mobility.reachable_without_car((profile.lat, profile.lon), index.lat[rows], index.lon[rows])
            ok = reach | index.remote_full[rows]
            rows, dist = rows[ok], dist[ok]
        return rows, dist

    # ---- scoring --------------------------------------------------------------------------------

    def _text_scores(self, profile: Profile, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(title similarity, body similarity, index of the best desired job) for ``rows``."""
        model, w = self.index.model, self.weights
        items = [model.correct(item) for item in profile.job_items() or [profile.full_text() or ""]]
        q_words = model.vectorize(items, "words")
        q_chars = model.vectorize(items, "chars")
        q_body = model.vectorize([model.correct(profile.full_text())], "words")
        tw = OfferIndex._column_scores(self.index.title_words, q_words)[rows]
        tc = OfferIndex._column_scores(self.index.title_chars, q_chars)[rows]
        per_item = w.title_word * tw + w.title_char * tc
        best_item = per_item.argmax(axis=1) if per_item.shape[1] else np.zeros(rows.shape[0], dtype=np.int64)
        title = per_item.max(axis=1) if per_item.shape[1] else np.zeros(rows.shape[0], dtype=np.float32)
        body = OfferIndex._column_scores(self.index.body_words, q_body)[rows, 0]
        return title, body, best_item

    def score_rows(self, profile: Profile, rows: np.ndarray, dist: np.ndarray, now: datetime) -> dict[str, np.ndarray]:
        """Every part of the score for ``rows`` (already filtered), as arrays."""
        index, w = self.index, self.weights
        title, body, best_item = self._text_scores(profile, rows)
        text = (w.title * title + w.body * body) / (w.title + w.body)
        codes = profile_rome_weights(profile)
        rome = _rome_agreement(codes, index, rows, w)
        rome_known = index.rome.known(rows) if codes else np.zeros(rows.shape[0], dtype=bool)
        # Without a ROME code on both sides, the text is the only evidence of the trade.
        topic = np.where(rome_known, (w.text * text + w.rome * rome) / (w.text + w.rome), text)
        # distance decay; with a named target area, an offer inside it beats one merely within the radius
        distance = np.exp(-np.nan_to_num(dist) / w.distance_scale_km)
        if profile.has_area:
            distance = np.where(dist > 0, w.outside_area * distance, 1.0)
        distance = np.where(np.isnan(dist), w.distance_unknown, distance)
        # freshness
        age_days = (now.timestamp() - index.published[rows]) / 86400.0
        freshness = np.where(
            np.isnan(age_days), 0.5, 0.5 ** (np.clip(np.nan_to_num(age_days), 0, None) / w.freshness_half_life_days)
        )
        # contract / working time preference
        if profile.contract_types:
            allowed = set().union(*(CONTRACT_ACCEPTS.get(c, {c}) for c in profile.contract_types))
            ok = index.contract.isin(allowed, rows)
            contract = np.where(~index.contract.known(rows), w.contract_unknown, np.where(ok, 1.0, w.contract_other))
        else:
            contract = np.full(rows.shape[0], w.contract_unknown)
        if profile.working_time:
            same = index.working_time.isin([profile.working_time], rows)
            working = np.where(
                ~index.working_time.known(rows), w.working_time_unknown, np.where(same, 1.0, w.working_time_other)
            )
        else:
            working = np.full(rows.shape[0], w.working_time_unknown)
        context = w.distance * distance + w.freshness * freshness + w.contract * contract + w.working_time * working
        context = context / (w.distance + w.freshness + w.contract + w.working_time)
        if profile.driving_licence is False:
            context = np.where(index.asks_licence[rows], context * w.driving_licence_missing, context)
        score = topic * ((1 - w.context_share) + w.context_share * context)
        # A proposal needs evidence of the trade itself: a title like a desired job, or the very same ROME code
        # (a shared domain alone would propose nurse posts to care workers).
        evidence = (title >= w.min_title) | (rome >= w.min_rome_evidence)
        score = np.where((topic >= w.min_topic) & evidence, score, 0.0)
        return {
            "score": score.astype(np.float64),
            "topic": topic,
            "text": text,
            "title": title,
            "body": body,
            "rome": rome,
            "distance": distance,
            "freshness": freshness,
            "contract": contract,
            "working_time": working,
            "km": dist,
            "job_item": best_item.astype(np.float64),
        }

    def rank(self, profile: Profile, *, top: int = 10, now: datetime | None = None) -> list[RankedOffer]:
        """The ``top`` best offers for ``profile`` that pass every hard filter, best first, with reasons."""
        now = now or datetime.now(UTC)
        area = _area(profile, self.weights)
        rows, dist = self.eligible(profile, now, area)
        if rows.size == 0 or top <= 0:
            return []
        parts = self.score_rows(profile, rows, dist, now)
        # scores are shown (and merged across blocks) rounded to 4 decimals: rank on that, ties by offer id
        score = np.round(parts["score"], 4)
        positive = np.flatnonzero(score > 0)
        if positive.size == 0:
            return []
        if positive.size > top:
            kth = np.partition(score[positive], positive.size - top)[positive.size - top]
            positive = positive[score[positive] >= kth]  # the top ones and every tie with the last
        chosen = sorted(positive, key=lambda i: (-score[i], str(self.index.ids[rows[i]])))[:top]
        results = []
        for i in chosen:
            offer = self.index.offers[rows[i]]
            values = {name: float(array[i]) for name, array in parts.items()}
            results.append(
                RankedOffer(
                    offer_id=offer.id,
                    score=round(values["score"], 4),
                    reasons=explain(profile, offer, values, area_radius=area.radius, now=now),
                    parts={k: round(v, 4) for k, v in values.items() if not math.isnan(v)},
                )
            )
        return results


# --------------------------------------------------------------------------------------------------
# Blocking by area: many prospects × a very large offer set, one block of offers at a time
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AreaBox:
    """Where a prospect's offers can be: a bounding box (target area or current place ± radius) and the
    départements of the area; ``everywhere`` when the profile has no geography."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float
    departements: frozenset[str]
    everywhere: bool


def area_box(profile: Profile, weights: RankWeights = DEFAULT_WEIGHTS) -> AreaBox:
    """The bounding box of what ``profile`` may be proposed (used to route profiles to offer blocks)."""
    area = _area(profile, weights)
    table = reference.communes()
    refs = [table.by_insee[c] for c in area.communes if c in table.by_insee]
    refs += [ref for siren in area.epcis for ref in table.by_epci.get(siren, ())]
    departements = frozenset(area.departements) | {ref.departement for ref in refs}
    if not area.constrained:
        return AreaBox(-90, 90, -180, 180, departements, True)
    if area.anchors.shape[0] == 0:
        return AreaBox(0, 0, 0, 0, departements, False)
    return AreaBox(*_anchor_box(area), departements, False)


def profiles_for_block(boxes: Sequence[tuple[Profile, AreaBox]], index: OfferIndex) -> list[Profile]:
    """The profiles whose area may reach an offer of the block ``index``."""
    if len(index) == 0:
        return []
    lat, lon = index.lat[~np.isnan(index.lat)], index.lon[~np.isnan(index.lon)]
    has_points = lat.size > 0
    b_lat_min, b_lat_max = (float(lat.min()), float(lat.max())) if has_points else (0.0, 0.0)
    b_lon_min, b_lon_max = (float(lon.min()), float(lon.max())) if has_points else (0.0, 0.0)
    departements = set(index.departement.mapping)
    remote = bool(index.remote_full.any())
    chosen = []
    for profile, box in boxes:
        if box.everywhere or remote or (box.departements & departements):
            chosen.append(profile)
        elif (
            has_points
            and box.lat_min <= b_lat_max
            and box.lat_max >= b_lat_min
            and (box.lon_min <= b_lon_max and box.lon_max >= b_lon_min)
        ):
            chosen.append(profile)
    return chosen


def merge_top(current: list[RankedOffer], new: Sequence[RankedOffer], top: int) -> list[RankedOffer]:
    """The ``top`` best of two ranked lists (scores are comparable across blocks: same model and weights)."""
    merged = sorted([*current, *new], key=lambda r: (-r.score, r.offer_id))
    return merged[:top]


def rank_blocked(
    profiles: Sequence[Profile],
    blocks: Iterable[Sequence[OfferDoc]],
    model: TextModel,
    *,
    top: int = 20,
    weights: RankWeights = DEFAULT_WEIGHTS,
    now: datetime | None = None,
    boxes: Sequence[tuple[Profile, AreaBox]] | None = None,
) -> dict[str, list[RankedOffer]]:
    """Top ``top`` offers of every profile over offers given block by block (e.g. one département at a time).

    Only one block is in memory at a time; each profile is ranked only against the blocks its area reaches.
    ``model`` (vocabulary and IDF) is shared by all blocks so that scores are comparable; fit it on the whole
    corpus or a large sample of it.
    """
    now = now or datetime.now(UTC)
    boxes = boxes if boxes is not None else [(p, area_box(p, weights)) for p in profiles]
    results: dict[str, list[RankedOffer]] = {p.id: [] for p in profiles}
    for offers in blocks:
        index = OfferIndex(offers, model)
        ranker = Ranker(index, weights)
        for profile in profiles_for_block(boxes, index):
            ranked = ranker.rank(profile, top=top, now=now)
            if ranked:
                results[profile.id] = merge_top(results[profile.id], ranked, top)
    return results


def rank_offers(
    profile: Profile,
    index: OfferIndex,
    *,
    top: int = 10,
    weights: RankWeights = DEFAULT_WEIGHTS,
    now: datetime | None = None,
) -> list[RankedOffer]:
    """The ``top`` offers of ``index`` for ``profile``, best first, each with its French reasons."""
    return Ranker(index, weights).rank(profile, top=top, now=now)


def score_offer(
    profile: Profile,
    index: OfferIndex,
    offer_id: str,
    *,
    weights: RankWeights = DEFAULT_WEIGHTS,
    now: datetime | None = None,
) -> RankedOffer | None:
    """The score and reasons of one offer for one profile, or None when a hard filter excludes it."""
    now = now or datetime.now(UTC)
    ranker = Ranker(index, weights)
    area = _area(profile, weights)
    position = index.position.get(str(offer_id))
    if position is None:
        return None
    rows, dist = ranker.eligible(profile, now, area, rows=np.array([position], dtype=np.int64))
    if rows.size == 0:
        return None
    parts = ranker.score_rows(profile, rows, dist, now)
    values = {name: float(array[0]) for name, array in parts.items()}
    if values["score"] <= 0:
        return None
    offer = index.offers[position]
    return RankedOffer(
        offer_id=offer.id,
        score=round(values["score"], 4),
        reasons=explain(profile, offer, values, area_radius=area.radius, now=now),
        parts={k: round(v, 4) for k, v in values.items() if not math.isnan(v)},
    )


def rank_candidates(
    offer_id: str,
    profiles: Sequence[Profile],
    index: OfferIndex,
    *,
    top: int = 10,
    weights: RankWeights = DEFAULT_WEIGHTS,
    now: datetime | None = None,
) -> list[tuple[Profile, RankedOffer]]:
    """The ``top`` prospects for one offer of ``index`` (same score and filters as the other direction)."""
    scored = []
    for profile in profiles:
        ranked = score_offer(profile, index, offer_id, weights=weights, now=now)
        if ranked is not None:
            scored.append((profile, ranked))
    scored.sort(key=lambda pair: (-pair[1].score, pair[0].id))
    return scored[:top]


# --------------------------------------------------------------------------------------------------
# Reasons
# --------------------------------------------------------------------------------------------------


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def _matched_skills(profile: Profile, offer_terms: frozenset[str]) -> list[str]:
    found = []
    for skill in re.split(r"[,;\n]", profile.skills or ""):
        skill = skill.strip()
        terms = {t for t in word_terms(skill)}
        if terms and len(terms & offer_terms) >= max(1, math.ceil(len(terms) * 2 / 3)):
            found.append(skill)
    return found


@lru_cache(maxsize=20_000)
def _offer_vocabulary(text: str) -> tuple[frozenset[str], dict[str, str]]:
    """(index terms, term → surface word) of an offer's text, cached: top offers come back for many prospects."""
    return frozenset(word_terms(text)), surface_terms(text)


@lru_cache(maxsize=20_000)
def _profile_terms(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(word_terms(text)))


def _matched_terms(profile: Profile, offer_surface: Mapping[str, str]) -> list[str]:
    profile_terms = _profile_terms(profile.full_text())
    shown: list[str] = []
    for t in profile_terms:
        word = offer_surface.get(t)
        if word and word not in shown:
            shown.append(word)
    return shown[:6]


def _rome_sentence(codes: Sequence[str], offer: OfferDoc) -> str | None:
    labels = reference.rome_labels()
    oc = offer.rome_code
    if not oc:
        return None
    offer_label = labels.get(oc, offer.rome_label or "")
    if oc in codes:
        return f"Code ROME identique : {oc} ({offer_label})."
    same_domain = [c for c in codes if c[:3] == oc[:3]]
    if same_domain:
        return (
            f"Même domaine professionnel ({oc[:3]} {labels.get(oc[:3], '')}) : offre en {oc} ({offer_label}), "
            f"profil en {same_domain[0]} ({labels.get(same_domain[0], '')})."
        )
    same_grand = [c for c in codes if c[:1] == oc[:1]]
    if same_grand:
        return f"Même grand domaine ROME ({labels.get(oc[:1], oc[:1])}) : offre en {oc} ({offer_label})."
    if codes:
        return f"Code ROME différent : offre en {oc} ({offer_label}), profil en {_join(list(codes)[:3])}."
    return None


def _place_sentence(profile: Profile, offer: OfferDoc, km: float, radius: float) -> str:
    where = offer.place_label
    home = None
    if profile.lat is not None and profile.lon is not None and offer.lat is not None and offer.lon is not None:
        home = distance_km((profile.lat, profile.lon), (offer.lat, offer.lon))
    if str(offer.remote or "").lower() in ("full", "total", "100"):
        return f"Poste en télétravail complet (rattaché à {where})."
    if math.isnan(km):
        return f"Lieu : {where} (distance inconnue, lieu précis non donné)."
    if km == 0 and profile.has_area:
        sentence = f"Lieu : {where}, dans la zone de recherche du candidat"
    elif profile.has_area:
        sentence = f"Lieu : {where}, à {km:.0f} km de la zone de recherche (rayon accepté : {radius:.0f} km)"
    else:
        sentence = f"Lieu : {where}, à {km:.0f} km du lieu actuel du candidat (rayon accepté : {radius:.0f} km)"
    if home is not None and profile.has_area:
        sentence += f" ; à {home:.0f} km de son lieu actuel"
    return sentence + "."


def _contract_sentence(profile: Profile, offer: OfferDoc) -> str:
    offered = offer.contract_type
    if not offered:
        return "Type de contrat non précisé dans l'offre : à vérifier."
    label = CONTRACT_LABELS.get(offered, offered)
    wanted = [CONTRACT_LABELS.get(c, c) for c in profile.contract_types]
    if not wanted:
        return f"Contrat : {label} (le candidat n'a pas indiqué de préférence)."
    if _accepts_contract(profile.contract_types, offered):
        return f"Contrat : {label}, conforme au souhait du candidat ({_join(wanted)})."
    return f"Contrat : {label}, alors que le candidat souhaite : {_join(wanted)}."


def _working_time_sentence(profile: Profile, offer: OfferDoc) -> str | None:
    if not offer.working_time:
        return None
    label = WORKING_TIME_LABELS.get(offer.working_time, offer.working_time)
    if not profile.working_time:
        return f"Temps de travail : {label}."
    if profile.working_time == offer.working_time:
        return f"Temps de travail : {label}, comme souhaité."
    return f"Temps de travail : {label}, alors que le candidat souhaite un {WORKING_TIME_LABELS[profile.working_time]}."


def explain(
    profile: Profile, offer: OfferDoc, parts: Mapping[str, float], *, area_radius: float, now: datetime
) -> list[str]:
    """French sentences for staff: matched terms and skills, ROME codes, distance, contract, freshness."""
    reasons: list[str] = []
    offer_terms, offer_surface = _offer_vocabulary(f"{offer.title} {offer.description}")
    items = profile.job_items()
    item = items[int(parts.get("job_item", 0))] if items and int(parts.get("job_item", 0)) < len(items) else ""
    terms = _matched_terms(profile, offer_surface)
    if terms:
        reasons.append(f"Termes communs avec l'offre « {offer.title} » : {_join(terms)}.")
    elif item and parts.get("title", 0.0) >= 0.15:
        reasons.append(f"Intitulé « {offer.title} » proche du métier recherché « {item} » (écriture voisine).")
    skills = _matched_skills(profile, offer_terms)
    if skills:
        reasons.append(f"Compétences du candidat citées dans l'offre : {_join(skills[:5])}.")
    rome = _rome_sentence(profile_rome_codes(profile), offer)
    if rome:
        reasons.append(rome)
    reasons.append(_place_sentence(profile, offer, parts.get("km", math.nan), area_radius))
    reasons.append(_contract_sentence(profile, offer))
    working = _working_time_sentence(profile, offer)
    if working:
        reasons.append(working)
    if offer.published_at:
        days = max(0, (now - offer.published_at).days)
        reasons.append(
            "Offre publiée aujourd'hui." if days == 0 else f"Offre publiée il y a {days} jour{'s' if days > 1 else ''}."
        )
    if profile.driving_licence is False and profile.lat is not None and offer.lat is not None:
        mobile = mobility.sentence((profile.lat, profile.lon), (offer.lat, offer.lon))  # type: ignore[arg-type]
        if mobile:
            reasons.append(mobile)
    if profile.driving_licence is False and _LICENCE.search(offer.description or ""):
        reasons.append("Attention : l'offre demande le permis de conduire, que le candidat n'a pas.")
    return reasons
