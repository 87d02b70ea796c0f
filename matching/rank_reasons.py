"""Why an offer is proposed: French sentences for staff (matched terms and skills, ROME codes, place,
contract, working time, freshness, mobility without a driving licence)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache

from matching import mobility, reference, rome_neighbours
from matching.geo import distance_km
from matching.rank_docs import (
    CONTRACT_LABELS,
    LICENCE,
    WORKING_TIME_LABELS,
    OfferDoc,
    Profile,
    accepts_contract,
    profile_rome_codes,
)
from matching.rank_terms import surface_terms, word_terms


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
    near = [c for c in codes if oc in rome_neighbours.neighbours(c)]
    if near:
        return (
            f"Métier voisin (savoir-faire communs selon le ROME) : offre en {oc} ({offer_label}), "
            f"profil en {near[0]} ({labels.get(near[0], '')})."
        )
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
    if accepts_contract(profile.contract_types, offered):
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
    if profile.driving_licence is False and LICENCE.search(offer.description or ""):
        reasons.append("Attention : l'offre demande le permis de conduire, que le candidat n'a pas.")
    return reasons
