"""The weights of the offer ↔ prospect ranking: the one place where it is tuned (see ``matching.rank``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RankWeights:
    """Every weight and constant of the ranking, in one place.

    Topic (what the job is), each part in [0, 1]:
      - ``title_word`` / ``title_char``: shares of word-level and character-level cosine between one desired
        job of the profile and the offer title (best desired job wins).
      - ``title`` / ``body``: shares of that title similarity and of the cosine between the whole profile
        text (jobs, skills, diplomas) and the offer text (title, ROME label, description) in the text score.
      - ``skills``: share, in the text score, of the profile's skills and diplomas found in the offer text
        (each one counts when two thirds of its terms are there); only for profiles that list some.
      - ``text`` / ``rome``: shares of the text score and of the ROME agreement in the topic.
      - ROME agreement: 1 for the same code, ``rome_same_domain`` for the same domaine professionnel
        (3 characters, e.g. J15), ``rome_neighbour`` for a neighbouring trade (``matching.rome_neighbours``:
        shared skills, never a regulated trade; the larger of the two applies), ``rome_same_grand_domain`` for
        the same grand domaine (1 letter), 0
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
    title similarity is below ``min_title`` without the same ROME code, or a neighbouring one, held with a
    confidence of at least ``min_rome_evidence`` (no evidence of the trade itself). ``default_radius_km``
    applies when the profile gives no radius.

    Values: set by reasoning, then the title/body split and ``context_share`` chosen on the dev half of the
    relevance set (docs/matching.md); ``rome_neighbour`` (with ``matching.rome_neighbours.TOP`` and
    ``MIN_SIMILARITY``) on the tuning half of the rural real-offer set, ``skills`` on both sets (neutral there:
    few of their prospects list skills).
    """

    title_word: float = 0.5
    title_char: float = 0.5
    title: float = 0.5
    body: float = 0.5
    skills: float = 0.25
    text: float = 0.55
    rome: float = 0.45
    rome_same_domain: float = 0.5
    rome_same_grand_domain: float = 0.15
    rome_neighbour: float = 0.2
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
