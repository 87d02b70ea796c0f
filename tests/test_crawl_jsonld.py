"""schema.org JobPosting extraction (crawlers/jsonld.py): the variants real career sites produce."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.jsonld import extract_job_postings, job_posting_to_raw

PAGE = "https://recrutement.ch-cahors.fr/offres/infirmier-bloc"


def ld(obj: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj, ensure_ascii=False)}</script>'


INFIRMIER = {
    "@context": "https://schema.org",
    "@type": "JobPosting",
    "title": "Infirmier de bloc opératoire (H/F)",
    "identifier": {"@type": "PropertyValue", "name": "CH Cahors", "value": "CHC-2026-117"},
    "description": "&lt;p&gt;Le centre hospitalier recrute un &lt;strong&gt;IBODE&lt;/strong&gt;.&lt;/p&gt;",
    "datePosted": "2026-11-03",
    "validThrough": "2027-01-15T23:59:00+01:00",
    "employmentType": ["FULL_TIME", "PERMANENT"],
    "hiringOrganization": {
        "@type": "Organization",
        "name": "Centre hospitalier Jean Rougier",
        "taxID": "264600010 00019",
    },
    "jobLocation": [
        {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "addressLocality": "Cahors",
                "postalCode": "46000",
                "addressRegion": "46",
            },
            "geo": {"@type": "GeoCoordinates", "latitude": 44.4475, "longitude": 1.4419},
        },
        {"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": "Gourdon", "postalCode": "46300"}},
    ],
    "baseSalary": {
        "@type": "MonetaryAmount",
        "currency": "EUR",
        "value": {"@type": "QuantitativeValue", "minValue": 2100, "maxValue": 2900, "unitText": "MONTH"},
    },
    "occupationalCategory": "J1506 Soins infirmiers spécialisés en bloc opératoire",
    "totalJobOpenings": 2,
}


def test_full_posting_maps_every_field() -> None:
    postings, invalid = extract_job_postings(f"<html><head>{ld(INFIRMIER)}</head></html>", PAGE)
    assert invalid == 0
    assert len(postings) == 1
    raw = job_posting_to_raw(postings[0], source="ch-cahors", page_url=PAGE)
    assert raw.source == "ch-cahors"
    assert raw.source_id == "CHC-2026-117"
    assert raw.url == PAGE
    assert raw.title == "Infirmier de bloc opératoire (H/F)"
    assert raw.description == "<p>Le centre hospitalier recrute un <strong>IBODE</strong>.</p>"
    assert raw.employer == "Centre hospitalier Jean Rougier"
    assert raw.employer_siret == "26460001000019"
    assert (raw.city, raw.postal_code, raw.departement, raw.location) == ("Cahors", "46000", "46", "Cahors (46000)")
    assert (raw.lat, raw.lon) == ("44.4475", "1.4419")
    assert [place["city"] for place in raw.extra["locations"]] == ["Cahors", "Gourdon"]
    assert raw.contract == "FULL_TIME, PERMANENT"
    assert raw.working_time == "Temps plein"
    assert (raw.salary_min, raw.salary_max, raw.salary_unit) == ("2100", "2900", "MONTH")
    assert raw.salary == "2100 - 2900 EUR / MONTH"
    assert (raw.published_at, raw.expires_at) == ("2026-11-03", "2027-01-15T23:59:00+01:00")
    assert raw.rome_code == "J1506"
    assert raw.positions == "2"


def test_several_blocks_graph_lists_and_a_broken_block() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "Organization", "name": "Mairie de Figeac"},
            {"@type": "JobPosting", "title": "Agent technique polyvalent", "identifier": "FIG-1"},
        ],
    }
    listed = [
        {
            "@context": "https://schema.org",
            "@type": "JobPosting",
            "title": "Animateur périscolaire",
            "identifier": "FIG-2",
        },
        {"@context": "https://schema.org", "@type": ["JobPosting"], "title": "Jardinier", "identifier": "FIG-3"},
    ]
    item_list = {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "itemListElement": [{"@type": "ListItem", "item": {"@type": "http://schema.org/JobPosting", "title": "ATSEM"}}],
    }
    broken = '<script type="application/ld+json">{"@type": "JobPosting", "title": "cassé",,}</script>'
    html = f"<html><head>{ld(graph)}{broken}{ld(listed)}{ld(item_list)}</head><body></body></html>"
    postings, invalid = extract_job_postings(html, PAGE)
    assert invalid == 1
    assert [p["title"] for p in postings] == [
        "Agent technique polyvalent",
        "Animateur périscolaire",
        "Jardinier",
        "ATSEM",
    ]


def test_comments_and_trailing_commas_are_tolerated() -> None:
    html = '<script type="application/ld+json">\n// généré\n{"@type": "JobPosting", "title": "Boulanger",}\n</script>'
    postings, invalid = extract_job_postings(html)
    assert invalid == 0
    assert postings[0]["title"] == "Boulanger"


def test_microdata_posting() -> None:
    html = """<html><body><div itemscope itemtype="https://schema.org/JobPosting">
      <h1 itemprop="title">Serveur / Serveuse</h1>
      <div itemprop="hiringOrganization" itemscope itemtype="https://schema.org/Organization">
        <span itemprop="name">Hôtel Beau Site</span></div>
      <div itemprop="jobLocation" itemscope itemtype="https://schema.org/Place">
        <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
          <span itemprop="addressLocality">Rocamadour</span> <span itemprop="postalCode">46500</span></div></div>
      <meta itemprop="datePosted" content="2026-10-01">
      <div itemprop="description"><p>Saison 2027</p></div></div></body></html>"""
    postings, invalid = extract_job_postings(html, PAGE)
    assert invalid == 0
    assert len(postings) == 1
    raw = job_posting_to_raw(postings[0], source="s", page_url=PAGE)
    assert (raw.title, raw.employer, raw.city, raw.postal_code) == (
        "Serveur / Serveuse",
        "Hôtel Beau Site",
        "Rocamadour",
        "46500",
    )
    assert raw.published_at == "2026-10-01"


def test_without_identifier_the_canonical_url_is_the_ref() -> None:
    posting = {"@type": "JobPosting", "title": "Maçon", "jobLocation": {"address": "Lalbenque"}}
    raw = job_posting_to_raw(posting, source="s", page_url=PAGE + "?utm=x", canonical_url=PAGE)
    assert raw.source_id == PAGE
    assert raw.url == PAGE
    assert raw.location == "Lalbenque"
    with_url = job_posting_to_raw({**posting, "url": "/offres/macon"}, source="s", page_url=PAGE)
    assert with_url.source_id == "https://recrutement.ch-cahors.fr/offres/macon"


def test_salary_shapes() -> None:
    single = job_posting_to_raw(
        {
            "@type": "JobPosting",
            "title": "t",
            "baseSalary": {"currency": "EUR", "value": {"value": 11.88, "unitText": "HOUR"}},
        },
        source="s",
    )
    assert (single.salary_min, single.salary_max, single.salary) == ("11.88", "11.88", "11.88 EUR / HOUR")
    text = job_posting_to_raw({"@type": "JobPosting", "title": "t", "baseSalary": "Selon grille FPH"}, source="s")
    assert text.salary == "Selon grille FPH"
    assert text.salary_min is None


def test_html_error_page_and_garbage_give_nothing() -> None:
    assert extract_job_postings("<html><body><h1>Erreur 500</h1></body></html>") == ([], 0)
    # an unterminated block counts as broken
    assert extract_job_postings(b"\x00\xff\xfe garbage <script type='application/ld+json'>") == ([], 1)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(), st.binary()))
def test_extraction_never_raises(body: str | bytes) -> None:
    wrapped = body if isinstance(body, bytes) else f'<script type="application/ld+json">{body}</script>'
    postings, invalid = extract_job_postings(wrapped)
    assert isinstance(postings, list)
    assert invalid >= 0


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "title",
                        "identifier",
                        "jobLocation",
                        "address",
                        "baseSalary",
                        "value",
                        "hiringOrganization",
                        "employmentType",
                        "geo",
                        "url",
                        "experienceRequirements",
                        "@type",
                        "name",
                        "minValue",
                        "description",
                    ]
                ),
                children,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
def test_mapping_never_raises(value: object) -> None:
    obj = value if isinstance(value, dict) else {"title": value}
    raw = job_posting_to_raw({"@type": "JobPosting", **obj}, source="s", page_url=PAGE)
    assert raw.source == "s"
