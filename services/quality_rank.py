"""Ranking measured on real offers of rural départements, graded from the employers' ROME codes.

Run: ``PYTHONPATH=. python -m bench.rank_real`` or ``ohmylot quality report``
(needs ``tests/data/real_offers/offers.jsonl``).

The set (built here, deterministic): fair-style prospects — what staff type at a job fair ("ASH en EHPAD",
"chauffeur de car", "serveuse", a title with a typo, a title and two skills) — living in small towns of the
Ain and Haute-Savoie, radius 30 km, every third one without a driving licence, × the real offers of those
départements (``tests/data/real_offers``). Each query names the ROME code a staff member means by it (the
trade, not a guess of the ranker); an offer's grade comes from **the code its employer chose**: same code 2,
same domaine professionnel (3 first characters) 1, else 0 — and 0 when a hard constraint excludes it. A
(query, town) pair is kept only when at least one offer of the query's code is in reach, so every prospect has
something to find. Prospects are split tuning/test by a hash of their id; figures are on the test part.

Systems compared in the same run, all with the same hard constraints (radius, mobility without a licence):
- ``ours``: ``matching.rank`` (the ranker of the pipeline and the staff pages);
- ``tfidf``: TF-IDF (words + character n-grams) cosine between the prospect's text and the offer's title and
  description, over the offers that pass the same hard constraints.

Metrics: nDCG@10 (ideal ranking = the graded offers in reach), share of prospects with an empty list although
offers of their trade are in reach, and hard-constraint violations in any top 10.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

import numpy as np

from matching import mobility, rank
from matching.geo import distance_km
from services.real_offers import MISSING, load_offers

RADIUS_KM = 30.0
K = 10

# Small towns (INSEE) of the two départements of the real offers.
TOWNS = {
    "01004": "Ambérieu-en-Bugey",
    "01034": "Belley",
    "01269": "Nantua",
    "01093": "Châtillon-sur-Chalaronne",
    "01173": "Gex",
    "74081": "Cluses",
    "74225": "Rumilly",
    "74256": "Sallanches",
    "74280": "Thônes",
    "74224": "La Roche-sur-Foron",
}

# (what staff type, skills typed with it, the ROME code they mean)
QUERIES: list[tuple[str, str, str]] = [
    ("ASH en EHPAD", "", "J1301"),
    ("aide-soignante", "", "J1501"),
    ("aide soignnte", "", "J1501"),
    ("infirmière", "", "J1506"),
    ("auxiliaire de vie", "aide à la toilette, courses", "K1302"),
    ("chauffeur de car", "", "N4103"),
    ("chaufeur poids lourd", "", "N4101"),
    ("serveuse", "", "G1803"),
    ("serveur", "service en salle, encaissement", "G1803"),
    ("cuisinier", "", "G1602"),
    ("commis de cuisine", "", "G1602"),
    ("plongeur", "", "G1605"),
    ("femme de chambre", "", "G1501"),
    ("mécanicien auto", "", "I1604"),
    ("mecanicien automobile", "vidange, diagnostic", "I1604"),
    ("agent d'entretien", "", "K2204"),
    ("agent de nettoyage", "autolaveuse, bureaux", "K2204"),
    ("vendeuse en prêt-à-porter", "", "D1214"),
    ("employé libre-service", "mise en rayon, inventaire", "D1507"),
    ("caissière", "", "D1505"),
    ("cariste", "CACES 3, chargement", "N1101"),
    ("magasinier", "", "N1103"),
    ("préparateur de commandes", "", "N1103"),
    ("maçon", "", "F1703"),
    ("électricien bâtiment", "", "F1602"),
    ("plombier chauffagiste", "", "F1603"),
    ("peintre en batiment", "", "F1606"),
    ("technicien de maintenance", "électricité, hydraulique", "I1304"),
    ("décolleteur", "", "H2903"),
    ("opérateur sur commande numérique", "tournage, fraisage", "H2903"),
    ("soudeur", "", "H2913"),
    ("comptable", "", "M1203"),
    ("assistante administrative", "accueil, saisie", "M1602"),
    ("secrétaire médicale", "", "M1609"),
    ("commercial", "prospection, négociation", "D1402"),
    ("agent de sécurité", "", "K2503"),
    ("boulanger", "", "D1102"),
    ("coiffeuse", "", "D1202"),
    ("ouvrier agricole en maraîchage", "", "A1414"),
    ("conducteur de travaux", "", "F1201"),  # ROME: "Conducteur de travaux" is F1201 (F1202: chef de chantier)
]


def offer_docs(offers: list[dict]) -> list[rank.OfferDoc]:
    return [
        rank.OfferDoc(
            id=o["id"],
            title=o["title"],
            description=o["description"],
            employer=o.get("company"),
            contract_type=o.get("contract"),
            rome_code=o["rome_code"],
            insee=o.get("insee"),
            lat=o.get("lat"),
            lon=o.get("lon"),
            published_at=o.get("created"),
        )
        for o in offers
        if o.get("lat") is not None and o.get("lon") is not None
    ]


def prospects() -> list[dict]:
    """Every (query, town) prospect, with its split (tuning / test) and its meant code."""
    result = []
    for q, (text, skills, code) in enumerate(QUERIES):
        for t, (insee, town) in enumerate(TOWNS.items()):
            pid = f"q{q:02d}-{insee}"
            split = "tuning" if int(hashlib.sha1(pid.encode(), usedforsecurity=False).hexdigest(), 16) % 2 else "test"
            result.append(
                {
                    "id": pid,
                    "desired_jobs": text,
                    "skills": skills,
                    "location": {"insee": insee},
                    "town": town,
                    "radius_km": RADIUS_KM,
                    "driving_licence": (q + t) % 3 != 0,
                    "code": code,
                    "split": split,
                }
            )
    return result


def grade(code: str, offer_code: str | None) -> int:
    if not offer_code:
        return 0
    if offer_code == code:
        return 2
    return 1 if offer_code[:3] == code[:3] else 0


def _near_station(point: tuple[float, float]) -> bool:
    return any(
        (km := distance_km(point, (s.lat, s.lon))) is not None and km <= mobility.STATION_KM
        for s in mobility.stations()
        if abs(s.lat - point[0]) < 0.1 and abs(s.lon - point[1]) < 0.15
    )


def allowed(docs: list[rank.OfferDoc], profile: rank.Profile) -> dict[str, float]:
    """Offer id → km for the offers passing every hard constraint, checked here independently of the ranker:
    within the radius of home, and without a licence within cycling distance or a station at both ends."""
    home = (profile.lat, profile.lon)
    home_station = _near_station(home) if profile.driving_licence is False else False  # type: ignore[arg-type]
    result: dict[str, float] = {}
    for d in docs:
        km = distance_km(home, (d.lat, d.lon))
        if km is None or km > (profile.radius_km or RADIUS_KM):
            continue
        if profile.driving_licence is False and km > mobility.CYCLING_KM:
            if not (home_station and _near_station((d.lat, d.lon))):  # type: ignore[arg-type]
                continue
        result[d.id] = km
    return result


def ndcg(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    if idcg == 0:
        return 0.0
    dcg = sum((2 ** grades.get(o, 0) - 1) / math.log2(i + 2) for i, o in enumerate(ranked[:k]))
    return dcg / idcg


class TfidfBaseline:
    """Plain TF-IDF (words + character n-grams of title and description), cosine with the prospect's text."""

    def __init__(self, docs: list[rank.OfferDoc]) -> None:
        from scipy import sparse  # noqa: PLC0415 - bench only
        from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415

        texts = [f"{d.title} {d.title} {d.description}" for d in docs]
        self.words = TfidfVectorizer(sublinear_tf=True, strip_accents="unicode")
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, strip_accents="unicode")
        self.matrix = sparse.hstack([self.words.fit_transform(texts), self.chars.fit_transform(texts)], format="csr")
        self.ids = [d.id for d in docs]
        self._sparse = sparse

    def rank(self, text: str, among: set[str], k: int = K) -> list[str]:
        query = self._sparse.hstack([self.words.transform([text]), self.chars.transform([text])], format="csr")
        sims = (self.matrix @ query.T).toarray()[:, 0]
        order = [i for i in np.argsort(-sims) if self.ids[i] in among and sims[i] > 0]
        return [self.ids[i] for i in order[:k]]


def violations(top: list[str], reach: dict[str, float]) -> int:
    """Offers of a top list that the hard constraints exclude."""
    return sum(1 for o in top if o not in reach)


def evaluate(offers: list[dict] | None = None, *, split: str = "test") -> dict[str, object]:
    offers = offers if offers is not None else load_offers()
    if not offers:
        raise FileNotFoundError(MISSING)
    docs = offer_docs(offers)
    now = max(d.published_at for d in docs if d.published_at) + timedelta(days=1)
    index = rank.OfferIndex(docs)
    ranker = rank.Ranker(index)
    baseline = TfidfBaseline(docs)
    code_of = {d.id: d.rome_code for d in docs}
    rows: list[dict[str, object]] = []
    for p in prospects():
        if p["split"] != split and split != "all":
            continue
        profile = rank.Profile.from_json(p)
        reach = allowed(docs, profile)
        grades = {o: grade(p["code"], code_of[o]) for o in reach}
        if not any(g == 2 for g in grades.values()):
            continue
        ours = [r.offer_id for r in ranker.rank(profile, top=K, now=now)]
        base = baseline.rank(f"{p['desired_jobs']} {p['skills']}", set(reach))
        rows.append(
            {
                "id": p["id"],
                "query": p["desired_jobs"],
                "town": p["town"],
                "licence": p["driving_licence"],
                "ours": ndcg(ours, grades),
                "tfidf": ndcg(base, grades),
                "ours_empty": not ours,
                "ours_violations": violations(ours, reach),
                "tfidf_violations": violations(base, reach),
                "ours_top": [code_of[o] for o in ours[:3]],
            }
        )
    n = len(rows)
    return {
        "split": split,
        "prospects": n,
        "offers": len(docs),
        "ndcg@10": {"ours": _mean(r["ours"] for r in rows), "tfidf_same_constraints": _mean(r["tfidf"] for r in rows)},
        "empty_lists_with_trade_in_reach": sum(bool(r["ours_empty"]) for r in rows),
        "violations_in_top10": {
            "ours": sum(int(r["ours_violations"]) for r in rows),
            "tfidf": sum(int(r["tfidf_violations"]) for r in rows),
        },
        "worst": sorted(rows, key=lambda r: float(r["ours"]))[:8],
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _mean(values) -> float:  # type: ignore[no-untyped-def]
    items = list(values)
    return round(float(np.mean(items)), 4) if items else 0.0
