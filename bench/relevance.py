"""The matching relevance set: build it (offers, prospects, pooled judgements) and evaluate three systems.

    python -m bench.relevance build      # rebuild tests/data/relevance/ (prospects, pool, qrels; offers kept)
    python -m bench.relevance build --regenerate-offers   # also draw the offers again
    python -m bench.relevance evaluate   # nDCG@10, P@5, MRR of the ranker and the two baselines (JSON)

Systems (all behind the same hard filters, so that the comparison is about ordering):
- ``ranker``: ``matching.rank`` (TF-IDF word + character n-grams, ROME agreement, distance, freshness,
  contract and working-time preference).
- ``rome_distance``: keep the offers whose ROME code is one of the prospect's codes, sort by distance from the
  prospect's search point (centre of the target area, or current place) — what the national apprenticeship
  service does.
- ``tfidf``: cosine of plain word TF-IDF (``matching.text.analyze``: folded words, stop words, Snowball stems)
  between the prospect's text (jobs, skills, diplomas) and the offer's title and description.

Judgements follow ``tests/data/relevance/GUIDELINES.md`` mechanically (``judge``): the trade of an offer is
read from its title (or the first sentence of its description) with the table ``occupations.json``; the
prospect's intent is the annotation ``intents.json`` (never shown to the systems).
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bench.relevance_corpus import CONDITIONS, EMPLOYERS, OCCUPATIONS
from bench.relevance_prospects import PROSPECTS
from matching.geo import haversine_km
from matching.metrics import summarize
from matching.rank import CONTRACT_ACCEPTS, OfferDoc, OfferIndex, Profile, Ranker, distance_km, profile_rome_codes
from matching.reference import communes, rome_labels
from matching.text import analyze, fold, strip_gender_marks

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "relevance"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
POOL_DEPTH = 20
SEED = 46

# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, offer, grade = line.split("\t")
        qrels.setdefault(query, {})[offer] = int(grade)
    return qrels


@dataclass
class RelevanceSet:
    offers: list[dict[str, Any]]
    prospects: list[dict[str, Any]]
    intents: dict[str, dict[str, Any]]
    occupations: list[dict[str, Any]]
    qrels: dict[str, dict[str, int]]


def load(data: Path = DATA) -> RelevanceSet:
    """The stored relevance set."""
    return RelevanceSet(
        offers=read_jsonl(data / "offers.jsonl"),
        prospects=read_jsonl(data / "prospects.jsonl"),
        intents=json.loads((data / "intents.json").read_text(encoding="utf-8")),
        occupations=json.loads((data / "occupations.json").read_text(encoding="utf-8")),
        qrels=read_qrels(data / "qrels.tsv") if (data / "qrels.tsv").exists() else {},
    )


# --------------------------------------------------------------------------------------------------
# Offer generation (deterministic)
# --------------------------------------------------------------------------------------------------

FAR_CITIES = ["31555", "33063", "75056"]
NEIGHBOUR_TOWNS = ["19031", "19272", "12202", "12145", "24037", "24322", "47001", "47323", "82121", "15014"]
GENERIC_TITLES = ["Rejoignez notre équipe H/F", "Poste à pourvoir", "Offre d'emploi - recrutement"]


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, [weights[k] for k in keys])[0]


def _lot_communes() -> tuple[list[str], list[float]]:
    table = communes()
    rows = [c for c in table.by_departement["46"] if c.lat is not None]
    populations = {}
    with (ROOT / "matching" / "data" / "communes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["departement"] == "46":
                populations[row["insee"]] = float(row["population"] or 0)
    return [c.insee for c in rows], [max(populations.get(c.insee, 50), 50) ** 0.8 for c in rows]


def _location(insee: str | None, departement: str | None = None) -> dict[str, Any]:
    ref = communes().by_insee.get(insee or "")
    if ref is None:
        return {
            "label": departement,
            "insee": None,
            "name": None,
            "postal_code": None,
            "departement": departement,
            "epci": None,
            "lat": None,
            "lon": None,
            "level": "departement",
        }
    return {
        "label": f"{ref.name} ({ref.departement})",
        "insee": ref.insee,
        "name": ref.name,
        "postal_code": None,
        "departement": ref.departement,
        "epci": ref.epci,
        "lat": ref.lat,
        "lon": ref.lon,
        "level": "commune",
    }


def generate_offers(occupations: list[dict[str, Any]], seed: int = SEED) -> list[dict[str, Any]]:
    """Realistic normalised offers of the Lot and around (``NormalizedPosting.as_json()`` fields plus ``id``)."""

    rng = random.Random(seed)
    lot, weights = _lot_communes()
    offers: list[dict[str, Any]] = []
    for occupation in occupations:
        for _ in range(occupation["offers"]):
            roll = rng.random()
            insee = (
                rng.choice(FAR_CITIES)
                if roll < 0.05
                else rng.choice(NEIGHBOUR_TOWNS)
                if roll < 0.17
                else (rng.choices(lot, weights)[0])
            )
            location = _location(insee)
            if rng.random() < 0.03:  # only the département is known
                location = _location(None, location["departement"])
            town = location["name"] or "Cahors"
            employer, intro = rng.choice(EMPLOYERS[occupation["sector"]])
            employer, intro = employer.format(town=town), intro.format(town=town)
            generic = rng.random() < 0.05
            title = rng.choice(GENERIC_TITLES) if generic else rng.choice(occupation["titles"])
            sentences = []
            if generic or rng.random() < 0.4:
                sentences.append(f"Nous recherchons un(e) {occupation['label']}.")
            sentences.append(intro)
            sentences += rng.sample(occupation["missions"], min(len(occupation["missions"]), rng.randint(1, 3)))
            sentences += rng.sample(occupation["requirements"], min(len(occupation["requirements"]), rng.randint(1, 2)))
            sentences.append(rng.choice(CONDITIONS))
            contract = _weighted(rng, occupation["contracts"])
            if rng.random() < 0.08:
                contract = None
            working_time = "part_time" if rng.random() < occupation["part_time"] else "full_time"
            if rng.random() < 0.1:
                working_time = None
            published = NOW - timedelta(days=rng.randint(0, 80), hours=rng.randint(0, 23))
            expires = None
            status = "open"
            state = rng.random()
            if state < 0.04:
                expires = NOW - timedelta(days=rng.randint(1, 20))
            elif state < 0.07:
                status = "closed"
            elif state < 0.5:
                expires = published + timedelta(days=rng.randint(60, 120))
            source = (
                "francetravail"
                if rng.random() < 0.4
                else rng.choice(["hellowork", "talentsoft", "site-employeur", "fonction-publique"])
            )
            offer_id = f"o{len(offers) + 1:04d}"
            offers.append(
                {
                    "id": offer_id,
                    "source": source,
                    "source_id": offer_id,
                    "url": f"https://emplois.example/{offer_id}",
                    "title": title,
                    "title_clean": title,
                    "employer": employer,
                    "description": " ".join(s for s in sentences if s),
                    "contract_type": contract,
                    "working_time": working_time,
                    "published_at": published.isoformat(),
                    "expires_at": expires.isoformat() if expires else None,
                    "rome_code": occupation["rome"] if source == "francetravail" else None,
                    "rome_label": None,
                    "location": location,
                    "status": status,
                    "flags": [] if location["insee"] else ["place_departement_only"],
                }
            )
    rng.shuffle(offers)
    _classify_rome(offers)
    return offers


def _classify_rome(offers: list[dict[str, Any]]) -> None:
    """Offers without a source ROME code get the classifier's, as normalisation does."""

    try:
        from matching.rome import get_classifier
    except ImportError:  # the ROME area is not there: codes stay as the sources give them
        return
    classifier = get_classifier()
    for offer in offers:
        if not offer["rome_code"]:
            found = classifier.classify(offer["title_clean"], offer["description"][:2000], top=1)
            offer["rome_code"] = found[0].code if found else None
        offer["rome_label"] = rome_labels().get(offer["rome_code"] or "")


# --------------------------------------------------------------------------------------------------
# Prospects
# --------------------------------------------------------------------------------------------------


def prospect_records() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """(candidate JSON records, intents) from ``bench.relevance_prospects``."""

    records, intents = [], {}
    for row in PROSPECTS:
        record = {
            "id": row["id"],
            "desired_jobs": row["desired_jobs"],
            "rome_codes": row.get("rome_codes", []),
            "skills": row.get("skills", ""),
            "experience_years": row.get("experience_years"),
            "diplomas": row.get("diplomas", ""),
            "languages": row.get("languages", ""),
            "driving_licence": row.get("driving_licence", True),
            "contract_types": row.get("contract_types", []),
            "contract_required": row.get("contract_required", False),
            "working_time": row.get("working_time"),
            "working_time_required": row.get("working_time_required", False),
            "available_from": None,
            "location": row.get("location", {}),
            "target_area": row["target_area"],
            "radius_km": row.get("radius_km"),
            "household_id": row.get("household"),
        }
        records.append(record)
        intents[row["id"]] = {"occupations": row["intent"]}
    return records, intents


# --------------------------------------------------------------------------------------------------
# The judge: GUIDELINES.md applied mechanically
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _compiled(table_json: str) -> list[tuple[str, list[re.Pattern[str]]]]:
    table = json.loads(table_json)
    return [(row["key"], [re.compile(p) for p in row["patterns"]]) for row in table]


def offer_trade(offer: Mapping[str, Any], occupations: list[dict[str, Any]]) -> str | None:
    """The trade of an offer (GUIDELINES §1): first table row matching the folded title, else the first
    sentence of the description."""

    compiled = _compiled(json.dumps(occupations))
    title = " ".join(fold(strip_gender_marks(str(offer.get("title") or ""))).replace("-", " ").split())
    title = title.replace("aide soign", "aide-soign")  # "aide soignant" and "aide-soignant" are one trade
    for text in (title, _first_sentence(str(offer.get("description") or ""))):
        for key, patterns in compiled:
            if any(p.search(text) for p in patterns):
                return key
    return None


def _first_sentence(text: str) -> str:
    return fold(re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]) if text else ""


def _anchors(record: Mapping[str, Any]) -> tuple[set[str], set[str], set[str], list[tuple[float, float]]]:
    table = communes()
    area = record.get("target_area") or {}
    c, e, d = set(area.get("communes") or []), set(area.get("epcis") or []), set(area.get("departements") or [])
    refs = [table.by_insee[x] for x in c if x in table.by_insee]
    refs += [r for x in e for r in table.by_epci.get(x, ())]
    refs += [r for x in d for r in table.by_departement.get(x, ())]
    points = [(r.lat, r.lon) for r in refs if r.lat is not None]
    if not (c or e or d):
        location = record.get("location") or {}
        ref = table.by_insee.get(location.get("insee") or "")
        if ref is not None and ref.lat is not None:
            points = [(ref.lat, ref.lon)]
        elif location.get("lat") is not None:
            points = [(float(location["lat"]), float(location["lon"]))]
    return c, e, d, points


def hard_violation(record: Mapping[str, Any], offer: Mapping[str, Any]) -> str | None:
    """The hard constraint ``offer`` breaks for the prospect (GUIDELINES §2), or None."""

    if offer.get("status", "open") != "open":
        return "closed"
    expires = offer.get("expires_at")
    if expires and datetime.fromisoformat(expires) < NOW:
        return "expired"
    if not _inside_area(record, offer):
        location = offer.get("location") or {}
        _, _, _, points = _anchors(record)
        if points:
            if location.get("lat") is None:
                return "place unknown outside the area"
            nearest = min(distance_km(p, (location["lat"], location["lon"])) for p in points)
            if nearest > _radius(record):
                return "beyond the radius"
    wanted = list(record.get("contract_types") or [])
    contract = offer.get("contract_type")
    if record.get("contract_required") and wanted:
        if contract is None or not any(contract in CONTRACT_ACCEPTS.get(w, {w}) for w in wanted):
            return "contract"
    time_wanted, time_offered = record.get("working_time"), offer.get("working_time")
    if record.get("working_time_required") and time_wanted and time_offered and time_wanted != time_offered:
        return "working time"
    return None


def _radius(record: Mapping[str, Any]) -> float:
    radius = record.get("radius_km")
    return 30.0 if radius is None else float(radius)


def _inside_area(record: Mapping[str, Any], offer: Mapping[str, Any]) -> bool:
    location = offer.get("location") or {}
    c, e, d, _ = _anchors(record)
    return bool(
        (location.get("insee") and location["insee"] in c)
        or (location.get("epci") and location["epci"] in e)
        or (location.get("departement") and location["departement"] in d)
    )


def judge(
    record: Mapping[str, Any], intent: Mapping[str, Any], offer: Mapping[str, Any], occupations: list[dict[str, Any]]
) -> int:
    """Grade 0/1/2 of ``offer`` for the prospect ``record`` with ``intent`` (GUIDELINES.md)."""

    if hard_violation(record, offer):  # §2
        return 0
    trade = offer_trade(offer, occupations)  # §1
    if trade is None:
        return 0
    wanted_trades = set(intent["occupations"])
    related = {r for row in occupations if row["key"] in wanted_trades for r in row["related"]}
    if trade not in wanted_trades:  # §3
        return 1 if trade in related else 0
    wanted = list(record.get("contract_types") or [])
    contract = offer.get("contract_type")
    contract_ok = not wanted or contract is None or any(contract in CONTRACT_ACCEPTS.get(w, {w}) for w in wanted)
    time_wanted, time_offered = record.get("working_time"), offer.get("working_time")
    time_ok = not time_wanted or not time_offered or time_wanted == time_offered
    area = record.get("target_area") or {}
    has_area = bool(area.get("communes") or area.get("epcis") or area.get("departements"))
    place_ok = _inside_area(record, offer) or not has_area
    return 2 if contract_ok and time_ok and place_ok else 1


# --------------------------------------------------------------------------------------------------
# Systems
# --------------------------------------------------------------------------------------------------


class Systems:
    """The ranker and the two baselines over one offer pool, sharing the hard filters."""

    def __init__(self, offers: list[dict[str, Any]]) -> None:
        self.docs = [OfferDoc.from_json(o) for o in offers]
        self.index = OfferIndex(self.docs)
        self.ranker = Ranker(self.index)
        self.plain = TfidfVectorizer(analyzer=analyze, sublinear_tf=True)
        self.plain_matrix = self.plain.fit_transform([f"{d.title} {d.description}" for d in self.docs])

    def ranker_top(self, record: Mapping[str, Any], k: int) -> list[str]:
        return [r.offer_id for r in self.ranker.rank(Profile.from_json(record), top=k, now=NOW)]

    def _eligible(self, record: Mapping[str, Any]) -> tuple[Any, np.ndarray, np.ndarray]:
        profile = Profile.from_json(record)
        rows, _ = self.ranker.eligible(profile, NOW)
        return profile, rows, _

    def rome_distance_top(self, record: Mapping[str, Any], k: int) -> list[str]:
        profile, rows, _ = self._eligible(record)
        codes = set(profile_rome_codes(profile))
        keep = np.array([self.docs[i].rome_code in codes for i in rows], dtype=bool) if rows.size else rows
        rows = rows[keep] if rows.size else rows
        _, _, _, points = _anchors(record)
        if not points or rows.size == 0:
            return [self.docs[i].id for i in rows[:k]]
        lat = float(np.mean([p[0] for p in points]))
        lon = float(np.mean([p[1] for p in points]))
        dist = haversine_km(self.index.lat[rows], self.index.lon[rows], lat, lon)
        dist = np.where(np.isnan(dist), np.inf, dist)
        order = sorted(range(rows.size), key=lambda j: (dist[j], self.docs[rows[j]].id))
        return [self.docs[rows[j]].id for j in order[:k]]

    def tfidf_top(self, record: Mapping[str, Any], k: int) -> list[str]:
        profile, rows, _ = self._eligible(record)
        if rows.size == 0:
            return []
        query = self.plain.transform([profile.full_text()])
        scores = (self.plain_matrix[rows] @ query.T).toarray().ravel()
        order = sorted(
            (j for j in range(rows.size) if scores[j] > 0), key=lambda j: (-scores[j], self.docs[rows[j]].id)
        )
        return [self.docs[rows[j]].id for j in order[:k]]

    def run(self, name: str, records: Sequence[Mapping[str, Any]], k: int) -> dict[str, list[str]]:
        method = {"ranker": self.ranker_top, "rome_distance": self.rome_distance_top, "tfidf": self.tfidf_top}[name]
        return {r["id"]: method(r, k) for r in records}


SYSTEMS = ("ranker", "rome_distance", "tfidf")

# --------------------------------------------------------------------------------------------------
# Build and evaluate
# --------------------------------------------------------------------------------------------------


def build(data: Path = DATA, *, keep_pool: bool = True, regenerate_offers: bool = False) -> dict[str, Any]:
    """Regenerate the set: occupations table, offers, prospects, intents, the pool and its judgements."""

    data.mkdir(parents=True, exist_ok=True)
    table = [
        {"key": o["key"], "label": o["label"], "patterns": o["patterns"], "related": o["related"]} for o in OCCUPATIONS
    ]
    (data / "occupations.json").write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if regenerate_offers or not (data / "offers.jsonl").exists():
        offers = generate_offers(OCCUPATIONS)
        write_jsonl(data / "offers.jsonl", offers)
    else:  # the offers stay as judged (their ROME codes came from the classifier of that day)
        offers = read_jsonl(data / "offers.jsonl")
    records, intents = prospect_records()
    write_jsonl(data / "prospects.jsonl", records)
    (data / "intents.json").write_text(json.dumps(intents, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    systems = Systems(offers)
    pool: dict[str, set[str]] = {r["id"]: set() for r in records}
    # The pool only grows: pairs judged for earlier versions of the systems stay judged (same offers).
    if keep_pool and (data / "qrels.tsv").exists():
        known = {o["id"] for o in offers}
        for query, judged in read_qrels(data / "qrels.tsv").items():
            if query in pool:
                pool[query].update(o for o in judged if o in known)
    for name in SYSTEMS:
        for query, ranked in systems.run(name, records, POOL_DEPTH).items():
            pool[query].update(ranked)
    by_id = {o["id"]: o for o in offers}
    lines = [
        "# candidate_id\toffer_id\tgrade (GUIDELINES.md; pool = top 20 of ranker, rome_distance, tfidf, all versions)"
    ]
    for record in records:
        for offer_id in sorted(pool[record["id"]]):
            grade = judge(record, intents[record["id"]], by_id[offer_id], table)
            lines.append(f"{record['id']}\t{offer_id}\t{grade}")
    (data / "qrels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"offers": len(offers), "prospects": len(records), "judged_pairs": len(lines) - 1}


def evaluate(data: Path = DATA, k: int = 10, *, full: bool = False) -> dict[str, Any]:
    """Measures of the three systems on the stored set, computed in the same run."""

    rel = load(data)
    systems = Systems(rel.offers)
    results: dict[str, Any] = {}
    for name in SYSTEMS:
        runs = systems.run(name, rel.prospects, k)
        results[name] = summarize(runs, rel.qrels).as_dict()
        if full:  # every offer judged, not only the pool: a stricter view (more relevant offers to find)
            by_id = {o["id"]: o for o in rel.offers}
            everything = {
                p["id"]: {i: judge(p, rel.intents[p["id"]], o, rel.occupations) for i, o in by_id.items()}
                for p in rel.prospects
            }
            results[name]["all_offers_judged"] = summarize(runs, everything).as_dict()
    best_baseline = max(results["rome_distance"]["ndcg@10"], results["tfidf"]["ndcg@10"])
    results["margin_over_best_baseline"] = round(results["ranker"]["ndcg@10"] - best_baseline, 4)
    results["prospects"] = len(rel.prospects)
    results["offers"] = len(rel.offers)
    results["judged_pairs"] = sum(len(v) for v in rel.qrels.values())
    return results


def main(argv: list[str]) -> None:
    command = argv[1] if len(argv) > 1 else "evaluate"
    if command == "build":
        print(json.dumps(build(regenerate_offers="--regenerate-offers" in argv), indent=1))
    print(json.dumps(evaluate(full=True), indent=1))


if __name__ == "__main__":
    main(sys.argv)


__all__ = ["Systems", "build", "evaluate", "hard_violation", "judge", "load", "offer_trade"]
