"""Feed parsing throughput: postings per second read by the feed bases (decode, parse, map) on one core.

The real HelloWork file (5 jobs) is repeated with distinct ids into a feed of N jobs; the same number of
offers is also written as Talentsoft-like JSON and as a ``;`` CSV in Windows-1252. Baseline measured in the
same run: lxml parsing the same XML bytes in one call and reading every job's children (what any XML reader
must do), so the ratio shows what the bases' safety (strict incremental parse, encoding repair, mapping,
drop accounting) costs.

    python -m bench feeds           # full run (2,000 offers, a 9.3 MiB feed, best of 5)
    python -m bench --quick feeds   # under a second
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from crawlers.spiders.hellowork import HelloWorkSpider
from crawlers.spiders.spreadsheet import SpreadsheetSpider
from crawlers.spiders.talentsoft_json import TalentsoftJsonSpider

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "feeds" / "hellowork.xml"


def hellowork_feed(count: int) -> bytes:
    """A HelloWork feed of ``count`` jobs made from the real file's 5 jobs (ids made distinct)."""
    text = SAMPLE.read_text(encoding="utf-8")
    head, _, rest = text.partition("<job>")
    jobs = ["<job>" + part for part in rest.rsplit("</root>", 1)[0].split("<job>")]
    out = [head]
    for index in range(count):
        out.append(jobs[index % len(jobs)].replace("<job_id><![CDATA[", f"<job_id><![CDATA[{index}-", 1))
    out.append("</root>\n")
    return "".join(out).encode("utf-8")


def _offers(count: int) -> list[dict[str, str]]:
    text = "Soins d'hygiène et de confort, travail en équipe pluridisciplinaire, transmissions écrites. " * 8
    return [{"reference": f"R-{i}", "title": f"Aide-soignant(e) de nuit {i} H/F", "organisationName": "CH Cahors",
             "description1": text, "city": "Cahors", "contract": "CDD"} for i in range(count)]


def _best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    best, result = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def run(quick: bool = False) -> dict[str, object]:
    """Measure and return the figures (postings per second, ratio to the lxml baseline)."""

    # 2,000 HelloWork jobs are 9.3 MiB: the largest feed DOWNLOAD_MAXSIZE (10 MiB) lets through.
    count = 500 if quick else 2_000
    repeat = 1 if quick else 5
    xml = hellowork_feed(count)
    offers = _offers(count)
    body_json = json.dumps(offers).encode("utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Référence", "Intitulé", "Employeur", "Description", "Commune", "Contrat"])
    writer.writerows([o["reference"], o["title"], o["organisationName"], o["description1"], o["city"],
                      o["contract"]] for o in offers)
    body_csv = buffer.getvalue().encode("cp1252")

    def baseline() -> int:
        count = 0
        for job in etree.fromstring(xml).iter("job"):
            count += 1
            for child in job:
                _ = child.text
        return count

    def parse(spider_cls: type, body: bytes) -> Callable[[], int]:
        return lambda: sum(1 for _ in spider_cls(url="file:///bench").postings_from_body(body))

    t_base, n_base = _best(baseline, repeat)
    t_xml, n_xml = _best(parse(HelloWorkSpider, xml), repeat)
    t_json, n_json = _best(parse(TalentsoftJsonSpider, body_json), repeat)
    t_csv, n_csv = _best(parse(SpreadsheetSpider, body_csv), repeat)
    if not n_base == n_xml == n_json == n_csv == count:
        raise RuntimeError(f"counts differ: {n_base} {n_xml} {n_json} {n_csv} (expected {count})")
    return {
        "offers": count,
        "hellowork_xml_mib": round(len(xml) / 2**20, 1),
        "lxml_baseline_items_per_s": round(count / t_base),
        "hellowork_xml_postings_per_s": round(count / t_xml),
        "hellowork_ratio_to_lxml_baseline": round(t_base / t_xml, 3),
        "talentsoft_json_postings_per_s": round(count / t_json),
        "spreadsheet_csv_postings_per_s": round(count / t_csv),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
