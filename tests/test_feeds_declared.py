"""Partner formats read by declaration (issue 17): the real files of Decathlon, Engagement Jeunes, JobTeaser,
La Poste and Leboncoin through their ``[source.format]`` (tests/data/feeds/declared-sources.toml), through
``ohmylot sources probe`` and through a ``scrapy crawl``; the registry's checks; tolerance properties."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawlers.declared import parse_format
from crawlers.registry import RegistryError, load_registry
from crawlers.spiders.feed import DeclaredFeedSpider
from jobs.cli import main
from tests.feeds_support import DATA, drops, replay, scrapy_crawls

REGISTRY = DATA.parent / "declared-sources.toml"
ENV = {"FEEDS_DIR": str(DATA)}


def _count_csv(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


#: registry id → (file, number of offers counted without the readers)
DECLARED = {
    "decathlon-alternance": ("decathlon.json", lambda p: len(json.loads(p.read_text())["ads"])),
    "engagement-jeunes": ("engagement-jeunes.json", lambda p: len(json.loads(p.read_text()))),
    "jobteaser": ("jobteaser.xml", lambda p: p.read_bytes().count(b"<job>")),
    "laposte": ("laposte.xml", lambda p: p.read_bytes().count(b"<offre>")),
    "leboncoin": ("leboncoin.csv", _count_csv),
}

#: one offer of each file, field by field, as the file writes it
FIRST = {
    "decathlon-alternance": {
        "source_id": "KWYLVLYSRRKVGO513", "title": "ALTERNANCE Manager Commerce (H/F)",
        "url": "https://joinus.decathlon.fr/fr/annonce/3977401-alternance-manager-commerce-hf-78140-velizy-"
               "villacoublay#declareStep1",
        "employer": "DECATHLON Retail Omnichannel", "city": "Vélizy-Villacoublay", "postal_code": "78140",
        "departement": "Yvelines", "lat": "48.7812805", "lon": "2.2201465",
        "contract": "Contrat d'alternance (pro, apprentissage)", "working_time": "Temps plein",
        "experience": "Indifférent", "published_at": "2025-11-24T10:18:17+00:00",
    },
    "engagement-jeunes": {
        "source_id": "34161720", "title": "Agent de tri en alternance (F/H)", "employer": "Veolia",
        "city": "Bègles", "postal_code": "33130", "departement": "33", "contract": "Apprentissage",
        "contract_duration": "12", "published_at": "2025-12-10",
    },
    "jobteaser": {
        "source_id": "ab3c7310-98eb-4541-9a91-438dafddfae3",
        "title": "Alternance - webmarketing specialist - Bac+4/5 - (38 - Grenoble) - H/F",
        "employer": "Schneider Electric", "city": "Grenoble", "departement": "Isere", "contract": "Apprenticeship",
        "published_at": "2025-09-20 09:42:48.000", "remote": "Not specified",
    },
    "laposte": {
        "source_id": "2025-xxxx9", "title": "Alternance Responsable production F/H",
        "url": "https://www.laposterecrute.fr/offre/2025-xxxxx9", "employer": "La Poste Groupe",
        "city": "La Seyne-sur-Mer", "departement": "Var (83)", "location": "83126 LA SEYNE SUR MER",
        "contract": "Alternance", "contract_duration": "24", "published_at": "22-05-2025 00:11:19",
    },
    "leboncoin": {
        "source_id": "2999583187", "title": "ALTERNANCE - Boucher F/H",
        "url": "https://www.leboncoin.fr/offres_d_emploi/2999583187.htm", "employer": "Auchan",
        "city": "Saint-Cyr-sur-Loire", "postal_code": "37540",
    },
}


def cli(*argv: str) -> int:
    """Run ``ohmylot ARGV`` in this process; its exit status."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    return int(exit_info.value.code or 0)


@pytest.fixture(scope="module")
def entries():
    return {entry.id: entry for entry in load_registry(REGISTRY, environ=ENV)}


def test_shipped_copies_match_the_shared_fixtures(feeds_dir: Path):
    for name, _ in DECLARED.values():
        assert (DATA / name).read_bytes() == (feeds_dir / name).read_bytes(), name


@pytest.mark.parametrize("source_id", sorted(DECLARED))
def test_each_file_is_read_completely_by_its_declaration(source_id: str, entries) -> None:
    name, count = DECLARED[source_id]
    entry = entries[source_id]
    assert entry.platform == "feed"
    assert entry.url == (DATA / name).as_uri()
    items, stats, _ = replay(DeclaredFeedSpider, DATA / name, source=source_id, format=entry.format.to_json())
    assert len(items) == count(DATA / name) > 0
    assert drops(stats) == {}
    assert all(p.title and p.source_id and (p.city or p.location) for p in items)
    first = items[0]
    for field, value in FIRST[source_id].items():
        assert getattr(first, field) == value, field
    assert len(first.description or "") > 100


def test_sections_extra_and_fixed_values(entries) -> None:
    items, _, _ = replay(DeclaredFeedSpider, DATA / "laposte.xml", format=entries["laposte"].format.to_json())
    assert "<h3>Profil recherché</h3>" in items[0].description or "Profil recherché :" in items[0].description
    assert items[0].extra["company"] == "nom compagnie"  # the anonymised company stays in extra
    items, _, _ = replay(DeclaredFeedSpider, DATA / "decathlon.json",
                         format=entries["decathlon-alternance"].format.to_json())
    assert items[0].extra["duration_min_months"] == "12"
    assert items[0].extra["duration_max_months"] == "24"


@pytest.mark.parametrize("source_id", sorted(DECLARED))
def test_probe_finds_every_offer(source_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    name, count = DECLARED[source_id]
    assert cli("sources", "probe", str(DATA / name), "--json") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    expected = count(DATA / name)
    assert (report["items"], report["with_title"], report["with_id"], report["with_place"]) == (expected,) * 4
    assert report["fields"]["title"]["examples"][0] == FIRST[source_id]["title"]
    assert report["entry"].startswith("[[source]]\n")


def test_probe_entry_is_a_valid_registry_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("sources", "probe", str(DATA / "jobteaser.xml"), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["platform"] == "feed"
    (tmp_path / "sources.toml").write_text(report["entry"], encoding="utf-8")
    (entry,) = load_registry(tmp_path / "sources.toml", environ={})
    items, _, _ = replay(DeclaredFeedSpider, DATA / "jobteaser.xml", format=entry.format.to_json())
    assert [p.title for p in items][0] == FIRST["jobteaser"]["title"]
    assert items[0].employer == "Schneider Electric"


def test_probe_of_a_known_platform_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("sources", "probe", str(DATA / "hellowork.xml"), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["platform"], report["items"], report["with_title"]) == ("hellowork", 5, 5)


@pytest.mark.parametrize("body", [b"Bonjour,\nvoici nos offres.\n", b"<html><body>Erreur</body></html>", b"",
                                  b'{"error": "quota"}'])
def test_probe_of_a_file_that_is_no_feed_is_one_french_line(body: bytes, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "courriel.txt"
    path.write_bytes(body)
    assert cli("sources", "probe", str(path)) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("Erreur : ")
    assert "Traceback" not in err


def test_crawl_reads_each_declared_source(tmp_path: Path) -> None:
    env = {**ENV, "OHMYLOT_SOURCES": str(REGISTRY), "OHMYLOT_DATA_DIR": str(tmp_path)}
    jobs, extra = [], []
    for source_id, (name, _) in sorted(DECLARED.items()):
        database = {"OHMYLOT_DATABASE_URL": f"sqlite:///{tmp_path / f'{source_id}.sqlite3'}"}
        jobs.append(("feed", DATA / name, tmp_path / f"{source_id}.jsonl", {**env, **database}))
        extra.append(("-a", f"source={source_id}"))
    for (source_id, (name, count)), result in zip(sorted(DECLARED.items()), scrapy_crawls(jobs, extra=extra),
                                                  strict=True):
        assert result.returncode == 0, result.stderr[-3000:]
        rows = [json.loads(line) for line in (tmp_path / f"{source_id}.jsonl").read_text().splitlines()]
        assert len(rows) == count(DATA / name), source_id
        first = next(r for r in rows if r["source_id"] == FIRST[source_id]["source_id"])
        assert first["title"] == FIRST[source_id]["title"]
        assert first["source"] == source_id
        assert first["location"]["label"], source_id


# -- the registry's checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(("table", "message"), [
    ('family = "xml"\n[source.format.fields]\ntitel = "titre"', "source partenaire : [source.format.fields] : "
                                                                 "champ inconnu 'titel'"),
    ('family = "yaml"\n[source.format.fields]\ntitle = "t"', "family doit être l'une de xml, rss, json, csv"),
    ('family = "xml"\n[source.format.fields]\ntitle = "offre[@"', "chemin 'offre[@' invalide"),
    ('family = "xml"\n[source.format.fields]\ntitle = "x:titre"', "préfixe d'espace de noms inconnu 'x'"),
    ('family = "json"\n[source.format.fields]\ntitle = "a..b"', "chemin 'a..b' invalide"),
    ('family = "json"\n[source.format.fields]\nsource_id = "id"', "le champ title (intitulé de l'offre) est "
                                                                  "obligatoire"),
    ('family = "csv"\nitems = "x"\n[source.format.fields]\ntitle = "t"', "items n'a pas de sens"),
    ('family = "json"\nmapping = 1\n[source.format.fields]\ntitle = "t"', "clé inconnue mapping"),
])
def test_a_wrong_declaration_is_a_french_error_naming_the_entry(table: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f'[[source]]\nid = "partenaire"\nurl = "file:///x"\n[source.format]\n{table}\n',
                    encoding="utf-8")
    with pytest.raises(RegistryError) as error:
        load_registry(path, environ={})
    assert message in str(error.value)
    assert str(error.value).startswith("source partenaire : ")


def test_format_only_with_platform_feed(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nid = "p"\nplatform = "hellowork"\nurl = "file:///x"\n[source.format]\n'
                    'family = "xml"\n[source.format.fields]\ntitle = "t"\n', encoding="utf-8")
    with pytest.raises(RegistryError, match="ne va qu'avec platform"):
        load_registry(path, environ={})
    path.write_text('[[source]]\nid = "p"\nplatform = "feed"\nurl = "file:///x"\n', encoding="utf-8")
    with pytest.raises(RegistryError, match="demande une table"):
        load_registry(path, environ={})


def test_the_shipped_registry_still_loads() -> None:
    assert load_registry(environ={})


# -- tolerance properties ---------------------------------------------------------------------------------

JOBS = [{"ref": f"R-{i}", "intitule": f"Poste n° {i} — aide à domicile", "ville": ["Cahors", "Figeac", "Gourdon"][i % 3]}
        for i in range(6)]
JSON_FORMAT = parse_format({"family": "json", "fields": {"source_id": "ref", "title": "intitule", "city": "ville"}})
XML_FORMAT = parse_format({"family": "xml", "items": "offre",
                           "fields": {"source_id": "ref", "title": "intitule", "city": "lieu/ville"}})


def _read(body: bytes, fmt) -> list[tuple[str | None, str | None, str | None]]:
    items, _, _ = replay(DeclaredFeedSpider, body, format=fmt.to_json())
    return [(p.source_id, p.title, p.city) for p in items]


def _expected(jobs: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    return [(j["ref"], j["intitule"], j["ville"]) for j in jobs]


def _case(name: str, mode: int) -> str:
    return (name, name.upper(), name.capitalize())[mode]


def _xml(jobs: list[dict[str, str]], *, id_as_attribute: bool, case: int) -> bytes:
    parts = []
    for job in jobs:
        tag = _case("offre", 0)
        ref = f' {_case("ref", case)}="{job["ref"]}"' if id_as_attribute else ""
        ref_element = "" if id_as_attribute else f"<{_case('ref', case)}>{job['ref']}</{_case('ref', case)}>"
        parts.append(f"<{tag}{ref}>{ref_element}<{_case('intitule', case)}><![CDATA[{job['intitule']}]]>"
                     f"</{_case('intitule', case)}><lieu><{_case('ville', case)}>{job['ville']}"
                     f"</{_case('ville', case)}></lieu></{tag}>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<flux xmlns="urn:partenaire">\n' + "\n".join(parts)
            + "\n</flux>\n").encode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), id_as_attribute=st.booleans(), case=st.integers(0, 2))
def test_xml_shuffled_attribute_ids_any_case_namespace_and_cdata(seed: int, id_as_attribute: bool, case: int):
    jobs = JOBS[:]
    random.Random(seed).shuffle(jobs)
    assert _read(_xml(jobs, id_as_attribute=id_as_attribute, case=case), XML_FORMAT) == _expected(jobs)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), case=st.integers(0, 2),
       wrapper=st.sampled_from([None, "jobs", "ads", "data", "results", "offres"]))
def test_json_shuffled_renamed_case_and_wrapped_in_any_key(seed: int, case: int, wrapper: str | None):
    jobs = JOBS[:]
    random.Random(seed).shuffle(jobs)
    records = [{_case(k, case): v for k, v in job.items()} for job in jobs]
    document = records if wrapper is None else {"total": len(records), wrapper: records, "page": 1}
    assert _read(json.dumps(document, ensure_ascii=False).encode(), JSON_FORMAT) == _expected(jobs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), id_as_attribute=st.booleans())
def test_xml_cut_anywhere_gives_only_complete_offers(data: st.DataObject, id_as_attribute: bool):
    body = _xml(JOBS, id_as_attribute=id_as_attribute, case=0)
    cut = data.draw(st.integers(body.index(b"<offre"), len(body) - len(b"</flux>\n") - 1))
    complete = body[:cut].count(b"</offre>")
    assert _read(body[:cut], XML_FORMAT) == _expected(JOBS[:complete])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), wrapper=st.sampled_from([None, "jobs", "results"]))
def test_json_cut_anywhere_gives_only_complete_offers(data: st.DataObject, wrapper: str | None):
    records = [{**job, "lieux": [{"ville": job["ville"]}, {"ville": "Cahors"}], "note": "} ] { [ \"x\""}
               for job in JOBS]
    document = records if wrapper is None else {"total": len(records), wrapper: records, "page": 1}
    body = json.dumps(document, ensure_ascii=False, indent=1).encode()
    first = body.index(b"{", 1 if wrapper is None else body.index(b"["))
    cut = data.draw(st.integers(first, len(body) - 3))
    complete = _complete_records(body[:cut].decode("utf-8", errors="ignore"), records)
    items, stats, _ = replay(DeclaredFeedSpider, body[:cut], format=JSON_FORMAT.to_json())
    assert [(p.source_id, p.title, p.city) for p in items] == _expected(JOBS[:complete])
    assert drops(stats) == {"invalid_json": 1}
    assert stats["feeds/truncated"] == 1


def _complete_records(prefix: str, records: list[dict]) -> int:
    """How many records are entirely in ``prefix`` (their JSON text as json.dumps wrote it, white space aside)."""
    squeezed = "".join(prefix.split())
    return sum(1 for record in records
               if "".join(json.dumps(record, ensure_ascii=False).split()) in squeezed)


def test_probe_reads_an_address_and_explains_an_unreachable_one(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.crawl_servers import Route, site_server

    routes = {"/flux/laposte.xml": Route(body=(DATA / "laposte.xml").read_bytes(), content_type="application/xml")}
    with site_server(routes) as server:
        assert cli("sources", "probe", server.url + "/flux/laposte.xml", "--json") == 0
        report = json.loads(capsys.readouterr().out)
        assert (report["items"], report["with_title"], report["with_place"]) == (2, 2, 2)
        assert cli("sources", "probe", server.url + "/flux/absent.xml") != 0
        err = capsys.readouterr().err.strip()
    assert err.startswith("Erreur : ")
    assert "répond 404" in err
    assert len(err.splitlines()) == 1
