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
Modules: ``rank_weights`` (every weight), ``rank_terms`` (index terms, on ``matching.text``), ``rank_docs``
(``OfferDoc``, ``Profile``, their ROME codes), ``rank_index`` (``TextModel``, ``OfferIndex``), ``rank_area``
(geography and blocks), ``rank_reasons`` (French reasons); this module ranks. Their public names are importable
from here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from matching import mobility, rome_neighbours
from matching.geo import distance_km
from matching.rank_area import Area, AreaBox, area_box, area_distances, bbox_rows, profile_area, profiles_for_block
from matching.rank_docs import (
    CLASSIFIER_MIN_SCORE,
    CLASSIFIER_TIE,
    CONTRACT_ACCEPTS,
    CONTRACT_LABELS,
    WORKING_TIME_LABELS,
    OfferDoc,
    Profile,
    normalize_contract,
    normalize_working_time,
    profile_rome_codes,
    profile_rome_weights,
)
from matching.rank_index import OfferIndex, TextModel
from matching.rank_reasons import explain
from matching.rank_terms import ABBREVIATIONS, char_preprocessor, surface_terms, term, word_analyzer, word_terms
from matching.rank_weights import DEFAULT_WEIGHTS, RankWeights
from matching.text import fast_tokens, masculine


@dataclass(slots=True)
class RankedOffer:
    """One proposed offer: score in [0, 1], French reasons for staff, and the score's parts."""

    offer_id: str
    score: float
    reasons: list[str]
    parts: dict[str, float]


def _rome_agreement(
    codes: Mapping[str, float], index: OfferIndex, rows: np.ndarray, weights: RankWeights
) -> tuple[np.ndarray, np.ndarray]:
    """ROME agreement of each row with the best of the profile's codes, times that code's confidence (0 when one
    side has no code), and whether the row's code is a neighbour (``matching.rome_neighbours``) of a code the
    profile holds with a confidence of at least ``min_rome_evidence``."""
    best = np.zeros(rows.shape[0], dtype=np.float32)
    neighbour = np.zeros(rows.shape[0], dtype=bool)
    for code, confidence in codes.items():
        same = index.rome.isin([code], rows)
        domain = index.rome_domain.isin([code[:3]], rows)
        grand = index.rome_grand.isin([code[:1]], rows)
        value = np.where(domain, weights.rome_same_domain, np.where(grand, weights.rome_same_grand_domain, 0.0))
        if weights.rome_neighbour > 0:
            near = index.rome.isin(rome_neighbours.neighbours(code), rows) & ~same
            value = np.where(near, np.maximum(value, weights.rome_neighbour), value)
            if confidence >= weights.min_rome_evidence:
                neighbour |= near
        value = np.where(same, 1.0, value)
        best = np.maximum(best, (confidence * value).astype(np.float32))
    best[~index.rome.known(rows)] = 0.0
    return best, neighbour


class Ranker:
    """Ranks offers of an ``OfferIndex`` for profiles; explains the proposals."""

    def __init__(self, index: OfferIndex, weights: RankWeights = DEFAULT_WEIGHTS) -> None:
        self.index = index
        self.weights = weights

    # ---- filters --------------------------------------------------------------------------------

    def eligible(
        self, profile: Profile, now: datetime, area: Area | None = None, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows (all, or among ``rows``) passing the hard filters, and their km from the target area (NaN when
        unknown)."""
        index, area = self.index, area or profile_area(profile, self.weights)
        n = len(index)
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        if rows is None:
            rows = bbox_rows(index, area) if area.constrained else np.arange(n)
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
        dist = area_distances(index, rows, area) if area.constrained else np.full(rows.shape[0], np.nan)
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
        phrases = profile.skill_terms()
        skills = self.index.coverage(phrases, rows) if phrases and w.skills > 0 else np.zeros(rows.shape[0], np.float32)
        if phrases and w.skills > 0:  # the profile's skills and diplomas found in the offer's text
            text = (w.title * title + w.body * body + w.skills * skills) / (w.title + w.body + w.skills)
        codes = profile_rome_weights(profile)
        rome, neighbour = _rome_agreement(codes, index, rows, w)
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
        # A proposal needs evidence of the trade itself: a title like a desired job, the very same ROME code, or
        # a neighbouring trade (shared skills, never a regulated one: a shared domain alone would propose nurse
        # posts to care workers).
        evidence = (title >= w.min_title) | (rome >= w.min_rome_evidence) | neighbour
        score = np.where((topic >= w.min_topic) & evidence, score, 0.0)
        return {
            "score": score.astype(np.float64),
            "topic": topic,
            "text": text,
            "title": title,
            "body": body,
            "skills": skills,
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
        area = profile_area(profile, self.weights)
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
    area = profile_area(profile, weights)
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



__all__ = [
    "ABBREVIATIONS",
    "CLASSIFIER_MIN_SCORE",
    "CLASSIFIER_TIE",
    "CONTRACT_ACCEPTS",
    "CONTRACT_LABELS",
    "DEFAULT_WEIGHTS",
    "WORKING_TIME_LABELS",
    "AreaBox",
    "OfferDoc",
    "OfferIndex",
    "Profile",
    "RankWeights",
    "RankedOffer",
    "Ranker",
    "TextModel",
    "area_box",
    "char_preprocessor",
    "distance_km",
    "explain",
    "fast_tokens",
    "masculine",
    "merge_top",
    "normalize_contract",
    "normalize_working_time",
    "profile_rome_codes",
    "profile_rome_weights",
    "profiles_for_block",
    "rank_blocked",
    "rank_candidates",
    "rank_offers",
    "score_offer",
    "surface_terms",
    "term",
    "word_analyzer",
    "word_terms",
]
