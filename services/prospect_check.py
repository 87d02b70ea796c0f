"""Checking one prospect's fields (``validate_prospect``): an import row or a booth-form entry.

- rejected (``errors``): no name; neither a valid e-mail nor a valid phone (``phonenumbers``, region FR);
  no recorded consent to be contacted.
- imported with a ``warning``: invalid e-mail or phone when the other one is valid, unknown commune, unreadable
  radius / experience / date / yes-no answer, unknown desired zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from matching.geo import get_gazetteer
from matching.parsers import parse_contract
from matching.rome import get_classifier
from matching.text import fold
from services.prospect_fields import FIELDS, NO, YES, field_for_header, parse_yes_no
from services.spreadsheet import cell_text, header_key, parse_french_date
from store.candidates import normalize_phone

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
)
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:km|kms|kilometres?|ans?|annees?)?\.?\s*$")


@dataclass
class ProspectCheck:
    """The checked values of one prospect, with reasons to reject (``errors``) and ``warnings``."""

    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _number(text: str) -> float:
    """``50``, ``50 km``, ``3,5 ans``, ``18 mois`` (→ 1.5 years) as a number; ValueError otherwise."""
    months = re.fullmatch(r"\s*(\d+)\s*mois\s*", fold(text))
    if months:
        return round(int(months[1]) / 12, 2)
    match = _NUMBER.match(fold(text))
    if not match:
        raise ValueError(text)
    return float(match[1].replace(",", "."))


def _contract_types(text: str) -> list[str]:
    """Contract types in ``text`` (``CDI ou CDD``, ``Intérim``…), via the shared parser when available."""
    parts = [p.strip() for p in re.split(r"[,;/+]|\bou\b|\bet\b", text, flags=re.IGNORECASE) if p.strip()]
    found: list[str] = []
    simple = {
        "cdi": "CDI", "cdd": "CDD", "interim": "interim", "alternance": "apprentissage",
        "apprentissage": "apprentissage", "professionnalisation": "professionnalisation", "stage": "stage",
        "saisonnier": "saisonnier", "saison": "saisonnier", "liberal": "liberal", "independant": "independant",
        "titulaire": "titulaire", "contractuel": "contractuel", "fonction publique": "titulaire",
    }
    for part in parts:
        kind = None
        try:
            kind = parse_contract(part).type
        except Exception:  # noqa: BLE001 - the shared parser must not break an import
            kind = None
        if kind is None:
            folded = header_key(part)
            kind = next((v for k, v in simple.items() if k in folded), None)
        if kind and kind not in found:
            found.append(kind)
    return found


def _gazetteer():  # type: ignore[no-untyped-def]
    """The shared gazetteer."""
    return get_gazetteer()


def _rome_codes(desired: str) -> list[str]:
    """ROME codes of the desired jobs (best code per job), or [] when the classifier is not available."""
    codes: list[str] = []
    for part in re.split(r"[,;/]|\bou\b", desired):
        code = _rome_code(part.strip()) if part.strip() else None
        if code and code not in codes:
            codes.append(code)
    return codes


@lru_cache(maxsize=4096)
def _rome_code(job: str) -> str | None:
    """The best ROME code of one job title (cached: the same jobs come back all through a fair)."""
    matches = get_classifier().classify(job, top=1)
    return matches[0].code if matches else None


def _email(text: str) -> str | None:
    """A valid e-mail address in lower case, or None."""
    value = text.strip().removeprefix("mailto:").strip().strip("<>").lower()
    return value if _EMAIL.match(value) else None


def _first_valid(text: str, parse: Any) -> str | None:
    """``parse`` of the whole cell, else of its first part that parses ("06 … / 05 …", "a@x.fr; b@y.fr")."""
    if not text:
        return None
    whole = parse(text)
    if whole:
        return whole
    for part in re.split(r"[/;,|]|\bou\b|\bet\b", text):
        value = parse(part) if part.strip() else None
        if value:
            return value
    return None


def _split_full_name(text: str) -> tuple[str | None, str | None]:
    """``Marie DUPONT`` → (Marie, DUPONT); ``DUPONT Marie`` → (Marie, DUPONT); else the last word is the name."""
    words = text.split()
    if len(words) < 2:
        return None, text or None
    upper = [w for w in words if w.isupper() and len(w) > 1]
    if upper and len(upper) < len(words):
        return " ".join(w for w in words if w not in upper), " ".join(upper)
    return " ".join(words[:-1]), words[-1]


def _resolve_place(gazetteer: Any, text: str) -> Any:
    """The gazetteer's place for a cell naming a commune, or None when its answer is not that place.

    The gazetteer finds a commune *inside* an offer's location text ("Poste basé à Mer"); a cell that names
    one place must be that place: "Atlantis-sur-Mer" is not the commune of Mer. The cell's words (postal code
    and département number aside) must be close to the place's name or a part of it ("Brive").
    """
    place = gazetteer.resolve(text)
    if place is None or getattr(place, "level", "commune") != "commune":
        return place
    asked = [w for w in header_key(text).split() if not w.isdigit() and w not in {"france", "cedex"}]
    name = header_key(place.name).split()
    if not asked or set(asked) <= set(name) or fuzz.ratio(" ".join(asked), " ".join(name)) >= 80:
        return place
    # "Saint-Céré (Lot)": the extra word may be the département
    if len(asked) > len(name) and fuzz.ratio(" ".join(asked[: len(name)]), " ".join(name)) >= 80:
        return place
    return None


def _resolve_zone(text: str, gazetteer: Any, warnings: list[str]) -> dict[str, Any]:
    area: dict[str, Any] = {"text": text}
    if gazetteer is None:
        return area
    communes: list[str] = []
    epcis: list[str] = []
    departements: list[str] = []
    unknown: list[str] = []
    for part in re.split(r"[,;/]|\bou\b|\bet\b", text):
        part = part.strip()
        if not part:
            continue
        place = _resolve_place(gazetteer, part)
        if place is None:
            unknown.append(part)
        elif place.level == "commune" and place.insee:
            communes.append(place.insee)
            if place.epci and place.epci not in epcis:
                epcis.append(place.epci)
        elif place.departement and place.departement not in departements:
            departements.append(place.departement)
    if unknown:
        warnings.append(f"zone souhaitée non reconnue : {', '.join(unknown)}")
    area.update({"communes": communes, "epcis": epcis, "departements": departements})
    return area


def _canonical(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Keys of ``fields`` as field names: field names are kept, French headers mapped."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        name = key if key in FIELDS else field_for_header(key)
        if name and name != "ignore" and name not in out:
            out[name] = value
    return out


def validate_prospect(fields: Mapping[str, Any], *, today: date | None = None) -> ProspectCheck:
    """Check one prospect (keys: field names of ``FIELDS`` or French headers; values: text or cells).

    ``values`` holds typed values ready for ``store.candidates.upsert_candidate``: names, ``email`` (lower
    case), ``phone`` (E.164), ``rome_codes``, ``contract_types``, ``radius_km``, ``available_from``,
    ``commune_insee``/``lat``/``lon`` when the commune is known, ``target_area``, consent booleans, and
    ``home_epcis``/``target_epcis`` for the référent assignment.
    """
    raw = _canonical(fields)
    text = {name: cell_text(value) for name, value in raw.items()}
    check = ProspectCheck({})
    _check_identity(raw, text, check)
    _check_consents(raw, text, check)
    _check_profile(text, check)
    _check_availability(raw, text, check, today)
    _check_places(text, check)
    _fit_columns(check.values, check.warnings)
    return check


def _check_identity(raw: Mapping[str, Any], text: Mapping[str, str], check: ProspectCheck) -> None:
    """Names, e-mail and phone: a name and one valid contact are required."""
    values, errors, warnings = check.values, check.errors, check.warnings
    first, last = text.get("first_name") or None, text.get("last_name") or None
    if not first and not last and text.get("full_name"):
        first, last = _split_full_name(text["full_name"])
    values["first_name"], values["last_name"] = first, last
    if not first and not last:
        errors.append("nom manquant")

    email = _first_valid(text.get("email", ""), _email)
    if text.get("email") and email is None:
        warnings.append(f"courriel invalide ignoré : {text['email']}")
    values["email"] = email
    phone_raw = raw.get("phone")
    if isinstance(phone_raw, (int, float)) and not isinstance(phone_raw, bool):
        digits = cell_text(phone_raw)
        phone_raw = "0" + digits if len(digits) == 9 else digits  # a spreadsheet dropped the leading 0
    phone_text = cell_text(phone_raw)
    phone = _first_valid(phone_text, normalize_phone)
    if phone_text and phone is None:
        warnings.append(f"téléphone invalide ignoré : {phone_text}")
    values["phone"] = phone
    if not email and not phone:
        errors.append("ni courriel ni téléphone valable")


def _check_consents(raw: Mapping[str, Any], text: Mapping[str, str], check: ProspectCheck) -> None:
    """Consent to be contacted (required) and to share the profile with employers."""
    for name, label in (("consent_contact", "consentement contact"), ("consent_share", "consentement partage")):
        value = raw.get(name)
        if isinstance(value, bool):
            check.values[name] = value
            continue
        try:
            check.values[name] = parse_yes_no(text.get(name, ""))
        except ValueError:
            check.values[name] = None
            check.warnings.append(f"{label} illisible : « {text.get(name)} »")
    if check.values["consent_contact"] is not True:
        check.errors.append("pas de consentement à être contacté")


def _check_profile(text: Mapping[str, str], check: ProspectCheck) -> None:
    """Free text, desired jobs (ROME codes), contracts, radius, experience and driving licence."""
    values, warnings = check.values, check.warnings
    for name in ("desired_jobs", "skills", "diplomas", "languages", "notes", "partner"):
        values[name] = text.get(name) or None
    if values["partner"] and header_key(values["partner"]) in YES | NO | {"en couple", "celibataire", "seul"}:
        values["partner"] = None  # "oui" names nobody: there is no one to look for
    values["rome_codes"] = _rome_codes(values["desired_jobs"]) if values["desired_jobs"] else []
    values["contract_types"] = _contract_types(text["contract_types"]) if text.get("contract_types") else []
    if text.get("contract_types") and not values["contract_types"]:
        warnings.append(f"contrat souhaité non reconnu : « {text['contract_types']} »")

    for name, label in (("radius_km", "rayon de mobilité"), ("experience_years", "expérience")):
        values[name] = None
        if text.get(name):
            try:
                values[name] = _number(text[name])
            except ValueError:
                warnings.append(f"{label} illisible : « {text[name]} »")

    values["driving_licence"] = None
    if text.get("driving_licence"):
        try:
            values["driving_licence"] = parse_yes_no(text["driving_licence"])
        except ValueError:
            warnings.append(f"permis illisible : « {text['driving_licence']} »")


def _check_availability(raw: Mapping[str, Any], text: Mapping[str, str], check: ProspectCheck,
                        today: date | None) -> None:
    """The date from which the person is available; an unreadable one is kept in the notes."""
    values = check.values
    values["available_from"] = None
    availability = raw.get("availability")
    if isinstance(availability, datetime):
        values["available_from"] = availability.date()
    elif isinstance(availability, date):
        values["available_from"] = availability
    elif text.get("availability"):
        try:
            values["available_from"] = parse_french_date(text["availability"], today)
        except ValueError:
            check.warnings.append(f"disponibilité illisible : « {text['availability']} » (gardée en note)")
            values["notes"] = "\n".join(filter(None, [values["notes"], f"Disponibilité : {text['availability']}"]))


def _check_places(text: Mapping[str, str], check: ProspectCheck) -> None:
    """The current commune (coordinates, home EPCI) and the desired zone (target EPCIs)."""
    values, warnings = check.values, check.warnings
    gazetteer = _gazetteer() if (text.get("current_place") or text.get("target_zone")) else None
    values["current_place"] = text.get("current_place") or None
    values["home_epcis"] = []
    if values["current_place"] and gazetteer is not None:
        place = _resolve_place(gazetteer, values["current_place"])
        if place is None:
            warnings.append(f"commune inconnue : « {values['current_place']} »")
        else:
            if place.insee:
                values["commune_insee"] = place.insee
            values["lat"], values["lon"] = place.lat, place.lon
            if place.epci and gazetteer.in_territory(place):
                values["home_epcis"] = [place.epci]
    values["target_area"] = _resolve_zone(text["target_zone"], gazetteer, warnings) if text.get("target_zone") else {}
    values["target_epcis"] = list(values["target_area"].get("epcis", []))


def _fit_columns(values: dict[str, Any], warnings: list[str]) -> None:
    """Text longer than its database column (a 200-character name…) cut to it, with a warning."""
    from store.models import Candidate

    columns = Candidate.__table__.columns
    for name, value in values.items():
        length = getattr(columns[name].type, "length", None) if name in columns else None
        if isinstance(value, str) and length and len(value) > length:
            values[name] = value[:length]
            warnings.append(f"{FIELDS.get(name, name)} trop long : coupé à {length} caractères")

