"""What the ranker knows of an offer (``OfferDoc``) and of a prospect (``Profile``), and the prospect's ROME
codes (given by staff, or proposed by the ROME classifier from the desired jobs).

Contract types and working times are normalised to one vocabulary (``CONTRACT_LABELS``); dates are read by
``matching.parsers`` (values without an offset are UTC, as the database stores them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from matching import reference
from matching.parsers import parse_date, parse_day
from matching.rank_terms import word_terms
from matching.text import fold, strip_gender_marks

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
LICENCE = re.compile(r"\bpermis\s+(?:b|de conduire|vl)\b", re.IGNORECASE)


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
    return parse_date(value, naive=UTC)


def _parse_date(value: object) -> date | None:
    return parse_day(value, naive=UTC)


@lru_cache(maxsize=20_000)
def _phrase_terms(text: str) -> list[list[str]]:
    phrases = (list(dict.fromkeys(word_terms(part))) for part in re.split(r"[,;\n]", text))
    return [terms for terms in phrases if terms]


def accepts_contract(wanted: Sequence[str], offered: str) -> bool:
    """Whether an offer of contract type ``offered`` is one of the ``wanted`` types (or accepted in their stead)."""
    return any(offered in CONTRACT_ACCEPTS.get(w, {w}) for w in wanted)


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

    def skill_terms(self) -> list[list[str]]:
        """Index terms of each skill and diploma ("CACES 3, chargement" → two phrases)."""
        return _phrase_terms(f"{self.skills or ''}\n{self.diplomas or ''}")

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
