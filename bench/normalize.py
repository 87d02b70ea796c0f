"""Normalisation benchmark: gazetteer load time, place resolution (speed and accuracy), and
``normalize_posting`` end to end (postings per second on one core), with the ROME classifier switched
off and on.

Corpus: the demo sandbox's vacancies of the Lot (``crawlers.sandbox``) as France Travail offers (label
"46 - CAHORS", INSEE code, salary and contract labels) and as career-site JSON-LD postings
(``addressLocality``/``postalCode``, ``employmentType``, ``baseSalary``), plus the real fixture feeds'
places. Each posting gets a distinct description so that no cache hides the text work.

Place accuracy: every commune of the territory (the Lot and its neighbours, ~2,900 communes) written
the ways offers write it — "ST CERE", "Saint-Céré (46400)", "46 - SAINT-CERE", "46400 Saint-Céré",
"Saint-Céré, Occitanie, France" (its real region) — resolved by a fresh gazetteer (empty cache); a form is right when it
gives the commune's INSEE code.

``python -m bench.normalize`` prints the figures as JSON; ``run(quick=True)`` takes a few seconds.
"""

from __future__ import annotations

import csv
import gc
import json
import subprocess
import sys
import time
from datetime import date
from typing import Any

from crawlers.sandbox.site import Sandbox
from matching.geo import DATA_DIR, Gazetteer
from matching.normalize import (
    _classifier,
    normalize_posting,
    normalize_postings,
    reset_rome_classifier,
    set_rome_classifier,
)
from matching.text import fold
from matching.types import RawPosting

JSONLD_UNITS = {"hour": "HOUR", "month": "MONTH", "year": "YEAR"}


def _corpus(count: int) -> list[RawPosting]:
    """``count`` raw postings in the shapes the spiders produce (France Travail and JSON-LD)."""

    sandbox = Sandbox(today=date(2026, 11, 25), count=300)
    sandbox.set_base_url("http://127.0.0.1:1")
    raws: list[RawPosting] = []
    i = 0
    while len(raws) < count:
        for v in sandbox.vacancies:
            i += 1
            unique = f"<p>Référence interne {i}.</p>"
            if i % 2 or not v.employer.site:
                offer = sandbox.ft_offer(v)
                place = offer["lieuTravail"]
                raws.append(RawPosting(
                    source="francetravail", source_id=f"{offer['id']}-{i}", url=offer["origineOffre"]["urlOrigine"],
                    title=offer["intitule"], employer=offer["entreprise"].get("nom"),
                    employer_siret=offer["entreprise"].get("siret"), description=offer["description"] + unique,
                    location=place.get("libelle"), insee=place.get("commune"), postal_code=place.get("codePostal"),
                    lat=place.get("latitude"), lon=place.get("longitude"), contract=offer["typeContrat"],
                    contract_duration=offer["typeContratLibelle"], working_time=offer["dureeTravailLibelle"],
                    salary=offer["salaire"].get("libelle"), experience=offer["experienceExige"],
                    published_at=offer["dateCreation"], rome_code=None if i % 4 == 1 else offer["romeCode"],
                    positions=offer["nombrePostes"],
                ))
            else:
                posting = sandbox.job_posting(v)
                address = posting["jobLocation"]["address"]
                salary = (posting.get("baseSalary") or {}).get("value") or {}
                raws.append(RawPosting(
                    source="site", source_id=f"{posting['identifier']['value']}-{i}", url=f"http://x/{i}",
                    title=posting["title"], employer=posting["hiringOrganization"]["name"],
                    description=posting["description"] + unique, city=address["addressLocality"],
                    postal_code=address["postalCode"], contract=posting["employmentType"],
                    salary_min=salary.get("minValue", salary.get("value")), salary_max=salary.get("maxValue"),
                    salary_unit=salary.get("unitText"), published_at=posting["datePosted"],
                    expires_at=posting["validThrough"], positions=posting["totalJobOpenings"],
                ))
            if len(raws) >= count:
                break
    return raws


def _throughput(raws: list[RawPosting], repeat: int, batch: bool = False) -> tuple[dict[str, int], dict[str, float]]:
    """Best rates over ``repeat`` runs of ``normalize_posting`` (or ``normalize_postings``): per second of
    CPU time of this process (one core; what the machine's other load does not change) and per second of
    wall-clock time."""

    now = None
    for raw in raws[:50]:  # warm-up: lazy imports, gazetteer, classifier
        normalize_posting(raw, now=now)
    best_cpu = best_wall = 0.0
    results = []
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        if batch:
            results = normalize_postings(raws, now=now)
        else:
            results = [normalize_posting(raw, now=now) for raw in raws]
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        best_cpu = max(best_cpu, len(raws) / max(cpu, 1e-9))
        best_wall = max(best_wall, len(raws) / wall)
    n = len(results)
    coverage = {
        "commune": sum(1 for r in results if r.place and r.place.level == "commune") / n,
        "place_any": sum(1 for r in results if r.place) / n,
        "rome_code": sum(1 for r in results if r.rome_code) / n,
        "contract_type": sum(1 for r in results if r.contract_type) / n,
        "salary": sum(1 for r in results if r.salary_min is not None) / n,
        "published_at": sum(1 for r in results if r.published_at) / n,
    }
    rates = {"per_cpu_second": round(best_cpu), "per_wall_second": round(best_wall)}
    return rates, {k: round(v, 4) for k, v in coverage.items()}


def _region_names() -> dict[str, str]:
    """Département code → name of its region (what "Ville, Région, France" places write)."""

    with open(DATA_DIR / "regions.csv", encoding="utf-8", newline="") as fh:
        regions = {row["code"]: row["name"] for row in csv.DictReader(fh)}
    with open(DATA_DIR / "departements.csv", encoding="utf-8", newline="") as fh:
        return {row["code"]: regions.get(row["region"], "") for row in csv.DictReader(fh)}


def _forms(name: str, postal: str, dep: str, region: str) -> list[str]:
    upper_abbrev = fold(name).upper().replace("SAINTE-", "STE ").replace("SAINT-", "ST ").replace("-", " ")
    return [
        upper_abbrev,
        f"{name} ({postal})",
        f"{dep} - {name.upper()}",
        f"{postal} {name}",
        f"{name}, {region}, France",
    ]


def _place_accuracy(limit: int | None) -> dict[str, Any]:
    gaz = Gazetteer()
    region_of = _region_names()
    communes = [c for c in gaz.communes.values() if c.departement in gaz.territory and c.postal_codes]
    communes.sort(key=lambda c: c.insee)
    if limit:
        communes = communes[:limit]
    per_form = [[0, 0] for _ in range(5)]
    wrong: list[str] = []
    start = time.perf_counter()
    calls = 0
    for c in communes:
        for k, form in enumerate(_forms(c.name, c.postal_codes[0], c.departement, region_of[c.departement])):
            place = gaz.resolve(form)
            calls += 1
            per_form[k][1] += 1
            if place is not None and place.insee == c.insee:
                per_form[k][0] += 1
            elif len(wrong) < 10:
                wrong.append(f"{form!r} -> {place.name if place else None}")
    elapsed = time.perf_counter() - start
    names = ["UPPER + St abbreviation", "Name (postal)", "dep - NAME", "postal Name", "Name, Region, France"]
    return {
        "communes": len(communes),
        "accuracy_by_form": {n: round(ok / total, 4) for n, (ok, total) in zip(names, per_form, strict=True)},
        "accuracy_all_forms": round(sum(ok for ok, _ in per_form) / max(1, sum(t for _, t in per_form)), 4),
        "uncached_resolve_us": round(elapsed / max(1, calls) * 1e6, 1),
        "examples_wrong": wrong,
    }


def _load_time() -> dict[str, float]:
    timings = []
    cpu_timings = []
    for _ in range(3):
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        Gazetteer()
        timings.append(time.perf_counter() - start)
        cpu_timings.append(time.process_time() - cpu)
    # A cold process: interpreter start + imports + index, what a command pays on first use.
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from matching.geo import get_gazetteer; get_gazetteer()"], check=True)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import matching.types"], check=True)
    baseline = time.perf_counter() - start
    return {
        "gazetteer_build_s": round(min(timings), 3),
        "gazetteer_build_cpu_s": round(min(cpu_timings), 3),
        "cold_process_with_gazetteer_s": round(cold, 3),
        "cold_process_baseline_s": round(baseline, 3),
    }


def run(quick: bool = False) -> dict[str, object]:
    result: dict[str, object] = {}
    result["load"] = _load_time()
    raws = _corpus(300 if quick else 6_000)
    result["postings"] = len(raws)
    try:
        set_rome_classifier(None)
        rate, coverage = _throughput(raws, 1 if quick else 3)
        result["postings_per_s_without_rome"] = rate
        result["coverage_without_rome"] = coverage
        reset_rome_classifier()
        if _classifier() is not None:
            start = time.perf_counter()
            rate, coverage = _throughput(raws, 1 if quick else 3)
            result["postings_per_s_with_rome"] = rate
            result["coverage_with_rome"] = coverage
            result["with_rome_total_s"] = round(time.perf_counter() - start, 2)
            rate, coverage = _throughput(raws, 1 if quick else 3, batch=True)
            result["postings_per_s_with_rome_batch"] = rate
            result["coverage_with_rome_batch"] = coverage
        else:
            result["postings_per_s_with_rome"] = None
    finally:
        reset_rome_classifier()
    result["place_accuracy"] = _place_accuracy(60 if quick else None)
    result["target_postings_per_s"] = 2000
    return result


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, ensure_ascii=False))
